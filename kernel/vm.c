/*
 * VM lifecycle and the run loop.
 *
 * Memory: a guest page gets a zeroed machine page the first time it is touched (EPT violation) or written by the
 * hypervisor (loader).  Until the memory-manager core drives this (pmap, sharing, balloon), the VM keeps its own
 * PPN -> MPN array so that every page it got can be returned when it stops.
 *
 * Time and interrupts: before every entry the run loop advances the virtual PIT to "now", delivers the highest
 * priority pending PIC interrupt if the guest can take it (else asks for an interrupt-window exit), and arms the
 * VMX-preemption timer for the next virtual timer event, so the guest is interrupted exactly when its PIT would
 * fire.  A guest that executed HLT is entered in the HLT activity state: the CPU sleeps in the guest until the
 * preemption timer expires, which on an emulator lets time skip ahead.
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"
#include "vmx/vmx_hw.h"
#include "vmx/vmx_insn.h"

#define TIME_SLICE_NS 10000000ULL /* 10 ms: the longest a guest runs without the hypervisor looking */

static uint64_t *p2m(struct vm *vm)
{
	return (uint64_t *)vm->p2m_table;
}

int vm_back_page(struct vm *vm, ppn_t ppn)
{
	if (ppn.v >= vm->npages)
		return -EFAULT;
	if (p2m(vm)[ppn.v]) /* already backed: a stale TLB entry raced us; the mapping is there */
		return 0;
	mpn_t m = frame_alloc_page(&frames);
	if (!mpn_valid(m))
		return -ENOMEM;
	memset(mpn_to_ptr(m), 0, PAGE_SIZE);
	int err = ept_map(&vm->ept, ppn, m, EPT_RWX);
	if (err) {
		frame_free_page(&frames, m);
		return err;
	}
	p2m(vm)[ppn.v] = mpn_to_maddr(m);
	vm->stats.pages_backed++;
	return 0;
}

static void *guest_page(struct vm *vm, uint64_t gpa, int *err)
{
	ppn_t ppn = gpa_to_ppn(gpa);

	*err = vm_back_page(vm, ppn);
	return *err ? 0 : (uint8_t *)maddr_to_ptr(p2m(vm)[ppn.v]) + (gpa & (PAGE_SIZE - 1));
}

int vm_write(struct vm *vm, uint64_t gpa, const void *src, uint64_t len)
{
	const uint8_t *s = src;
	int err;

	while (len) {
		uint64_t chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		void *dst = guest_page(vm, gpa, &err);
		if (!dst)
			return err;
		memcpy(dst, s, chunk);
		gpa += chunk, s += chunk, len -= chunk;
	}
	return 0;
}

int vm_read(struct vm *vm, uint64_t gpa, void *dst, uint64_t len)
{
	uint8_t *d = dst;
	int err;

	while (len) {
		uint64_t chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		void *src = guest_page(vm, gpa, &err);
		if (!src)
			return err;
		memcpy(d, src, chunk);
		gpa += chunk, d += chunk, len -= chunk;
	}
	return 0;
}

int vm_create(struct vm *vm, const char *name, unsigned id, uint64_t mem_bytes)
{
	memset(vm, 0, sizeof(*vm));
	for (unsigned i = 0; i < VM_NAME_MAX && name[i]; i++)
		vm->name[i] = name[i];
	vm->id = id;
	vm->mem_bytes = mem_bytes;
	vm->npages = mem_bytes >> PAGE_SHIFT;
	vm->p2m_pages = align_up(vm->npages * sizeof(uint64_t), PAGE_SIZE) >> PAGE_SHIFT;
	mpn_t t = frame_alloc_run(&frames, vm->p2m_pages, 1);
	if (!mpn_valid(t))
		return -ENOMEM;
	vm->p2m_table = mpn_to_maddr(t);
	memset(p2m(vm), 0, vm->p2m_pages * PAGE_SIZE);
	int err = ept_init(&vm->ept, false);
	if (err)
		return err;
	vpic_register(vm);
	vpit_register(vm);
	vrtc_register(vm);
	vuart_register(vm);
	vm->state = VM_CREATED;
	return 0;
}

void vm_stop(struct vm *vm, const char *why)
{
	if (vm->state == VM_STOPPED)
		return;
	vuart_flush(vm);
	vm->state = VM_STOPPED;
	vm->stop_reason = why;
	vm->stats.stop_tsc = rdtsc();
}

void vm_destroy(struct vm *vm)
{
	uint64_t freed = 0;

	for (uint64_t p = 0; vm->p2m_table && p < vm->npages; p++)
		if (p2m(vm)[p]) {
			frame_free_page(&frames, maddr_to_mpn(p2m(vm)[p]));
			freed++;
		}
	if (vm->p2m_table)
		frame_free_run(&frames, maddr_to_mpn(vm->p2m_table), vm->p2m_pages);
	ept_destroy(&vm->ept);
	vcpu_destroy(vm);
	vm->p2m_table = 0;
	printk("vm %s: released %llu guest pages (%llu MiB); machine free memory now %llu MiB\n", vm->name,
	       (unsigned long long)freed, (unsigned long long)(freed >> 8),
	       (unsigned long long)(frames.free_pages >> 8));
}

