/*
 * A virtual machine: its memory (EPT and the pages backing it), one vCPU, its virtual platform, and what it has done.
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/compiler.h>
#include <ballast/page.h>
#include "vdev/pic.h"
#include "vdev/pit.h"
#include "vdev/rtc.h"
#include "vdev/uart.h"
#include "vdev/vdev.h"
#include "mm/mm.h"
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
	/* State the VMCS does not switch, kept here while another VM runs (kernel/vm_switch.c): the syscall MSRs
	 * and the x87/SSE registers (the hypervisor itself never touches the FPU; XSAVE is hidden from guests). */
	uint64_t kernel_gs_base, star, lstar, cstar, sfmask, tsc_aux;
	uint8_t fxsave[512] __aligned(16);
	/* an event that must be re-delivered because its delivery was cut short by a VM exit */
	uint32_t reinject_info, reinject_error, reinject_len;
	bool halted;	     /* executed HLT; sleeps until an interrupt is due */
	bool hc_ready;	     /* the guest completed the hypercall VERSION handshake */
};

enum vm_state {
	VM_CREATED,
	VM_RUNNING,
	VM_STOPPED, /* finished (powered off) or failed: resources released */
};

struct vm_stats {
	uint64_t exits[NR_EXIT_REASONS];
	uint64_t exits_total;
	uint64_t pages_backed;	  /* EPT violations the memory manager resolved */
	uint64_t zero_stores_elided; /* pages a guest zeroed that stayed unbacked (vmx/zero_store.c) */
	uint64_t mem_waits;	  /* EPT violations that had to wait for reclamation */
	uint64_t swap_waits;	  /* EPT violations that waited for their page to come back from swap */
	uint64_t hypercalls, hypercall_errors;
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
	struct mm_vm *mm;	  /* its pmap, balloon, sampler and allocation parameters in the memory manager */
	struct ept ept;		  /* the pmap's hardware copy, changed only through the mm core's ops */
	struct vcpu vcpu;
	/* scheduling (kernel/sched.c) */
	uint64_t next_event_tsc;  /* when its virtual timer next fires */
	uint64_t wait_until_tsc;  /* waiting for memory: do not run before this */
	struct pio_table pio;
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	struct vuart uart;
	struct vm_stats stats;
	struct {		  /* the balloon driver's last STATS call, in pages */
		uint64_t free_pages, available_pages, balloon_pages, alloc_failures, reports;
	} guest_stats;
};

/* What a VM is made of: vm_create() takes it, the configuration file (or the legacy module form) gives it. */
struct vm_params {
	const char *name;
	uint64_t max_bytes, min_bytes; /* whole pages */
	uint32_t shares;
};

/* Guest memory access by the hypervisor (loader, hypercalls): backs pages on demand through the mm core. */
int vm_write(struct vm *vm, uint64_t gpa, const void *src, uint64_t len);
int vm_read(struct vm *vm, uint64_t gpa, void *dst, uint64_t len);
/* An EPT violation: let the mm core back, share-break, swap in or sample the page.  mm_fault()'s errors. */
int vm_fault(struct vm *vm, ppn_t ppn, bool write);

/* Admission control (mm core), EPT, devices.  -ENOSPC when the VM does not fit (reason logged), -EINVAL bad params. */
int vm_create(struct vm *vm, const struct vm_params *p, unsigned id);
/* Run vm's vCPU until slice_end (TSC), it halts with nothing due before slice_end (unless may_sleep: then the CPU
 * sleeps in the halted guest until slice_end), or it stops.  The caller made it current (vm_switch_to).
 * Returns true if it still wants the CPU (not halted, not stopped). */
bool vm_run_slice(struct vm *vm, uint64_t slice_end, bool may_sleep);
/* Can the vCPU make progress now?  (Not halted or an interrupt is due, and not waiting for memory.) */
bool vm_runnable(struct vm *vm, uint64_t now);
/* Make vm the VM on this CPU: its VMCS current, its syscall MSRs and FPU registers loaded. */
void vm_switch_to(struct vm *vm);
/* Once at boot, before the first VM is created: let FXSAVE cover the SSE registers. */
void vm_switch_init(void);
/* vm is going away: its state need not (must not) be saved at the next switch. */
void vm_switch_forget(struct vm *vm);
/* Stop the VM with a report; it will not run again.  Its memory is released by vm_destroy(). */
void vm_stop(struct vm *vm, const char *why);
/* Release its memory to the pool (mm core), its EPT, VMCS and devices.  Safe on a VM that never started. */
void vm_destroy(struct vm *vm);
void vm_print_exit_stats(struct vm *vm);

#endif
