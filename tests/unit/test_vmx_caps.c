/* Host tests for vmx/vmx_caps_decode.c: capability MSR decoding, control adjustment and the requirement check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "vmx/vmx_caps.h"
#include "vmx/vmx_hw.h"

#define CTL(must, may) (((uint64_t)(may) << 32) | (uint32_t)(must))

/* A CPU like Bochs's Icelake model: TRUE controls, everything ballast wants. */
static struct vmx_msrs capable(void)
{
	struct vmx_msrs m = { 0 };
	m.basic = 4 | (4096ULL << 32) | ((uint64_t)VMX_MEMTYPE_WB << 50) | VMX_BASIC_INS_OUTS_INFO | VMX_BASIC_TRUE_CTLS;
	m.pinbased = CTL(0x16, 0xff);
	m.true_pinbased = CTL(0x16, 0xff);
	m.procbased = CTL(0x0401e172, 0xffffffff);
	m.true_procbased = CTL(0x04006172, 0xffffffff); /* TRUE: CR3 load/store exiting may be 0 */
	m.exit = m.true_exit = CTL(0x00036dff, 0x007fffff);
	m.entry = m.true_entry = CTL(0x000011ff, 0x0000ffff);
	m.procbased2 = CTL(0, 0x000ff3ff | PROC2_PML | PROC2_EPT_VIOLATION_VE);
	m.ept_vpid = EPT_CAP_WALK_4 | EPT_CAP_WB | EPT_CAP_2M | EPT_CAP_1G | EPT_CAP_INVEPT | EPT_CAP_AD |
		     EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL | VPID_CAP_INVVPID | VPID_CAP_INVVPID_SINGLE |
		     VPID_CAP_INVVPID_ALL | VPID_CAP_INVVPID_ADDR;
	m.misc = 5 | VMX_MISC_STORE_LMA | VMX_MISC_ACTIVITY_HLT | (4 << 16);
	return m;
}

static char report[2048];
static void collect(const char *line)
{
	strcat(report, line);
	strcat(report, "\n");
}

static void decodes_capable_cpu(void **state)
{
	struct vmx_msrs m = capable();
	struct vmx_caps c;

	vmx_caps_decode(&c, &m);
	assert_int_equal(c.revision, 4);
	assert_int_equal(c.vmcs_size, 4096);
	assert_true(c.true_ctls);
	assert_int_equal(c.proc.must_be_1, 0x04006172); /* from the TRUE MSR */
	assert_int_equal(c.preempt_timer_rate, 5);
	assert_int_equal(c.cr3_targets, 4);
	assert_int_equal(c.max_msr_list, 512);
	assert_null(vmx_caps_missing_requirement(&c));

	report[0] = 0;
	vmx_caps_report(&c, collect);
	assert_non_null(strstr(report, "EPT yes (4-level, WB, 2M pages, 1G pages, A/D bits yes, INVEPT single all)"));
	assert_non_null(strstr(report, "unrestricted guest yes"));
	assert_non_null(strstr(report, "preemption timer yes (1 tick = 2^5 TSC cycles)"));
	assert_non_null(strstr(report, "VPID yes"));
}

static void adjust_respects_fixed_bits(void **state)
{
	struct vmx_ctl ctl = { .must_be_1 = 0x16, .may_be_1 = 0x7f };
	uint32_t missing;

	assert_int_equal(vmx_ctl_adjust(&ctl, 0x41, &missing), 0x57);
	assert_int_equal(missing, 0);
	assert_int_equal(vmx_ctl_adjust(&ctl, 0x81, &missing), 0x17);
	assert_int_equal(missing, 0x80);
}

static void missing_features_named(void **state)
{
	struct vmx_msrs m;
	struct vmx_caps c;

	m = capable();
	m.true_procbased &= ~((uint64_t)PROC_SECONDARY_CONTROLS << 32);
	vmx_caps_decode(&c, &m);
	assert_non_null(strstr(vmx_caps_missing_requirement(&c), "secondary"));
	assert_int_equal(c.ept_vpid, 0); /* not read without secondary controls */

	m = capable();
	m.procbased2 &= ~((uint64_t)PROC2_EPT << 32);
	vmx_caps_decode(&c, &m);
	assert_non_null(strstr(vmx_caps_missing_requirement(&c), "EPT"));

	m = capable();
	m.procbased2 &= ~((uint64_t)PROC2_UNRESTRICTED_GUEST << 32);
	vmx_caps_decode(&c, &m);
	assert_non_null(strstr(vmx_caps_missing_requirement(&c), "unrestricted guest"));

	m = capable();
	m.true_pinbased &= ~((uint64_t)PIN_PREEMPTION_TIMER << 32);
	vmx_caps_decode(&c, &m);
	assert_non_null(strstr(vmx_caps_missing_requirement(&c), "preemption timer"));

	m = capable();
	m.ept_vpid &= ~EPT_CAP_WB;
	vmx_caps_decode(&c, &m);
	assert_non_null(strstr(vmx_caps_missing_requirement(&c), "write-back EPT"));
}

/* Without TRUE controls the ordinary MSRs are used, with their default-1 bits forced. */
static void non_true_controls(void **state)
{
	struct vmx_msrs m = capable();
	struct vmx_caps c;

	m.basic &= ~VMX_BASIC_TRUE_CTLS;
	m.true_procbased = 0;
	vmx_caps_decode(&c, &m);
	assert_false(c.true_ctls);
	assert_int_equal(c.proc.must_be_1, 0x0401e172);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_capable_cpu),
		cmocka_unit_test(adjust_respects_fixed_bits),
		cmocka_unit_test(missing_features_named),
		cmocka_unit_test(non_true_controls),
	};
	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
