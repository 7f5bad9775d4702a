/*
 * Swap I/O engine: the memory manager queues page-sized writes and reads (mm_ops.swap_submit, lock held), this file
 * carries them out on the swap disk and reports each end through mm_swap_complete() with no lock held, so that no
 * disk work ever happens under the mm lock and no VM waits for another's I/O: a vCPU whose page is being read is
 * parked (its EPT violation returns -EAGAIN and is retried) while the others run.
 *
 * Completions are polled from the scheduler's loop rather than taken by interrupt: the hypervisor runs on one CPU
 * with the PIC masked, the loop comes round at least once a slice (a millisecond), and a disk's own latency is far
 * longer than that; an interrupt would only add an APIC and a vector to a path that polling already serves.
 *
 * Requests wait in a ring (never more than MM_SWAP_IO_MAX: the core has no more entries) and up to
 * SWAP_IO_ON_DISK are handed to the device at once (the ATA driver runs one per channel; AHCI and NVMe queue more).
 * Consecutive requests of one direction whose slots follow one another go to the disk as one request of up to
 * SWAP_IO_BATCH pages: the slot allocator hands out slots in order, so a round of victims usually forms such runs,
 * and a device's cost is mostly per command (measured in Bochs: one page per command wrote at ~20% of the disk's
 * sequential rate).
 */
#include <ballast/errno.h>
#include "kernel/disks.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/swap_io.h"
#include "mm/mm.h"
#include "mm/pageio.h"

#define SWAP_IO_ON_DISK 16
#define SWAP_IO_BATCH 16 /* pages per disk request, at most */

static struct mm_swap_req ring[MM_SWAP_IO_MAX];
static unsigned ring_head, ring_len;

static struct on_disk {
	bool busy;
	unsigned n;		     /* requests of the core in this disk request */
	uint32_t id[SWAP_IO_BATCH];  /* their ids, in slot order */
	mpn_t page[SWAP_IO_BATCH];
	struct blockdev_request br;
} on_disk[SWAP_IO_ON_DISK];
static unsigned n_on_disk;

static struct {
	uint64_t writes, reads, write_errors, read_errors, vms_stopped;
} stat;

uint64_t swap_io_slots(void)
{
	return swap_disk.dev ? swap_disk.nslots : 0;
}

void swap_io_submit(void *ctx, const struct mm_swap_req *req)
{
	(void)ctx;
	BUG_ON(ring_len == MM_SWAP_IO_MAX); /* the core never has more requests than I/O entries */
	ring[(ring_head + ring_len++) % MM_SWAP_IO_MAX] = *req;
}

unsigned swap_io_busy(void)
{
	return ring_len + n_on_disk;
}

/* Hand the oldest queued request to the disk in slot d, with those right behind it that continue its run. */
static void start(struct on_disk *d)
{
	const struct mm_swap_req *first = &ring[ring_head];

	*d = (struct on_disk){ .busy = true };
	while (ring_len && d->n < SWAP_IO_BATCH) {
		const struct mm_swap_req *req = &ring[ring_head];
		if (d->n && (req->write != first->write || req->slot != first->slot + d->n))
			break;
		BUG_ON(req->slot >= swap_disk.nslots); /* the core hands out only the area's slots */
		d->id[d->n] = req->id;
		d->page[d->n++] = req->mpn;
		ring_head = (ring_head + 1) % MM_SWAP_IO_MAX;
		ring_len--;
	}
	d->br = (struct blockdev_request){
		.dir = first->write ? BLOCKDEV_WRITE : BLOCKDEV_READ,
		.first_page = swap_disk.first_slot_page + first->slot,
		.npages = d->n,
		.pages = d->page,
	};
	n_on_disk++;
	/* A refused submit has already ended the request with its error: the next poll reports it. */
	(void)blockdev_submit(swap_disk.dev, &d->br);
}

/* The disk is done with d: tell the memory manager, and have the VM whose page could not come back stopped. */
static void finish(struct mm *mm, struct on_disk *d, int status, void (*stop_vm)(const struct mm_swap_failure *))
{
	bool write = d->br.dir == BLOCKDEV_WRITE;
	struct mm_swap_failure fail;

	uint64_t slot = d->br.first_page - swap_disk.first_slot_page;

	if (status < 0) {
		if (write ? !stat.write_errors++ : !stat.read_errors++) /* the first of each kind, in full */
			printk("swap: %s of slots %llu-%llu on %s failed: %s\n", write ? "write" : "read",
			       (unsigned long long)slot, (unsigned long long)(slot + d->n - 1), swap_disk.dev->name,
			       d->br.why);
	} else if (write) {
		stat.writes += d->n;
	} else {
		stat.reads += d->n;
	}
	d->busy = false;
	n_on_disk--;
	/* A failed request fails every page in it: the driver cannot say which sector went wrong, and the core
	 * keeps a failed write's page in memory and stops the VM of a failed read. */
	for (unsigned i = 0; i < d->n; i++)
		if (mm_swap_complete(mm, d->id[i], status, &fail) < 0) {
			stop_vm(&fail);
			stat.vms_stopped++;
		}
}

void swap_io_poll(struct mm *mm, void (*stop_vm)(const struct mm_swap_failure *))
{
	if (!ring_len && !n_on_disk)
		return;
	for (unsigned i = 0; i < SWAP_IO_ON_DISK && ring_len; i++)
		if (!on_disk[i].busy)
			start(&on_disk[i]);
	for (unsigned i = 0; i < SWAP_IO_ON_DISK; i++) {
		if (!on_disk[i].busy)
			continue;
		int status = blockdev_poll(&on_disk[i].br);
		if (status != -EAGAIN)
			finish(mm, &on_disk[i], status, stop_vm);
	}
}

void swap_io_report(void)
{
	if (!swap_disk.dev)
		return;
	printk("swap: %llu pages written, %llu read on %s; %llu write and %llu read errors; %llu VMs stopped by swap\n",
	       (unsigned long long)stat.writes, (unsigned long long)stat.reads, swap_disk.dev->name,
	       (unsigned long long)stat.write_errors, (unsigned long long)stat.read_errors,
	       (unsigned long long)stat.vms_stopped);
}
