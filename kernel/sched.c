/*
 * vCPU scheduling: one vCPU per VM, round-robin on the boot CPU, preempted by the VMX-preemption timer.
 *
 * Time slices and guest timer interrupts:
 *   - A runnable VM gets at most SLICE_NS.  Its slice ends early at the first moment another VM's virtual timer is
 *     due (or another VM's wait for memory ends), and at the next housekeeping tick, so a sleeping guest's timer
 *     interrupt is late by at most the time it takes the running guest to reach a VM exit - not by a whole slice.
 *     Within its slice the running VM's own timer events are delivered on time (vm_run_slice arms the preemption
 *     timer for the earlier of its next event and the slice end).
 *   - A halted vCPU (guest HLT) is not run until its next interrupt is due: its virtual PIT's next event, or a
 *     pending PIC interrupt (e.g. console input).
 *   - When every vCPU is halted, the CPU halts: the scheduler enters the VM whose timer is due first in the HLT
 *     activity state with the preemption timer set to wake at that moment (or at the next housekeeping tick), so
 *     the CPU sleeps inside VMX non-root operation instead of spinning in the hypervisor.
 * Housekeeping (memory manager tick, statistics, monitor input) runs every HOUSEKEEPING_NS between slices.
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/hv_mm.h"
#include "kernel/periodic.h"
#include "kernel/swap_io.h"
#include "kernel/printk.h"
#include "kernel/sched.h"

#define SLICE_NS 10000000ULL	    /* 10 ms */
#define HOUSEKEEPING_NS 100000000ULL /* 100 ms */

static struct vm *queue[SCHED_MAX_VMS];
static unsigned nqueued, cursor;

int sched_add(struct vm *vm)
{
	if (nqueued == SCHED_MAX_VMS)
		return -ENOSPC;
	queue[nqueued++] = vm;
	return 0;
}

unsigned sched_nvms(void)
{
	return nqueued;
}

struct vm *sched_vm(unsigned i)
{
	return i < nqueued ? queue[i] : 0;
}

struct vm *sched_find(const char *name)
{
	for (unsigned i = 0; i < nqueued; i++)
		if (!strcmp(queue[i]->name, name))
			return queue[i];
	return 0;
}

/* A stopped VM: say why, show what it did, give its memory back, and take it off the queue. */
static bool reap(unsigned i)
{
	struct vm *vm = queue[i];
	bool clean = vm->stop_reason && !strncmp(vm->stop_reason, "halted", 6);

	printk("vm %s: stopped: %s\n", vm->name, vm->stop_reason ? vm->stop_reason : "never started");
	vm_print_exit_stats(vm);
	vm_switch_forget(vm);
	vm_destroy(vm);
	/* Every page the VM had must be back with its rightful owner: check the whole machine's accounting. */
	if (mm_audit(&hv_mm) == 0)
		printk("mm: audit passed after %s stopped (%llu MiB free)\n", vm->name,
		       (unsigned long long)(mm_free_pages(&hv_mm) >> 8));
	else
		printk("mm: audit FAILED after %s stopped\n", vm->name);
	memmove(&queue[i], &queue[i + 1], (nqueued - i - 1) * sizeof(queue[0]));
	nqueued--;
	if (cursor > i)
		cursor--;
	return clean;
}

/* The earliest moment a VM other than self needs the CPU back: its timer, or the end of its wait for memory. */
static uint64_t others_wake(const struct vm *self, uint64_t now)
{
	uint64_t t = UINT64_MAX;

	for (unsigned i = 0; i < nqueued; i++) {
		struct vm *vm = queue[i];
		if (vm == self || vm->state == VM_STOPPED)
			continue;
		if (vm->wait_until_tsc > now)
			t = MIN(t, vm->wait_until_tsc);
		else if (vm->vcpu.halted)
			t = MIN(t, vm->next_event_tsc);
		else
			t = MIN(t, now); /* runnable: wants the CPU now (round-robin decides) */
	}
	return t;
}

static struct vm *pick_runnable(uint64_t now)
{
	for (unsigned k = 0; k < nqueued; k++) {
		unsigned i = (cursor + k) % nqueued;
		if (vm_runnable(queue[i], now)) {
			cursor = (i + 1) % nqueued;
			return queue[i];
		}
	}
	return 0;
}

/* Nobody can run: the halted VM whose timer fires first sleeps for everyone. */
static struct vm *pick_sleeper(void)
{
	struct vm *best = 0;

	for (unsigned i = 0; i < nqueued; i++) {
		struct vm *vm = queue[i];
		if (vm->state != VM_STOPPED && vm->vcpu.halted && (!best || vm->next_event_tsc < best->next_event_tsc))
			best = vm;
	}
	return best;
}

/* A VM whose page could not be read back from swap (kernel/swap_io.c) stops: its memory is no longer whole. */
static void stop_for_swap(const struct mm_swap_failure *f)
{
	struct vm *vm = hv_mm_vm(f->vm);

	printk("vm %s: swap-in of guest page 0x%llx from slot %llu failed (%s): stopping it\n", vm ? vm->name : "?",
	       (unsigned long long)f->ppn.v, (unsigned long long)f->slot, f->why);
	if (vm)
		vm_stop(vm, "swap-in failed");
}

unsigned sched_run(void)
{
	uint64_t next_housekeeping = 0;
	unsigned clean = 0;

	while (nqueued) {
		swap_io_poll(&hv_mm, stop_for_swap); /* disk completions: parked vCPUs become runnable */
		uint64_t now = rdtsc();
		if (now >= next_housekeeping) {
			periodic_tick(now);
			next_housekeeping = now + ns_to_tsc(HOUSEKEEPING_NS);
		}
		for (unsigned i = 0; i < nqueued;)
			if (queue[i]->state == VM_STOPPED)
				clean += reap(i);
			else
				i++;
		if (!nqueued)
			break;
		struct vm *vm = pick_runnable(now);
		bool sleep = !vm;
		if (sleep && !(vm = pick_sleeper())) {
			cpu_relax(); /* every VM waits for memory: housekeeping reclaims */
			continue;
		}
		uint64_t end = MIN(now + ns_to_tsc(SLICE_NS), next_housekeeping);
		uint64_t wake = others_wake(vm, now);
		if (wake > now)
			end = MIN(end, wake);
		vm_switch_to(vm);
		vm_run_slice(vm, end, sleep);
	}
	return clean;
}
