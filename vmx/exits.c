/*
 * The VM-exit dispatch table and the handlers that need nothing but the VMCS and the virtual platform.  The
 * default is loud: an exit without a handler dumps the vCPU and stops that VM, never the hypervisor.
 */
#include <ballast/compiler.h>
#include <ballast/errno.h>
#include <uapi/ballast_hypercall.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vmx/exit.h"
#include "vmx/vmx.h"
#include "vmx/vmx_hw.h"
#include "vmx/vmx_insn.h"

#define MEM_WAIT_NS 1000000ULL /* 1 ms: how long a VM waiting for memory stays off the CPU before it retries */
#define SWAP_WAIT_NS 50000ULL /* 50 us: a vCPU whose page is being read from swap checks again this often */

void vcpu_skip_instruction(struct vm *vm, const struct exit_info *e)
{
	vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + e->instr_len);
	/* Skipping an instruction ends any STI or MOV-SS interrupt shadow it created. */
	uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

void vcpu_inject_exception(struct vm *vm, uint8_t vector, bool has_error, uint32_t error)
{
	uint32_t info = vector | (INTR_TYPE_HW_EXCEPTION << 8) | INTR_INFO_VALID | (has_error ? INTR_INFO_ERROR_CODE : 0);

	vm->vcpu.reinject_info = info;
	vm->vcpu.reinject_error = error;
	vm->vcpu.reinject_len = 0;
}

static uint64_t *gpr(struct vm *vm, unsigned index)
{
	struct guest_regs *g = &vm->vcpu.regs;
	uint64_t *table[16] = { &g->rax, &g->rcx, &g->rdx, &g->rbx, 0, &g->rbp, &g->rsi, &g->rdi,
				&g->r8,	 &g->r9,  &g->r10, &g->r11, &g->r12, &g->r13, &g->r14, &g->r15 };
	return table[index & 15];
}

static uint64_t read_gpr(struct vm *vm, unsigned index)
{
	return index == 4 ? vmread(VMCS_GUEST_RSP) : *gpr(vm, index);
}

static void write_gpr(struct vm *vm, unsigned index, uint64_t v)
{
	if (index == 4)
		vmwrite(VMCS_GUEST_RSP, v);
	else
		*gpr(vm, index) = v;
}

void vcpu_dump(struct vm *vm)
{
	struct guest_regs *g = &vm->vcpu.regs;

	printk("vm %s: RIP=%016llx RSP=%016llx RFLAGS=%08llx CS=%04llx (AR %05llx) SS=%04llx\n", vm->name,
	       (unsigned long long)vmread(VMCS_GUEST_RIP), (unsigned long long)vmread(VMCS_GUEST_RSP),
	       (unsigned long long)vmread(VMCS_GUEST_RFLAGS), (unsigned long long)vmread(VMCS_GUEST_CS_SEL),
	       (unsigned long long)vmread(VMCS_GUEST_CS_AR), (unsigned long long)vmread(VMCS_GUEST_SS_SEL));
	printk("vm %s: CR0=%llx (shadow %llx) CR3=%llx CR4=%llx (shadow %llx) EFER=%llx CR2=%llx\n", vm->name,
	       (unsigned long long)vmread(VMCS_GUEST_CR0), (unsigned long long)vmread(VMCS_CR0_READ_SHADOW),
	       (unsigned long long)vmread(VMCS_GUEST_CR3), (unsigned long long)vmread(VMCS_GUEST_CR4),
	       (unsigned long long)vmread(VMCS_CR4_READ_SHADOW), (unsigned long long)vmread(VMCS_GUEST_EFER),
	       (unsigned long long)g->cr2);
	printk("vm %s: RAX=%llx RBX=%llx RCX=%llx RDX=%llx RSI=%llx RDI=%llx RBP=%llx\n", vm->name,
	       (unsigned long long)g->rax, (unsigned long long)g->rbx, (unsigned long long)g->rcx,
	       (unsigned long long)g->rdx, (unsigned long long)g->rsi, (unsigned long long)g->rdi,
	       (unsigned long long)g->rbp);
	printk("vm %s: R8=%llx R9=%llx R10=%llx R11=%llx R12=%llx R13=%llx R14=%llx R15=%llx\n", vm->name,
	       (unsigned long long)g->r8, (unsigned long long)g->r9, (unsigned long long)g->r10,
	       (unsigned long long)g->r11, (unsigned long long)g->r12, (unsigned long long)g->r13,
	       (unsigned long long)g->r14, (unsigned long long)g->r15);
	printk("vm %s: interruptibility=%llx activity=%llx IDT-vectoring=%llx entry-intr=%llx\n", vm->name,
	       (unsigned long long)vmread(VMCS_GUEST_INTERRUPTIBILITY),
	       (unsigned long long)vmread(VMCS_GUEST_ACTIVITY_STATE),
	       (unsigned long long)vmread(VMCS_IDT_VECTORING_INFO), (unsigned long long)vmread(VMCS_ENTRY_INTR_INFO));
}

