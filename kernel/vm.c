/*
 * VM lifecycle and the vCPU's run loop.
 *
 * Memory: every guest page belongs to the memory-manager core (mm/): the first touch of a page (EPT violation) or
 * the hypervisor's own write (loader) goes through mm_fault()/mm_guest_mpn(), which back it with a zeroed machine
 * page, break copy-on-write, count a sample or a ballooned-page touch.  The EPT is changed only by the core's ops
 * (kernel/hv_mm.c); its tables are all built at creation from the VM's overhead pages (admission counted them).
 *
 * Time and interrupts: before every entry the run loop advances the virtual PIT to "now", delivers the highest
 * priority pending PIC interrupt if the guest can take it (else asks for an interrupt-window exit), and arms the
 * VMX-preemption timer for the earlier of the next virtual timer event and the end of the VM's time slice, so the
 * guest is interrupted exactly when its PIT would fire.  A guest that executed HLT is entered in the HLT activity
 * state: the CPU sleeps in the guest until the preemption timer expires, which on an emulator lets time skip
 * ahead.  How slices are chosen across VMs is kernel/sched.c's business.
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/hv_mm.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"
#include "vmx/vmx_hw.h"
#include "vmx/vmx_insn.h"

int vm_fault(struct vm *vm, ppn_t ppn, bool write)
{
	int err = mm_fault(&hv_mm, vm->mm, ppn, write);

	if (err == 0)
		vm->stats.pages_backed++;
	return err;
}

static void *guest_page(struct vm *vm, uint64_t gpa, bool write, int *err)
{
	mpn_t m;

	*err = mm_guest_mpn(&hv_mm, vm->mm, gpa_to_ppn(gpa), write, &m);
	return *err ? 0 : (uint8_t *)mpn_to_ptr(m) + (gpa & (PAGE_SIZE - 1));
}

int vm_write(struct vm *vm, uint64_t gpa, const void *src, uint64_t len)
{
	const uint8_t *s = src;
	int err;

	while (len) {
		uint64_t chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		void *dst = guest_page(vm, gpa, true, &err);
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
		void *src = guest_page(vm, gpa, false, &err);
		if (!src)
			return err;
		memcpy(d, src, chunk);
		gpa += chunk, d += chunk, len -= chunk;
	}
	return 0;
}

static mpn_t ept_table_page(void *ctx)
{
	struct vm *vm = ctx;

	return mm_alloc_overhead(&hv_mm, vm->mm);
}

static void ept_table_free(void *ctx, mpn_t mpn)
{
	(void)ctx;
	mm_free_overhead(&hv_mm, mpn);
}

/* The FPU as after FNINIT with SSE's reset MXCSR: what a new vCPU starts with (SDM Vol. 1 §10.5.1 layout). */
static void fpu_reset_image(uint8_t *fx)
{
	memset(fx, 0, 512);
	fx[0] = 0x7f, fx[1] = 0x03;			/* FCW 0x037f */
	fx[24] = 0x80, fx[25] = 0x1f;			/* MXCSR 0x1f80 */
	fx[28] = 0xff, fx[29] = 0xff;			/* MXCSR_MASK: all bits writable */
}

