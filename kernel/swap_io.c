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
 */
#include <ballast/errno.h>
#include "kernel/disks.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/swap_io.h"
#include "mm/mm.h"
#include "mm/pageio.h"

#define SWAP_IO_ON_DISK 16

static struct mm_swap_req ring[MM_SWAP_IO_MAX];
static unsigned ring_head, ring_len;

static struct on_disk {
	bool busy;
	uint32_t id;
	mpn_t page;
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

/* Hand the oldest queued request to the disk in slot d. */
static void start(struct on_disk *d)
{
	const struct mm_swap_req *req = &ring[ring_head];

	*d = (struct on_disk){ .busy = true, .id = req->id, .page = req->mpn };
	d->br = (struct blockdev_request){
		.dir = req->write ? BLOCKDEV_WRITE : BLOCKDEV_READ,
		.first_page = swap_disk.first_slot_page + req->slot,
		.npages = 1,
		.pages = &d->page,
	};
	BUG_ON(req->slot >= swap_disk.nslots); /* the core hands out only the area's slots */
	ring_head = (ring_head + 1) % MM_SWAP_IO_MAX;
	ring_len--;
	n_on_disk++;
	/* A refused submit has already ended the request with its error: the next poll reports it. */
	(void)blockdev_submit(swap_disk.dev, &d->br);
}

/* The disk is done with d: tell the memory manager, and have the VM whose page could not come back stopped. */
static void finish(struct mm *mm, struct on_disk *d, int status, void (*stop_vm)(const struct mm_swap_failure *))
{
	bool write = d->br.dir == BLOCKDEV_WRITE;
	struct mm_swap_failure fail;

	if (status < 0) {
		if (write ? !stat.write_errors++ : !stat.read_errors++) /* the first of each kind, in full */
			printk("swap: %s of slot %llu on %s failed: %s\n", write ? "write" : "read",
			       (unsigned long long)(d->br.first_page - swap_disk.first_slot_page), swap_disk.dev->name,
			       d->br.why);
	} else if (write) {
		stat.writes++;
	} else {
		stat.reads++;
	}
	d->busy = false;
	n_on_disk--;
	if (mm_swap_complete(mm, d->id, status, &fail) < 0) {
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
