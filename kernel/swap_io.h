/*
 * The hypervisor's swap I/O engine (SPEC §2.7): between the memory manager's queue of page writes and reads
 * (mm/pageio.h) and the swap disk chosen at boot (kernel/disks.h).
 */
#ifndef KERNEL_SWAP_IO_H
#define KERNEL_SWAP_IO_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/mm_ops.h"

/* Slots of the swap area chosen at boot (0: no swap area; the memory manager then swaps nothing). */
uint64_t swap_io_slots(void);
/* mm_ops.swap_submit: queue one request; called with the mm lock held, so it only records it. */
void swap_io_submit(void *ctx, const struct mm_swap_req *req);
/* From the scheduler's loop, lock not held: start queued requests on the disk, poll those in flight, report every
 * one that ended to mm, and call stop_vm for a VM whose swap-in failed (it must not run again: its page is not in
 * memory and will not be).  Cheap when nothing is queued. */
struct mm;
struct mm_swap_failure;
void swap_io_poll(struct mm *mm, void (*stop_vm)(const struct mm_swap_failure *));
/* Requests queued or on the disk. */
unsigned swap_io_busy(void);
/* One line of counters for the end-of-run report. */
void swap_io_report(void);

#endif
