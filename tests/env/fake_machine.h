/*
 * A fake machine for host builds: machine pages in plain memory, a fake EPT per VM (present, writable, accessed
 * bits), and a swap area in memory, behind the core's struct mm_ops.  Guest accesses go through fm_access(), which
 * behaves like the CPU: it faults into mm_fault() exactly when the EPT would cause a violation.  Used by the unit
 * tests, the simulator and the benchmarks.
 */
#ifndef TESTS_FAKE_MACHINE_H
#define TESTS_FAKE_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/mm.h"
#include "mm/pageio.h"

struct fake_ept {
	uint64_t npages;
	uint32_t *mpn_off; /* machine page offset from fm->base, valid when present */
	uint8_t *flags;	   /* FEPT_* */
};
#define FEPT_PRESENT 1
#define FEPT_WRITE 2
#define FEPT_ACCESSED 4

struct fake_machine {
	struct mm mm;
	uint8_t *mem; /* machine pages */
	uint64_t base, npages;
	uint8_t *swap; /* swap slots */
	uint64_t nslots;
	struct fake_ept *ept[MM_MAX_VMS];
	/* The fake disk: submitted swap I/O waits in pending until fm_disk_complete() carries it out. */
	struct mm_swap_req pending[MM_SWAP_IO_MAX];
	unsigned npending;
	bool disk_manual;  /* false: an access that must wait for a swap-in completes the disk's queue first */
	int fail_swap_io;  /* non-zero: swap I/O completes with -EIO */
	bool corrupt_reads; /* swap-ins return a flipped bit without an error */
	uint64_t swap_failures; /* swap-ins the core refused (mm_swap_complete() < 0)... */
	struct mm_swap_failure last_failure; /* ...and the last one's report */
	uint64_t maps, unmaps, swap_writes, swap_reads;
	uint64_t flushes;	  /* flush() calls */
	uint64_t unflushed[MM_MAX_VMS]; /* deferred unmaps not yet flushed, per VM (0 whenever the core is idle) */
};

/* A machine of npages pages starting at MPN base, with nslots swap slots; use_abits: sample with accessed bits
 * instead of unmapping.  t may be NULL for the defaults.  Returns what mm_init() returns. */
int fm_init(struct fake_machine *fm, uint64_t base, uint64_t npages, uint64_t nslots, const struct mm_tunables *t,
	    bool use_abits);
void fm_destroy(struct fake_machine *fm); /* destroys remaining VMs too */
int fm_vm_create(struct fake_machine *fm, const struct mm_vm_config *c, struct mm_vm **out);
void fm_vm_destroy(struct fake_machine *fm, struct mm_vm *vm);

/* Carry out up to n queued swap I/Os, oldest first, and report each to the core; returns how many. */
unsigned fm_disk_complete(struct fake_machine *fm, unsigned n);
static inline unsigned fm_disk_settle(struct fake_machine *fm)
{
	return fm_disk_complete(fm, MM_SWAP_IO_MAX);
}

/* One guest access, as the CPU would make it: returns the page's host address, or NULL with *err set to the
 * negative code mm_fault() gave (unless disk_manual, a swap-in's -EAGAIN is waited for here). */
void *fm_access(struct fake_machine *fm, struct mm_vm *vm, ppn_t ppn, bool write, int *err);
/* Fill a guest page with the pattern of seed (seed 0: zeros) / check it.  0 or mm_fault()'s error. */
int fm_write_pattern(struct fake_machine *fm, struct mm_vm *vm, ppn_t ppn, uint64_t seed);
int fm_read_seed(struct fake_machine *fm, struct mm_vm *vm, ppn_t ppn, uint64_t *seed); /* from word 0 */
void fm_fill_pattern(void *page, uint64_t seed);
/* Is the EPT entry present (and writable)? */
bool fm_mapped(const struct fake_machine *fm, const struct mm_vm *vm, ppn_t ppn, bool *writable);

#endif