static enum exit_action stop_with_dump(struct vm *vm, const struct exit_info *e, const char *why)
{
	printk("vm %s: %s: exit reason %u (%s), qualification 0x%llx, guest-physical 0x%llx\n", vm->name, why,
	       e->reason & 0xffff, vmx_exit_reason_name(e->reason & 0xffff), (unsigned long long)e->qualification,
	       (unsigned long long)e->guest_phys);
	vcpu_dump(vm);
	vm_stop(vm, why);
	return EXIT_STOP;
}

static enum exit_action handle_unexpected(struct vm *vm, const struct exit_info *e)
{
	return stop_with_dump(vm, e, "unhandled VM exit");
}

static enum exit_action handle_triple_fault(struct vm *vm, const struct exit_info *e)
{
	return stop_with_dump(vm, e, "triple fault");
}

static enum exit_action handle_init(struct vm *vm, const struct exit_info *e)
{
	return stop_with_dump(vm, e, "INIT signal (reset)");
}

static enum exit_action handle_nothing(struct vm *vm, const struct exit_info *e)
{
	/* Interrupt window, preemption timer, external interrupt: the run loop does the work before the next entry. */
	return EXIT_RESUME;
}

static enum exit_action handle_skip(struct vm *vm, const struct exit_info *e)
{
	/* INVD, WBINVD, PAUSE: nothing to do for a guest whose memory is always coherent write-back. */
	vcpu_skip_instruction(vm, e);
	return EXIT_RESUME;
}

static enum exit_action handle_ud(struct vm *vm, const struct exit_info *e)
{
	/* VMX instructions, MONITOR/MWAIT, GETSEC: not offered to guests (CPUID says so), so #UD as hardware would. */
	vcpu_inject_ud(vm);
	return EXIT_RESUME;
}

static enum exit_action handle_rdpmc(struct vm *vm, const struct exit_info *e)
{
	vcpu_inject_gp(vm);
	return EXIT_RESUME;
}

static enum exit_action handle_hlt(struct vm *vm, const struct exit_info *e)
{
	vcpu_skip_instruction(vm, e);
	if (!(vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
		/* HLT with interrupts off and no NMI source: the guest has stopped for good (Linux's halt and
		 * power-off paths end this way when there is no ACPI). */
		vm_stop(vm, "halted with interrupts disabled (guest shut down)");
		return EXIT_STOP;
	}
	vm->vcpu.halted = true;
	return EXIT_RESUME;
}

static enum exit_action handle_cr(struct vm *vm, const struct exit_info *e)
{
	unsigned cr = e->qualification & 15, type = (e->qualification >> 4) & 3, reg = (e->qualification >> 8) & 15;

