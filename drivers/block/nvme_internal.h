/*
 * What the parts of the NVMe driver share: nvme.c finds controllers and their namespaces, nvme_ctrl.c brings a
 * controller up (and back up after a reset) and runs its admin queue, nvme_io.c runs READ and WRITE on its one I/O
 * queue pair, nvme_status.c puts a completion's status into words.
 *
 * A controller's life is enum nvme_state: a reset (CC.EN cleared, then set with the admin queue in place) followed by
 * the admin commands that create the I/O queue pair, each state advanced by one poll step that never waits, with a
 * deadline that turns "not yet" into giving the controller up.  Probe spins on those steps; after a command timeout,
 * the I/O path's polls advance them while requests wait in the queue.
 *
 * I/O: every namespace of a controller shares its I/O queue pair.  Requests queue per controller; the head is cut
 * into commands of at most max_pages pages, each in a slot whose index is its command identifier, as many in flight
 * as there are slots.  A queue of N entries holds N - 1 commands (full is tail + 1 == head), so with one slot per
 * entry but one the submission queue cannot overflow, nor the completion queue of as many entries.  A request ends
 * once it is wholly issued and none of its commands is in flight; it failed if any of them did, and then req->why
 * holds the first failure (written when it happened, which is how a request still in flight is known to have failed).
 */
#ifndef DRIVERS_BLOCK_NVME_INTERNAL_H
#define DRIVERS_BLOCK_NVME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ballast/compiler.h>
#include <ballast/page.h>
#include "drivers/block/blockdev.h"
#include "drivers/block/nvme_regs.h"
#include "drivers/pci/pci.h"

#define NVME_MAX_CONTROLLERS 4
#define NVME_ADMIN_ENTRIES 16 /* admin commands go one at a time: bring-up and Identify are sequences */
/* I/O queue entries: a page of submission entries (CAP.MQES may allow fewer).  63 commands in flight is far more
 * than a swap-out cluster needs to keep a disk busy. */
#define NVME_IO_ENTRIES 64
#define NVME_IO_QID 1
/* Pages per command, as in the ATA driver (256 KiB: short next to the deadline, long enough that per-command cost
 * does not matter); the controller's MDTS may ask for fewer. */
#define NVME_MAX_PAGES_PER_COMMAND 64
/* A command not completed in this long fails and the controller is reset.  Flash answers in microseconds to
 * milliseconds; a controller this late has lost the command. */
#define NVME_COMMAND_TIMEOUT_MS 10000
#define NVME_ADMIN_TIMEOUT_MS 10000 /* each admin command of the bring-up and of probe */
#define NVME_BRINGUP_STEPS 8	    /* bring-up steps one poll may take (each is a few register accesses) */

_Static_assert(NVME_IO_ENTRIES * sizeof(struct nvme_sqe) <= PAGE_SIZE, "I/O submission queue in one page");
_Static_assert(NVME_IO_ENTRIES - 1 <= 64, "the slots' busy mask is 64 bits");
_Static_assert(PAGE_SIZE % (NVME_MAX_PAGES_PER_COMMAND * NVME_PRP_ENTRY_BYTES) == 0,
	       "PRP lists tile a page: none crosses one, none needs a chain entry");

enum nvme_state {
	NVME_DISABLING,	     /* CC.EN cleared: waiting for CSTS.RDY to clear (CAP.TO) */
	NVME_ENABLING,	     /* admin queue given, CC.EN set: waiting for CSTS.RDY (CAP.TO) */
	NVME_SETTING_QUEUES, /* Set Features (Number of Queues) in flight on the admin queue */
	NVME_CREATING_CQ,    /* Create I/O Completion Queue in flight */
	NVME_CREATING_SQ,    /* Create I/O Submission Queue in flight */
	NVME_LIVE,	     /* the I/O queue pair takes commands */
	NVME_DEAD,	     /* not up yet, or given up (bus mastering off): every request fails with ctrl->why */
};

/* The memory the controller reads and writes, one set per controller, in the image (identity-mapped below 4 GiB),
 * as the ATA driver keeps its PRD tables.  Queues must start on a memory page (ASQ/ACQ bits 11:0 are reserved; so
 * are PRP1's for a physically contiguous I/O queue). */
struct nvme_queue_memory {
	struct nvme_sqe admin_sq[NVME_ADMIN_ENTRIES] __aligned(PAGE_SIZE);
	struct nvme_cqe admin_cq[NVME_ADMIN_ENTRIES] __aligned(PAGE_SIZE);
	struct nvme_sqe io_sq[NVME_IO_ENTRIES] __aligned(PAGE_SIZE);
	struct nvme_cqe io_cq[NVME_IO_ENTRIES] __aligned(PAGE_SIZE);
	union {
		struct nvme_id_ctrl ctrl;
		struct nvme_id_ns ns;
	} id __aligned(PAGE_SIZE);
	uint32_t nsids[NVME_ACTIVE_NSIDS_MAX] __aligned(PAGE_SIZE); /* active namespaces, kept while id changes */
	/* One PRP list per slot, each inside a page (its size divides the page), so no list needs a chain entry. */
	uint64_t prp_list[NVME_IO_ENTRIES - 1][NVME_MAX_PAGES_PER_COMMAND] __aligned(PAGE_SIZE);
};

