/*
 * What this CPU's VT-x can do: the raw capability MSRs, and their decoded form that VMCS setup and the boot report
 * use.  Decoding is pure (vmx_caps_decode.c) so host tests feed it MSR values of known CPUs.
 */
#ifndef VMX_VMX_CAPS_H
#define VMX_VMX_CAPS_H

#include <stdbool.h>
#include <stdint.h>

struct vmx_msrs {
	uint64_t basic, pinbased, procbased, exit, entry, misc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t procbased2, ept_vpid, vmfunc;
	uint64_t true_pinbased, true_procbased, true_exit, true_entry;
};

/* A control field's allowed settings: bits in must_be_1 are fixed to 1, bits outside may_be_1 are fixed to 0. */
struct vmx_ctl {
	uint32_t must_be_1;
	uint32_t may_be_1;
};

struct vmx_caps {
	uint32_t revision;
	uint32_t vmcs_size;
	unsigned vmcs_memtype;
	bool true_ctls;
	bool ins_outs_info;
	struct vmx_ctl pin, proc, proc2, exit, entry; /* from the TRUE MSRs when the CPU has them */
	unsigned preempt_timer_rate;
	bool store_lma, activity_hlt;
	unsigned cr3_targets, max_msr_list;
	uint64_t ept_vpid;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

void vmx_caps_decode(struct vmx_caps *caps, const struct vmx_msrs *msrs);

static inline bool vmx_ctl_can_set(const struct vmx_ctl *c, uint32_t bits) { return (c->may_be_1 & bits) == bits; }
/* Adjust wanted bits to what the CPU allows; *missing gets the wanted bits it cannot set. */
static inline uint32_t vmx_ctl_adjust(const struct vmx_ctl *c, uint32_t want, uint32_t *missing)
{
	if (missing)
		*missing = want & ~c->may_be_1;
	return (want | c->must_be_1) & c->may_be_1;
}

/* The one-screen summary, one line per call of emit (without newline). */
void vmx_caps_report(const struct vmx_caps *caps, void (*emit)(const char *line));

/* Features ballast needs to run guests; returns the name of the first one missing, or NULL when all are there. */
const char *vmx_caps_missing_requirement(const struct vmx_caps *caps);

#endif