	if (type == 0 && cr == 0) {
		uint64_t v = read_gpr(vm, reg), old = vmread(VMCS_CR0_READ_SHADOW);
		if ((v & CR0_PG) && !(v & CR0_PE)) {
			vcpu_inject_gp(vm);
			return EXIT_RESUME;
		}
		vmwrite(VMCS_CR0_READ_SHADOW, v);
		/* The guest may ask for caching off; the machine keeps it on (the guest cannot tell, its memory is
		 * always write-back through EPT). */
		uint64_t real = ((v | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_caps.cr0_fixed1) & ~(CR0_CD | CR0_NW);
		vmwrite(VMCS_GUEST_CR0, real);
		uint64_t efer = vmread(VMCS_GUEST_EFER);
		if ((v ^ old) & CR0_PG) {
			/* Paging toggled with EFER.LME set enters or leaves IA-32e mode (SDM Vol. 3A §10.8.5). */
			if ((v & CR0_PG) && (efer & EFER_LME))
				efer |= EFER_LMA;
			else if (!(v & CR0_PG))
				efer &= ~EFER_LMA;
			vmwrite(VMCS_GUEST_EFER, efer);
			if (efer & EFER_LMA)
				vm->vcpu.entry_controls |= ENTRY_IA32E_MODE_GUEST;
			else
				vm->vcpu.entry_controls &= ~ENTRY_IA32E_MODE_GUEST;
			vmwrite(VMCS_ENTRY_CONTROLS, vm->vcpu.entry_controls);
		}
	} else if (type == 0 && cr == 4) {
		uint64_t v = read_gpr(vm, reg);
		if ((v & (CR4_VMXE | CR4_OSXSAVE)) || (v & ~vmx_caps.cr4_fixed1)) {
			vcpu_inject_gp(vm); /* VMX and XSAVE are not offered to guests; unknown bits fault as on hardware */
			return EXIT_RESUME;
		}
		vmwrite(VMCS_CR4_READ_SHADOW, v);
		vmwrite(VMCS_GUEST_CR4, (v | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	} else if (type == 0 && cr == 8) {
		/* no local APIC: the task priority is accepted and ignored */
	} else if (type == 1 && cr == 8) {
		write_gpr(vm, reg, 0);
	} else if (type == 2) { /* CLTS */
		vmwrite(VMCS_CR0_READ_SHADOW, vmread(VMCS_CR0_READ_SHADOW) & ~CR0_TS);
		vmwrite(VMCS_GUEST_CR0, vmread(VMCS_GUEST_CR0) & ~CR0_TS);
	} else if (type == 3) { /* LMSW: low four bits of CR0, cannot clear PE */
		uint64_t src = (e->qualification >> 16) & 0xf;
		uint64_t shadow = vmread(VMCS_CR0_READ_SHADOW);
		uint64_t v = (shadow & ~0xeULL) | (src & 0xf) | (shadow & CR0_PE);
		vmwrite(VMCS_CR0_READ_SHADOW, v);
		vmwrite(VMCS_GUEST_CR0, (vmread(VMCS_GUEST_CR0) & ~0xfULL) | (v & 0xf) | CR0_PE);
	} else {
		return stop_with_dump(vm, e, "unexpected control-register access");
	}
	vcpu_skip_instruction(vm, e);
	return EXIT_RESUME;
}

static enum exit_action handle_io(struct vm *vm, const struct exit_info *e)
{
	unsigned size = (e->qualification & 7) + 1;
	bool in = e->qualification & BIT(3), string = e->qualification & BIT(4);
	uint16_t port = e->qualification >> 16;

	if (string)
		return stop_with_dump(vm, e, "string I/O (INS/OUTS) is not supported by the virtual platform");
	uint32_t val = in ? 0 : (uint32_t)vm->vcpu.regs.rax;
	if (!in && size < 4)
		val &= (1u << (size * 8)) - 1;
	pio_dispatch(vm, port, size, in, &val);
	if (in) {
		uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;
		/* A 32-bit IN zero-extends into RAX; 8- and 16-bit INs keep the other bits, as hardware does. */
		vm->vcpu.regs.rax = size == 4 ? val : (vm->vcpu.regs.rax & ~mask) | (val & mask);
	}
	vcpu_skip_instruction(vm, e);
	return EXIT_RESUME;
}

static enum exit_action handle_ept_violation(struct vm *vm, const struct exit_info *e)
{
	ppn_t ppn = gpa_to_ppn(e->guest_phys);

	if (vmx_elide_zero_store(vm, e)) /* zeros onto a page that reads as zeros: no machine page needed */
		return EXIT_RESUME;
	int err = vm_fault(vm, ppn, e->qualification & EPT_QUAL_WRITE);

	if (err == 0)
		return EXIT_RESUME;
	if (err == -EAGAIN) { /* its page is coming back from swap: only this vCPU waits (kernel/swap_io.c) */
		vm->stats.swap_waits++;
		vm->wait_until_tsc = rdtsc() + ns_to_tsc(SWAP_WAIT_NS);
		return EXIT_RESUME;
	}
	if (err == -EIO) /* an earlier swap-in of this VM failed: its memory cannot be trusted (kernel/swap_io.c) */
		return stop_with_dump(vm, e, "a page of this VM could not be read back from swap");
	if (err == -ENOMEM || err == -EBUSY) {
		/* No machine page now, or the VM is blocked above its target in the low state: the access is retried
		 * after reclamation has had a chance (the scheduler runs others and the memory manager meanwhile). */
		if (!vm->stats.mem_waits++)
			printk("vm %s: waiting for machine memory (%s)\n", vm->name, errno_name(err));
		vm->wait_until_tsc = rdtsc() + ns_to_tsc(MEM_WAIT_NS);
		return EXIT_RESUME;
	}
	const char *access = e->qualification & EPT_QUAL_WRITE ? "write" : e->qualification & EPT_QUAL_FETCH ? "fetch" : "read";
	printk("vm %s: %s at guest-physical 0x%llx outside its %llu MiB of RAM (%s)\n", vm->name, access,
	       (unsigned long long)e->guest_phys, (unsigned long long)(vm->mem_bytes >> 20), errno_name(err));
	return stop_with_dump(vm, e, err == -EFAULT ? "access outside guest memory" : "cannot back guest memory");
}

static enum exit_action handle_ept_misconfig(struct vm *vm, const struct exit_info *e)
{
	return stop_with_dump(vm, e, "EPT misconfiguration (a bug in ballast's EPT code)");
}

static enum exit_action handle_xsetbv(struct vm *vm, const struct exit_info *e)
{
	/* XSAVE is hidden from guests (vmx/cpuid.c) and CR4.OSXSAVE cannot be set, so the CPU raises #UD before
	 * XSETBV could exit; should a CPU exit anyway, answer as one without XSAVE would. */
	vcpu_inject_ud(vm);
	return EXIT_RESUME;
}


static enum exit_action handle_entry_failure(struct vm *vm, const struct exit_info *e)
{
	return stop_with_dump(vm, e, e->reason == EXIT_INVALID_GUEST_STATE ? "VM entry failed: invalid guest state"
				     : e->reason == EXIT_MSR_LOADING	   ? "VM entry failed: MSR loading"
									   : "VM entry failed: machine check");
}

typedef enum exit_action (*exit_handler_t)(struct vm *vm, const struct exit_info *e);

static const exit_handler_t handlers[NR_EXIT_REASONS] = {
	[EXIT_EXTERNAL_INTERRUPT] = handle_nothing,
	[EXIT_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_INIT] = handle_init,
	[EXIT_INTERRUPT_WINDOW] = handle_nothing,
	[EXIT_CPUID] = handle_cpuid,
	[EXIT_GETSEC] = handle_ud,
	[EXIT_HLT] = handle_hlt,
	[EXIT_INVD] = handle_skip,
	[EXIT_RDPMC] = handle_rdpmc,
	[EXIT_VMCALL] = handle_vmcall,
	[EXIT_VMCLEAR] = handle_ud,
	[EXIT_VMLAUNCH] = handle_ud,
	[EXIT_VMPTRLD] = handle_ud,
	[EXIT_VMPTRST] = handle_ud,
	[EXIT_VMREAD] = handle_ud,
	[EXIT_VMRESUME] = handle_ud,
	[EXIT_VMWRITE] = handle_ud,
	[EXIT_VMXOFF] = handle_ud,
	[EXIT_VMXON] = handle_ud,
	[EXIT_INVEPT] = handle_ud,
	[EXIT_INVVPID] = handle_ud,
	[EXIT_VMFUNC] = handle_ud,
	[EXIT_CR_ACCESS] = handle_cr,
	[EXIT_IO_INSTRUCTION] = handle_io,
	[EXIT_RDMSR] = handle_rdmsr,
	[EXIT_WRMSR] = handle_wrmsr,
	[EXIT_INVALID_GUEST_STATE] = handle_entry_failure,
	[EXIT_MSR_LOADING] = handle_entry_failure,
	[EXIT_MACHINE_CHECK] = handle_entry_failure,
	[EXIT_MWAIT] = handle_ud,
	[EXIT_MONITOR] = handle_ud,
	[EXIT_PAUSE] = handle_skip,
	[EXIT_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_PREEMPTION_TIMER] = handle_nothing,
	[EXIT_WBINVD] = handle_skip,
	[EXIT_XSETBV] = handle_xsetbv,
};

enum exit_action vmx_handle_exit(struct vm *vm, const struct exit_info *e)
{
	unsigned basic = e->reason & 0xffff;
	exit_handler_t h = basic < NR_EXIT_REASONS ? handlers[basic] : 0;

	return (h ? h : handle_unexpected)(vm, e);
}
