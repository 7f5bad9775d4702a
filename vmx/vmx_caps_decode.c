/*
 * Decoding the VT-x capability MSRs (SDM Vol. 3D Appendix A) and the boot-time summary.
 */
#include <ballast/compiler.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "vmx/vmx_caps.h"
#include "vmx/vmx_hw.h"

static struct vmx_ctl ctl(uint64_t msr)
{
	/* A.3-A.5: bits 31:0 are the allowed 0-settings (a 1 there means the bit must be 1), bits 63:32 the allowed
	 * 1-settings. */
	return (struct vmx_ctl){ .must_be_1 = (uint32_t)msr, .may_be_1 = (uint32_t)(msr >> 32) };
}

void vmx_caps_decode(struct vmx_caps *c, const struct vmx_msrs *m)
{
	memset(c, 0, sizeof(*c));
	c->revision = VMX_BASIC_REVISION(m->basic);
	c->vmcs_size = VMX_BASIC_VMCS_SIZE(m->basic);
	c->vmcs_memtype = VMX_BASIC_MEMTYPE(m->basic);
	c->ins_outs_info = m->basic & VMX_BASIC_INS_OUTS_INFO;
	c->true_ctls = m->basic & VMX_BASIC_TRUE_CTLS;
	/* The TRUE MSRs report which default-1 controls may in fact be 0 (A.2); prefer them when present. */
	c->pin = ctl(c->true_ctls ? m->true_pinbased : m->pinbased);
	c->proc = ctl(c->true_ctls ? m->true_procbased : m->procbased);
	c->exit = ctl(c->true_ctls ? m->true_exit : m->exit);
	c->entry = ctl(c->true_ctls ? m->true_entry : m->entry);
	/* Secondary controls and EPT/VPID capabilities exist only if the secondary-controls bit can be 1. */
	if (vmx_ctl_can_set(&c->proc, PROC_SECONDARY_CONTROLS)) {
		c->proc2 = ctl(m->procbased2);
		if (c->proc2.may_be_1 & (PROC2_EPT | PROC2_VPID))
			c->ept_vpid = m->ept_vpid;
	}
	c->preempt_timer_rate = VMX_MISC_PREEMPT_RATE(m->misc);
	c->store_lma = m->misc & VMX_MISC_STORE_LMA;
	c->activity_hlt = m->misc & VMX_MISC_ACTIVITY_HLT;
	c->cr3_targets = VMX_MISC_CR3_TARGETS(m->misc);
	c->max_msr_list = VMX_MISC_MAX_MSR_LIST(m->misc);
	c->cr0_fixed0 = m->cr0_fixed0;
	c->cr0_fixed1 = m->cr0_fixed1;
	c->cr4_fixed0 = m->cr4_fixed0;
	c->cr4_fixed1 = m->cr4_fixed1;
}

static const char *yes_no(bool b) { return b ? "yes" : "no"; }

