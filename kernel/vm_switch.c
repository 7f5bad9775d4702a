/*
 * Switching the CPU from one VM to another.  The VMCS switches most guest state on entry and exit; what it does not
 * switch must be saved and loaded here:
 *   - the syscall MSRs (KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK) and TSC_AUX, which guests use directly
 *     through the MSR bitmap (vmx/vcpu.c) and the hypervisor itself never uses;
 *   - the x87/MMX/SSE registers: the hypervisor is built without SSE and never touches them, so they stay the
 *     running guest's until another guest needs the CPU (FXSAVE/FXRSTOR; XSAVE is hidden from guests);
 *   - CR2, which vmx/vmx_entry.asm loads and saves on every entry and exit with the general registers.
 * Debug registers DR0-DR3/DR6 are not switched: the virtual platform offers no debugging to guests yet.
 */
#include "arch/x86_64/cpu.h"
#include "kernel/vm.h"
#include "vmx/vcpu.h"

static struct vm *current;

static void save(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	v->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	v->star = rdmsr(MSR_STAR);
	v->lstar = rdmsr(MSR_LSTAR);
	v->cstar = rdmsr(MSR_CSTAR);
	v->sfmask = rdmsr(MSR_SFMASK);
	v->tsc_aux = rdmsr(MSR_TSC_AUX);
	fxsave(v->fxsave);
}

static void load(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	wrmsr(MSR_KERNEL_GS_BASE, v->kernel_gs_base);
	wrmsr(MSR_STAR, v->star);
	wrmsr(MSR_LSTAR, v->lstar);
	wrmsr(MSR_CSTAR, v->cstar);
	wrmsr(MSR_SFMASK, v->sfmask);
	wrmsr(MSR_TSC_AUX, v->tsc_aux);
	fxrstor(v->fxsave);
	vcpu_load(vm);
}

void vm_switch_init(void)
{
	/* FXSAVE/FXRSTOR cover the XMM registers only with CR4.OSFXSR set. */
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	write_cr0(read_cr0() & ~CR0_EM);
}

void vm_switch_to(struct vm *vm)
{
	if (current == vm)
		return;
	if (current && current->state != VM_STOPPED)
		save(current);
	current = vm;
	load(vm);
}

void vm_switch_forget(struct vm *vm)
{
	if (current == vm)
		current = 0;
}