/* A command on the I/O queue: one piece of a request. */
struct nvme_slot {
	struct blockdev_request *req;
	uint8_t opcode; /* NVME_CMD_READ or _WRITE */
	uint32_t first_page, npages; /* the part of req->pages it moves */
	uint64_t lba;
	uint32_t nblocks;
	uint64_t deadline; /* TSC */
};

struct nvme_ctrl {
	char name[8]; /* "nvme0" */
	const struct pci_dev *pci;
	volatile uint8_t *regs; /* BAR 0, mapped uncached */
	uint64_t cap;
	uint32_t vs;
	unsigned dstrd;		   /* CAP.DSTRD */
	uint32_t ready_timeout_ms; /* CAP.TO: how long CSTS.RDY may take to follow CC.EN */
	uint32_t io_entries;	   /* entries in each I/O queue */
	uint32_t nslots;	   /* io_entries - 1 */
	uint32_t max_pages;	   /* pages per command */
	char model[41];
	struct nvme_queue_memory *mem;

	enum nvme_state state;
	uint64_t state_deadline; /* TSC, for the state's wait */
	char why[BLOCKDEV_WHY_LEN]; /* DEAD: why it was given up; resetting: what the reset aborts commands for */

	/* Admin queue pair (queue 0): one command at a time. */
	uint16_t admin_sq_tail, admin_cq_head, admin_cid;
	bool admin_phase; /* the Phase Tag a new completion carries */

	/* I/O queue pair */
	uint16_t io_sq_tail, io_cq_head;
	bool io_phase;
	uint64_t busy; /* bit i: slots[i] holds a command */
	struct nvme_slot slots[NVME_IO_ENTRIES - 1];
	struct blockdev_request *head, *tail; /* requests not yet wholly issued; only the head may be partly */
	uint32_t head_issued;		      /* pages of the head request already in commands */
};

/* One namespace: a block device. */
struct nvme_ns {
	struct blockdev bd;
	struct nvme_ctrl *ctrl;
	uint32_t nsid;
	uint32_t blocks_per_page;
};

extern const struct blockdev_ops nvme_ops;

/* Registers.  The 64-bit ones are accessed as two dwords, low first, which every controller accepts (§3.1). */
static inline uint32_t nvme_read32(const struct nvme_ctrl *c, uint32_t off)
{
	return *(volatile uint32_t *)(c->regs + off);
}
static inline void nvme_write32(const struct nvme_ctrl *c, uint32_t off, uint32_t v)
{
	barrier(); /* queue entries written before a doorbell are in memory before the controller hears of them */
	*(volatile uint32_t *)(c->regs + off) = v;
}
static inline uint64_t nvme_read64(const struct nvme_ctrl *c, uint32_t off)
{
	uint64_t lo = nvme_read32(c, off);

	return lo | (uint64_t)nvme_read32(c, off + 4) << 32;
}
static inline void nvme_write64(const struct nvme_ctrl *c, uint32_t off, uint64_t v)
{
	nvme_write32(c, off, (uint32_t)v);
	nvme_write32(c, off + 4, (uint32_t)(v >> 32));
}

/* nvme_ctrl.c */
/* Begin a controller reset and the bring-up after it: at probe (from DEAD, not yet up), or from LIVE when something
 * went wrong.  The commands in flight end once the controller has stopped, with ctrl->why as the reason for those
 * without one of their own. */
void nvme_ctrl_reset(struct nvme_ctrl *c);
/* Advance the bring-up by at most NVME_BRINGUP_STEPS steps; never waits.  Until the state is LIVE or DEAD. */
void nvme_ctrl_step(struct nvme_ctrl *c);
/* Give the controller up: bus mastering off (no DMA can follow), every request ends with "given up: why". */
void nvme_ctrl_give_up(struct nvme_ctrl *c, const char *fmt, ...) __printf(2, 3);
/* Boot-time only: run one admin command to its end.  0 with the completion's dword 0 in *dw0, or -EIO with a reason
 * in why (its status decoded, or a timeout). */
int nvme_admin_sync(struct nvme_ctrl *c, struct nvme_sqe *cmd, uint32_t *dw0, char *why, size_t n);

/* nvme_io.c */
/* The controller has stopped (reset or given up): end every command in flight. */
void nvme_io_stopped(struct nvme_ctrl *c);
/* Given up: end every queued request too. */
void nvme_io_fail_queued(struct nvme_ctrl *c);
/* An empty I/O queue pair, before Create I/O Completion Queue: the controller starts it at entry 0, phase 1. */
void nvme_io_queues_init(struct nvme_ctrl *c);

/* nvme_status.c: "status 0x2/0x80 (Write Fault, do not retry)" */
void nvme_status_describe(char *buf, size_t n, uint16_t status);

#endif