void vmx_caps_report(const struct vmx_caps *c, void (*emit)(const char *line))
{
	char line[160];
	uint64_t e = c->ept_vpid;
	bool ept = vmx_ctl_can_set(&c->proc2, PROC2_EPT), vpid = vmx_ctl_can_set(&c->proc2, PROC2_VPID);

	fmt_snprintf(line, sizeof(line), "vmx: VMCS revision 0x%x, region %u bytes, memory type %s, true controls %s",
		     c->revision, c->vmcs_size, c->vmcs_memtype == VMX_MEMTYPE_WB ? "WB" : "UC", yes_no(c->true_ctls));
	emit(line);
	fmt_snprintf(line, sizeof(line), "vmx: EPT %s (%s%s%s%s%s, A/D bits %s, INVEPT%s%s)", yes_no(ept),
		     e & EPT_CAP_WALK_4 ? "4-level" : "no 4-level walk", e & EPT_CAP_WALK_5 ? ", 5-level" : "",
		     e & EPT_CAP_WB ? ", WB" : "", e & EPT_CAP_2M ? ", 2M pages" : "", e & EPT_CAP_1G ? ", 1G pages" : "",
		     yes_no(e & EPT_CAP_AD), e & EPT_CAP_INVEPT_SINGLE ? " single" : "",
		     e & EPT_CAP_INVEPT_ALL ? " all" : "");
	emit(line);
	fmt_snprintf(line, sizeof(line), "vmx: VPID %s (INVVPID%s%s%s)", yes_no(vpid),
		     e & VPID_CAP_INVVPID_ADDR ? " address" : "", e & VPID_CAP_INVVPID_SINGLE ? " single" : "",
		     e & VPID_CAP_INVVPID_ALL ? " all" : "");
	emit(line);
	fmt_snprintf(line, sizeof(line),
		     "vmx: unrestricted guest %s, preemption timer %s (1 tick = 2^%u TSC cycles), HLT activity state %s",
		     yes_no(vmx_ctl_can_set(&c->proc2, PROC2_UNRESTRICTED_GUEST)),
		     yes_no(vmx_ctl_can_set(&c->pin, PIN_PREEMPTION_TIMER)), c->preempt_timer_rate, yes_no(c->activity_hlt));
	emit(line);
	fmt_snprintf(line, sizeof(line), "vmx: I/O bitmaps %s, MSR bitmaps %s, virtual NMIs %s, PML %s, #VE %s, VMFUNC %s",
		     yes_no(vmx_ctl_can_set(&c->proc, PROC_USE_IO_BITMAPS)),
		     yes_no(vmx_ctl_can_set(&c->proc, PROC_USE_MSR_BITMAPS)), yes_no(vmx_ctl_can_set(&c->pin, PIN_VIRTUAL_NMIS)),
		     yes_no(vmx_ctl_can_set(&c->proc2, PROC2_PML)), yes_no(vmx_ctl_can_set(&c->proc2, PROC2_EPT_VIOLATION_VE)),
		     yes_no(vmx_ctl_can_set(&c->proc2, PROC2_VMFUNC)));
	emit(line);
	fmt_snprintf(line, sizeof(line),
		     "vmx: APIC virtualization %s, posted interrupts %s, load/save EFER %s/%s, load PAT %s, MSR list max %u",
		     yes_no(vmx_ctl_can_set(&c->proc2, PROC2_VIRTUALIZE_APIC)),
		     yes_no(vmx_ctl_can_set(&c->pin, PIN_POSTED_INTERRUPTS)), yes_no(vmx_ctl_can_set(&c->entry, ENTRY_LOAD_EFER)),
		     yes_no(vmx_ctl_can_set(&c->exit, EXIT_SAVE_EFER)), yes_no(vmx_ctl_can_set(&c->entry, ENTRY_LOAD_PAT)),
		     c->max_msr_list);
	emit(line);
}

const char *vmx_caps_missing_requirement(const struct vmx_caps *c)
{
	/* One line per requirement, each with why ballast needs it. */
	if (!vmx_ctl_can_set(&c->proc, PROC_SECONDARY_CONTROLS))
		return "secondary processor-based controls (needed for EPT)";
	if (!vmx_ctl_can_set(&c->proc2, PROC2_EPT))
		return "EPT (the pmap's hardware copy; ballast does no shadow paging)";
	if (!(c->ept_vpid & EPT_CAP_WALK_4) || !(c->ept_vpid & EPT_CAP_WB))
		return "4-level write-back EPT";
	if (!(c->ept_vpid & EPT_CAP_INVEPT) || !(c->ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		return "INVEPT (to flush stale guest-physical translations after unmapping a page)";
	if (!vmx_ctl_can_set(&c->proc2, PROC2_UNRESTRICTED_GUEST))
		return "unrestricted guest (Linux guests start in real or unpaged protected mode)";
	if (!vmx_ctl_can_set(&c->pin, PIN_PREEMPTION_TIMER))
		return "VMX-preemption timer (time slices between VMs)";
	if (!vmx_ctl_can_set(&c->proc, PROC_USE_IO_BITMAPS) || !vmx_ctl_can_set(&c->proc, PROC_USE_MSR_BITMAPS))
		return "I/O and MSR bitmaps";
	if (!vmx_ctl_can_set(&c->exit, EXIT_HOST_ADDR_SPACE_SIZE) || !vmx_ctl_can_set(&c->entry, ENTRY_IA32E_MODE_GUEST))
		return "64-bit host and guest";
	if (!vmx_ctl_can_set(&c->entry, ENTRY_LOAD_EFER) || !vmx_ctl_can_set(&c->exit, EXIT_LOAD_EFER | EXIT_SAVE_EFER))
		return "EFER load/save on entry and exit";
	if (c->vmcs_memtype != VMX_MEMTYPE_WB)
		return "write-back VMCS memory";
	return 0;
}