/* Decide what to inject at this entry; returns true if an interrupt is waiting for a window. */
static void prepare_events(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	bool want_window = false;
	uint32_t info = 0;

	if (v->reinject_info & INTR_INFO_VALID) {
		info = v->reinject_info;
		if (info & INTR_INFO_ERROR_CODE)
			vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, v->reinject_error);
		vmwrite(VMCS_ENTRY_INSTRUCTION_LEN, v->reinject_len);
		v->reinject_info = 0;
		want_window = vpic_pending_vector(&vm->pic) >= 0;
	} else if (vpic_pending_vector(&vm->pic) >= 0) {
		bool if_set = vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF;
		bool shadow = vmread(VMCS_GUEST_INTERRUPTIBILITY) & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
		if (if_set && !shadow) {
			info = (uint32_t)vpic_ack(&vm->pic) | (INTR_TYPE_EXTERNAL << 8) | INTR_INFO_VALID;
			vm->stats.injected_irqs++;
		} else {
			want_window = true;
		}
	}
	vmwrite(VMCS_ENTRY_INTR_INFO, info);
	if (info)
		v->halted = false; /* the event wakes a halted vCPU; RIP is already past its HLT */
	uint32_t proc = want_window ? v->proc_controls | PROC_INTR_WINDOW_EXITING : v->proc_controls;
	vmwrite(VMCS_PROC_CONTROLS, proc);
}

static void arm_timer(struct vm *vm, uint64_t now, uint64_t next_event)
{
	uint64_t deadline = MIN(next_event, now + ns_to_tsc(TIME_SLICE_NS));
	uint64_t ticks = deadline > now ? (deadline - now) >> vmx_caps.preempt_timer_rate : 0;

	vmwrite(VMCS_PREEMPTION_TIMER, MIN(ticks, 0xffffffffULL));
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, vm->vcpu.halted ? ACTIVITY_HLT : ACTIVITY_ACTIVE);
}

static void note_interrupted_delivery(struct vm *vm)
{
	/* An exit during event delivery (e.g. an EPT violation on the guest's IDT or stack) loses the event unless
	 * we deliver it again on the next entry (SDM Vol. 3C §28.2.4). */
	uint32_t idt = vmread(VMCS_IDT_VECTORING_INFO);

	if (!(idt & INTR_INFO_VALID))
		return;
	vm->vcpu.reinject_info = idt & ~(1u << 12); /* bit 12 is reserved on entry */
	if (idt & INTR_INFO_ERROR_CODE)
		vm->vcpu.reinject_error = vmread(VMCS_IDT_VECTORING_ERROR);
	vm->vcpu.reinject_len = vmread(VMCS_EXIT_INSTRUCTION_LEN);
}

void vm_print_exit_stats(struct vm *vm)
{
	uint64_t ns = tsc_to_ns(vm->stats.stop_tsc - vm->stats.start_tsc);

	printk("vm %s: ran %llu ms, %llu VM exits, %llu pages touched (%llu MiB), %llu interrupts injected\n", vm->name,
	       (unsigned long long)(ns / 1000000), (unsigned long long)vm->stats.exits_total,
	       (unsigned long long)vm->stats.pages_backed, (unsigned long long)(vm->stats.pages_backed >> 8),
	       (unsigned long long)vm->stats.injected_irqs);
	for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
		if (vm->stats.exits[r])
			printk("vm %s: exits %-22s %llu\n", vm->name, vmx_exit_reason_name(r),
			       (unsigned long long)vm->stats.exits[r]);
}

int vm_run(struct vm *vm)
{
	struct exit_info e;

	vcpu_load(vm);
	vm->state = VM_RUNNING;
	vm->stats.start_tsc = rdtsc();
	while (vm->state == VM_RUNNING) {
		uint64_t now = rdtsc();
		uint64_t next = vpit_update(vm, now);
		prepare_events(vm);
		arm_timer(vm, now, next);
		if (vcpu_enter(vm) < 0) {
			vcpu_dump(vm);
			vm_stop(vm, "VM entry failed");
			break;
		}
		e.reason = vmread(VMCS_EXIT_REASON);
		e.qualification = vmread(VMCS_EXIT_QUALIFICATION);
		e.guest_phys = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);
		e.instr_len = vmread(VMCS_EXIT_INSTRUCTION_LEN);
		vm->stats.exits_total++;
		vm->stats.exits[MIN(e.reason & 0xffff, NR_EXIT_REASONS - 1)]++;
		if (e.reason & EXIT_REASON_ENTRY_FAILURE) {
			e.reason &= 0xffff;
			vmx_handle_exit(vm, &e);
			break;
		}
		/* A halted vCPU that left HLT state for any reason other than our timer stays halted. */
		note_interrupted_delivery(vm);
		vmx_handle_exit(vm, &e);
	}
	printk("vm %s: stopped: %s\n", vm->name, vm->stop_reason);
	vm_print_exit_stats(vm);
	return vm->stop_reason && !strncmp(vm->stop_reason, "halted", 6) ? 0 : -EIO;
}
