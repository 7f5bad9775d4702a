/*
 * RDMSR/WRMSR for the MSRs that exit (everything not passed through in vcpu.c's bitmap).  Known MSRs are emulated;
 * an unknown one gets #GP, exactly what real hardware does for an MSR it lacks, and Linux probes with the "safe"
 * accessors that expect it.  Each unknown MSR is logged once per VM.
 */
#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vmx/exit.h"
#include "vmx/vmx_hw.h"
#include "vmx/vmx_insn.h"

#define MSR_IA32_MTRRCAP 0xfe
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_IA32_MTRR_DEF_TYPE 0x2ff
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_PLATFORM_INFO 0xce
#define MSR_IA32_UCODE_REV 0x8b
#define MSR_IA32_BIOS_SIGN_ID 0x8b
#define MSR_IA32_XSS 0xda0
#define MISC_ENABLE_FAST_STRING BIT(0)
#define MISC_ENABLE_BTS_UNAVAIL BIT(11)
#define MISC_ENABLE_PEBS_UNAVAIL BIT(12)

static void log_unknown(struct vm *vm, const char *op, uint32_t msr)
{
	printk("vm %s: %s of unknown MSR 0x%x: #GP\n", vm->name, op, msr);
}

enum exit_action handle_rdmsr(struct vm *vm, const struct exit_info *e)
{
	struct guest_regs *g = &vm->vcpu.regs;
	uint32_t msr = (uint32_t)g->rcx;
	uint64_t v;

	switch (msr) {
	case MSR_EFER:
		v = vmread(VMCS_GUEST_EFER);
		break;
	case MSR_IA32_PAT:
		v = vmread(VMCS_GUEST_PAT);
		break;
	case MSR_IA32_TSC:
		v = rdtsc();
		break;
	case MSR_IA32_FEATURE_CONTROL:
		v = FEATURE_CONTROL_LOCKED; /* locked with VMX off: guests cannot nest */
		break;
	case MSR_IA32_MISC_ENABLE:
		v = MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
		break;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_MTRRCAP:
	case MSR_IA32_MTRR_DEF_TYPE:
	case MSR_IA32_XSS:
	case MSR_IA32_DEBUGCTL:
		v = 0;
		break;
	default:
		log_unknown(vm, "read", msr);
		vcpu_inject_gp(vm);
		return EXIT_RESUME;
	}
	g->rax = (uint32_t)v;
	g->rdx = v >> 32;
	vcpu_skip_instruction(vm, e);
	return EXIT_RESUME;
}

enum exit_action handle_wrmsr(struct vm *vm, const struct exit_info *e)
{
	struct guest_regs *g = &vm->vcpu.regs;
	uint32_t msr = (uint32_t)g->rcx;
	uint64_t v = (g->rdx << 32) | (uint32_t)g->rax;

	switch (msr) {
	case MSR_EFER: {
		/* LMA is the CPU's to set; LME with paging on switches modes, which the entry control must follow. */
		uint64_t old = vmread(VMCS_GUEST_EFER);
		v = (v & ~EFER_LMA) | (old & EFER_LMA);
		if ((v & EFER_LME) && (vmread(VMCS_CR0_READ_SHADOW) & CR0_PG))
			v |= EFER_LMA;
		vmwrite(VMCS_GUEST_EFER, v);
		if (v & EFER_LMA)
			vm->vcpu.entry_controls |= ENTRY_IA32E_MODE_GUEST;
		else
			vm->vcpu.entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
		vmwrite(VMCS_ENTRY_CONTROLS, vm->vcpu.entry_controls);
		break;
	}
	case MSR_IA32_PAT:
		vmwrite(VMCS_GUEST_PAT, v);
		break;
	case MSR_IA32_MTRR_DEF_TYPE:
	case MSR_IA32_XSS:
	case MSR_IA32_DEBUGCTL:
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_TSC_DEADLINE:
	case MSR_IA32_MISC_ENABLE:
		break; /* accepted and ignored: nothing behind them in the virtual platform */
	default:
		log_unknown(vm, "write", msr);
		vcpu_inject_gp(vm);
		return EXIT_RESUME;
	}
	vcpu_skip_instruction(vm, e);
	return EXIT_RESUME;
}
