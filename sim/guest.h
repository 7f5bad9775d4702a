/*
 * A simulated guest OS and its workload.  The guest owns PPNs 0..max-1: the first `kernel` are its kernel's
 * (always resident, always touched); the rest are free, used by the workload, or held by its balloon driver.  The
 * workload is a number of pages it wants resident and a fraction of them it touches each sampling period.  When
 * the guest has fewer free pages than its workload wants (the balloon took them), it pages the workload out to its
 * own swap; touching a paged-out page pages it back in.  Throughput is the fraction of touches that found their
 * page resident, less the time the VM was blocked by the hypervisor.
 */
#ifndef SIM_GUEST_H
#define SIM_GUEST_H

#include <stdint.h>
#include "sim/scenario.h"
#include "tests/env/fake_machine.h"

#define GUEST_NONE UINT32_MAX

struct guest {
	const struct sim_vm_spec *spec;
	struct mm_vm *vm;
	unsigned index;
	uint32_t *wl_ppn;   /* workload page -> PPN or GUEST_NONE (paged out by the guest) */
	uint32_t *wl_ver;   /* content version of each workload page (bumped when the page is reused) */
	uint64_t want;	    /* workload pages wanted */
	uint64_t resident;  /* of them, resident */
	uint32_t *free;	    /* guest free list (stack of PPNs) */
	uint64_t nfree;
	uint8_t *unreported; /* per PPN: freed by the workload, still backed, not yet reported */
	uint32_t *balloon;  /* PPNs in the balloon */
	uint64_t nballoon;
	uint32_t active_pm; /* fraction of the workload touched per sampling period */
	double alloc_rate;  /* pages per ms (+ grow, - shrink) while want moves toward goal */
	uint64_t goal;
	double carry;
	/* statistics of the current stat interval */
	uint64_t touches, hits, stalled_ticks, ticks;
	uint64_t guest_pageouts, guest_pageins;
};

int guest_init(struct guest *g, struct fake_machine *fm, const struct sim_vm_spec *spec, unsigned index,
	       const struct mm_tunables *t);
void guest_destroy(struct guest *g);
/* One tick of guest activity; returns false if the VM was stalled by the hypervisor (blocked or out of memory). */
bool guest_tick(struct guest *g, struct fake_machine *fm, uint64_t tick_ms, const struct scenario *sc, uint64_t *rng);
/* The balloon driver's once-a-second poll. */
void guest_balloon_poll(struct guest *g, struct fake_machine *fm, uint32_t pps);
void guest_set_goal(struct guest *g, uint64_t goal, uint64_t over_ms);

#endif
