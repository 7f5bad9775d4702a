/*
 * A virtual machine: its memory (EPT and the pages backing it), one vCPU, its virtual platform, and what it has done.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/page.h>
#include "vdev/pic.h"
#include "vdev/pit.h"
#include "vdev/rtc.h"
#include "vdev/uart.h"
#include "vdev/vdev.h"
#include "vmx/ept.h"
#include "vmx/vmcs_fields.h"

#define VM_NAME_MAX 15

/* General registers the VMCS does not hold; the layout is shared with vmx/vmx_entry.asm. */
struct guest_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t cr2;
};

struct vcpu {
	struct guest_regs regs;
	uint64_t vmcs;	     /* machine address of the VMCS region */
	uint64_t io_bitmap;  /* two pages: ports 0-0x7fff, 0x8000-0xffff */
	uint64_t msr_bitmap; /* one page */
	bool launched;
	uint16_t vpid;
	uint64_t xcr0;	     /* guest XCR0 (set by XSETBV) */
	uint32_t entry_controls;
	uint32_t proc_controls;
	/* MSRs the VMCS does not switch, kept here while another VM or the host runs */
	uint64_t kernel_gs_base, star, lstar, cstar, sfmask, tsc_aux;
	/* an event that must be re-delivered because its delivery was cut short by a VM exit */
	uint32_t reinject_info, reinject_error, reinject_len;
	bool halted;	     /* executed HLT; sleeps until an interrupt is due */
};

enum vm_state {
	VM_CREATED,
	VM_RUNNING,
	VM_STOPPED, /* finished (powered off) or failed: resources released */
};

struct vm_stats {
	uint64_t exits[NR_EXIT_REASONS];
	uint64_t exits_total;
	uint64_t pages_backed;	  /* guest pages given machine pages on first touch */
	uint64_t unclaimed_pio;
	uint64_t injected_irqs;
	uint64_t start_tsc, stop_tsc;
};

struct vm {
	char name[VM_NAME_MAX + 1];
	unsigned id;
	enum vm_state state;
	const char *stop_reason;
	uint64_t mem_bytes;	  /* the RAM the guest sees ("max") */
	uint64_t npages;
	struct ept ept;
	uint64_t p2m_table;	  /* machine address of the PPN -> machine address array (until mm/ takes over) */
	uint64_t p2m_pages;
	struct vcpu vcpu;
	struct pio_table pio;
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	struct vuart uart;
	struct vm_stats stats;
};

/* Guest memory access by the hypervisor (loader, hypercalls): backs pages on demand. */
int vm_write(struct vm *vm, uint64_t gpa, const void *src, uint64_t len);
int vm_read(struct vm *vm, uint64_t gpa, void *dst, uint64_t len);
/* Back a guest page on first touch (EPT violation).  -EFAULT if gpa is outside the VM's memory. */
int vm_back_page(struct vm *vm, ppn_t ppn);

int vm_create(struct vm *vm, const char *name, unsigned id, uint64_t mem_bytes);
/* Run until the VM stops; returns 0 on a clean power-off, negative when it failed (the reason is logged). */
int vm_run(struct vm *vm);
/* Stop the VM with a report; it will not run again.  Its memory is released by vm_destroy(). */
void vm_stop(struct vm *vm, const char *why);
void vm_destroy(struct vm *vm);
void vm_print_exit_stats(struct vm *vm);

#endif
