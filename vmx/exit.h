/*
 * VM-exit handling: one handler per exit reason, dispatched from a table.  A handler returns EXIT_RESUME to
 * re-enter the guest or EXIT_STOP after stopping the VM (vm_stop, with the reason).  Helpers for the handlers:
 * skipping the exiting instruction and injecting exceptions.
 */
#ifndef VMX_EXIT_H
#define VMX_EXIT_H

#include <stdint.h>

struct vm;

enum exit_action { EXIT_RESUME, EXIT_STOP };

struct exit_info {
	uint32_t reason;
	uint64_t qualification;
	uint64_t guest_phys;
	uint32_t instr_len;
};

enum exit_action vmx_handle_exit(struct vm *vm, const struct exit_info *e);
void vcpu_dump(struct vm *vm);

void vcpu_skip_instruction(struct vm *vm, const struct exit_info *e);
void vcpu_inject_exception(struct vm *vm, uint8_t vector, bool has_error, uint32_t error);
static inline void vcpu_inject_gp(struct vm *vm) { vcpu_inject_exception(vm, 13, true, 0); }
static inline void vcpu_inject_ud(struct vm *vm) { vcpu_inject_exception(vm, 6, false, 0); }

/* vmx/cpuid.c, vmx/msr.c */
enum exit_action handle_cpuid(struct vm *vm, const struct exit_info *e);
enum exit_action handle_rdmsr(struct vm *vm, const struct exit_info *e);
enum exit_action handle_wrmsr(struct vm *vm, const struct exit_info *e);
/* vmx/hypercall.c */
enum exit_action handle_vmcall(struct vm *vm, const struct exit_info *e);
/* vmx/zero_store.c: an EPT write violation that is a REP STOS of zeros onto a page reading as zeros, completed
 * without backing the page.  True if it was one (the guest resumes past it). */
bool vmx_elide_zero_store(struct vm *vm, const struct exit_info *e);

/* ballast's CPUID signature at leaf 0x40000000 (EBX, ECX, EDX), shared with the guest module's detection */
#define BALLAST_CPUID_SIGNATURE "BallastHVBHV"

#endif