int vm_create(struct vm *vm, const struct vm_params *p, unsigned id)
{
	struct mm_vm_config c = {
		.name = p->name,
		.max_pages = p->max_bytes >> PAGE_SHIFT,
		.min_pages = p->min_bytes >> PAGE_SHIFT,
		.shares = p->shares,
	};
	int err;

	memset(vm, 0, sizeof(*vm));
	for (unsigned i = 0; i < VM_NAME_MAX && p->name[i]; i++)
		vm->name[i] = p->name[i];
	vm->id = id;
	vm->mem_bytes = p->max_bytes;
	vm->npages = p->max_bytes >> PAGE_SHIFT;
	vm->state = VM_STOPPED; /* until it is whole: vm_destroy() may be called at any point below */
	if ((p->max_bytes | p->min_bytes) & (PAGE_SIZE - 1))
		return -EINVAL;
	err = mm_vm_create(&hv_mm, &c, &vm->mm);
	if (err) {
		vm->mm = 0;
		return err;
	}
	hv_mm_attach(vm->mm->id, vm);
	struct ept_alloc a = { .page = ept_table_page, .free = ept_table_free, .ctx = vm };
	bool ad = vmx_caps.ept_vpid & EPT_CAP_AD;
	err = ept_init(&vm->ept, ad, &a);
	err = err ?: ept_populate(&vm->ept, vm->npages);
	if (err)
		return err;
	fpu_reset_image(vm->vcpu.fxsave);
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
	uint64_t alloc = vm->mm ? mm_vm_alloc(vm->mm) : 0, ept_pages = vm->ept.table_pages;

	vcpu_destroy(vm);
	ept_destroy(&vm->ept);
	if (vm->mm) {
		mm_vm_destroy(&hv_mm, vm->mm);
		hv_mm_detach(vm->mm->id);
		vm->mm = 0;
	}
	printk("vm %s: released %llu guest pages and %llu EPT pages (%llu MiB); machine free memory now %llu MiB\n",
	       vm->name, (unsigned long long)alloc, (unsigned long long)ept_pages,
	       (unsigned long long)((alloc + ept_pages) >> 8), (unsigned long long)(mm_free_pages(&hv_mm) >> 8));
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

/* The preemption timer brings the CPU back at deadline (TSC): the guest's next timer event or its slice's end. */
static void arm_timer(struct vm *vm, uint64_t now, uint64_t deadline)
{
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

	printk("vm %s: ran %llu ms, %llu VM exits, %llu pages touched (%llu MiB), %llu zeroed pages left unbacked, "
	       "%llu interrupts injected\n", vm->name,
	       (unsigned long long)(ns / 1000000), (unsigned long long)vm->stats.exits_total,
	       (unsigned long long)vm->stats.pages_backed, (unsigned long long)(vm->stats.pages_backed >> 8),
	       (unsigned long long)vm->stats.zero_stores_elided, (unsigned long long)vm->stats.injected_irqs);
	printk("vm %s: timer: %llu PIT ticks raised, at most %llu waiting at once, %llu dropped\n", vm->name,
	       (unsigned long long)vm->pit.irqs, (unsigned long long)vm->pit.backlog_peak,
	       (unsigned long long)vm->pit.ticks_dropped);
	for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
		if (vm->stats.exits[r])
			printk("vm %s: exits %-22s %llu\n", vm->name, vmx_exit_reason_name(r),
			       (unsigned long long)vm->stats.exits[r]);
}

bool vm_runnable(struct vm *vm, uint64_t now)
{
	if (vm->state == VM_STOPPED || now < vm->wait_until_tsc)
		return false;
	return !vm->vcpu.halted || vm->vcpu.reinject_info || vpic_pending_vector(&vm->pic) >= 0 ||
	       now >= vm->next_event_tsc;
}

bool vm_run_slice(struct vm *vm, uint64_t slice_end, bool may_sleep)
{
	struct exit_info e;

	if (vm->state == VM_CREATED) {
		vm->state = VM_RUNNING;
		vm->stats.start_tsc = rdtsc();
	}
	while (vm->state == VM_RUNNING) {
		uint64_t now = rdtsc();
		vm->next_event_tsc = vpit_update(vm, now);
		/* Done when the slice is used up, or when halted with nothing due before it ends (it sleeps while
		 * another VM runs; the scheduler wakes it in time).  Decided before an interrupt is taken from the PIC. */
		bool event = (vm->vcpu.reinject_info & INTR_INFO_VALID) || vpic_pending_vector(&vm->pic) >= 0;
		if (now >= slice_end || now < vm->wait_until_tsc ||
		    (vm->vcpu.halted && !event && vm->next_event_tsc > slice_end && !may_sleep))
			break;
		prepare_events(vm);
		arm_timer(vm, now, MIN(vm->next_event_tsc, slice_end));
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
		note_interrupted_delivery(vm);
		vmx_handle_exit(vm, &e);
	}
	return vm->state == VM_RUNNING && !vm->vcpu.halted;
}
