/*
 * vCPU setup on VT-x: the VMCS (controls adjusted against the capability MSRs, host state, initial guest state),
 * the I/O and MSR bitmaps, and the entry used by the run loop.
 */
#ifndef VMX_VCPU_H
#define VMX_VCPU_H

#include <stdint.h>

struct vm;

/* The guest's state at its first instruction, in one of the two modes the Linux loader uses. */
struct vcpu_boot_state {
	bool long_mode;	     /* 64-bit boot protocol: paging on, CS = 64-bit code */
	uint64_t rip, rsp, rsi, rbx;
	uint64_t cr3;	     /* guest page tables (long mode) */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs, ds;     /* selectors of the code and data descriptors in that GDT */
};

int vcpu_init(struct vm *vm, const struct vcpu_boot_state *boot);
void vcpu_destroy(struct vm *vm);
/* Make this VM's VMCS current on the CPU. */
void vcpu_load(struct vm *vm);
/* Enter the guest until the next VM exit; returns 0, or <0 if the entry itself failed (reported). */
int vcpu_enter(struct vm *vm);

#endif
