/*
 * CPUID for guests.  The host's answers pass through except where they would promise what the virtual platform
 * does not have: VMX, a local APIC or x2APIC, MTRRs, machine-check architecture, performance counters, MONITOR/MWAIT, speculation-control MSRs,
 * power management, and XSAVE with everything that needs it (AVX and later): guests keep x87/SSE state, which
 * FXSAVE switches, so a VM switch never depends on each CPU model's XSAVE layout (Bochs's models describe theirs
 * inconsistently, and Linux then disables XSAVE halfway).  The TSC frequency is told truthfully in leaves 0x15/0x16 (the value ballast measured), so
 * the guest's clock runs at the right speed without calibrating against the PIT (SPEC §5).
 */
#include <uapi/ballast_hypercall.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/vm.h"
#include "vmx/exit.h"

#define CPUID_1_ECX_MONITOR BIT(3)
#define CPUID_1_ECX_PDCM BIT(15)
#define CPUID_1_ECX_X2APIC BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE BIT(24)
#define CPUID_1_ECX_FMA BIT(12)
#define CPUID_1_ECX_XSAVE BIT(26)
#define CPUID_1_ECX_OSXSAVE BIT(27)
#define CPUID_1_ECX_AVX BIT(28)
#define CPUID_1_ECX_F16C BIT(29)
#define CPUID_1_EDX_MCE BIT(7)
#define CPUID_1_EDX_MTRR BIT(12)
#define CPUID_1_EDX_MCA BIT(14)
#define CPUID_1_EDX_APIC BIT(9)
#define CPUID_1_EDX_DS BIT(21)
#define CPUID_1_EDX_ACPI BIT(22)
#define CPUID_7_EBX_TSC_ADJUST BIT(1)
#define CPUID_7_EBX_RTM BIT(11)
#define CPUID_7_EBX_HLE BIT(4)
#define CPUID_7_ECX_WAITPKG BIT(5)
/* leaf 7: everything that needs XSAVE-managed state (AVX2, AVX-512 family, PKU/OSPKE, AMX) */
#define CPUID_7_EBX_XSTATE (BIT(5) | BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))
#define CPUID_7_ECX_XSTATE (BIT(1) | BIT(3) | BIT(4) | BIT(6) | BIT(8) | BIT(9) | BIT(10) | BIT(11) | BIT(12) | BIT(14))
#define CPUID_7_EDX_XSTATE (BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24))
/* leaf 7 EDX: MD_CLEAR(10), IBRS/IBPB(26), STIBP(27), L1D_FLUSH(28), ARCH_CAPABILITIES(29), CORE_CAP(30), SSBD(31) */
#define CPUID_7_EDX_SPEC_CTRL_MSRS (BIT(10) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(30) | BIT(31))
#define HYPERVISOR_LEAF_MAX 0x40000001

static void cpuid_for_guest(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	uint32_t host_max = cpuid(0).eax;

	if (leaf >= 0x40000000 && leaf < 0x50000000) {
		*r = (struct cpuid_regs){ 0 };
		if (leaf == 0x40000000) {
			const char *sig = BALLAST_CPUID_SIGNATURE;
			r->eax = HYPERVISOR_LEAF_MAX;
			r->ebx = *(const uint32_t *)&sig[0];
			r->ecx = *(const uint32_t *)&sig[4];
			r->edx = *(const uint32_t *)&sig[8];
		} else if (leaf == BALLAST_CPUID_FEATURES) {
			r->eax = BALLAST_FEATURE_BALLOON;
		}
		return;
	}
	if (leaf < 0x80000000 && leaf > host_max && leaf != 0x15 && leaf != 0x16) {
		*r = (struct cpuid_regs){ 0 };
		return;
	}
	*r = cpuid_count(leaf, sub);
	switch (leaf) {
	case 0:
		if (r->eax < 0x16)
			r->eax = 0x16; /* so the TSC leaves below are visible */
		break;
	case 1:
		r->ecx &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_MONITOR | CPUID_1_ECX_PDCM | CPUID_1_ECX_X2APIC |
			    CPUID_1_ECX_TSC_DEADLINE | CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX |
			    CPUID_1_ECX_F16C | CPUID_1_ECX_FMA);
		r->ecx |= CPUID_1_ECX_HYPERVISOR;
		r->edx &= ~(CPUID_1_EDX_MTRR | CPUID_1_EDX_APIC | CPUID_1_EDX_DS | CPUID_1_EDX_ACPI | CPUID_1_EDX_MCE |
			    CPUID_1_EDX_MCA); /* no machine-check banks to read */
		r->ebx &= 0x0000ffff; /* one logical processor, initial APIC id 0 */
		break;
	case 5:	 /* MONITOR/MWAIT */
	case 6:	 /* thermal and power management (APERF/MPERF) */
	case 0xa: /* architectural performance monitoring */
	case 0xd: /* XSAVE state components */
		*r = (struct cpuid_regs){ 0 };
		break;
	case 7:
		if (sub == 0) {
			r->ebx &= ~(CPUID_7_EBX_TSC_ADJUST | CPUID_7_EBX_RTM | CPUID_7_EBX_HLE | CPUID_7_EBX_XSTATE);
			r->ecx &= ~(CPUID_7_ECX_WAITPKG | CPUID_7_ECX_XSTATE);
			r->edx &= ~(CPUID_7_EDX_SPEC_CTRL_MSRS | CPUID_7_EDX_XSTATE);
		}
		break;
	case 0x15: /* TSC/crystal ratio: TSC = ECX * EBX / EAX; we say crystal = TSC, ratio 1/1 */
		r->eax = 1;
		r->ebx = 1;
		r->ecx = (uint32_t)tsc_hz;
		r->edx = 0;
		break;
	case 0x16: /* base, max and bus frequency in MHz */
		r->eax = r->ebx = (uint32_t)(tsc_hz / 1000000);
		r->ecx = 100;
		r->edx = 0;
		break;
	}
}

enum exit_action handle_cpuid(struct vm *vm, const struct exit_info *e)
{
	struct guest_regs *g = &vm->vcpu.regs;
	struct cpuid_regs r;

	cpuid_for_guest((uint32_t)g->rax, (uint32_t)g->rcx, &r);
	g->rax = r.eax;
	g->rbx = r.ebx;
	g->rcx = r.ecx;
	g->rdx = r.edx;
	vcpu_skip_instruction(vm, e);
	return EXIT_RESUME;
}
