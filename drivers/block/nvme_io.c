/*
 * NVMe READ and WRITE on a controller's one I/O queue pair, polled (nvme_internal.h has the slots and the rules for
 * when a request ends).
 *
 * Each poll reaps what the completion queue holds (a new entry is one whose Phase Tag matches the pass the queue is
 * on), fails the commands whose deadline has passed, and puts queued pages into free slots, ringing the doorbell once
 * for all of them.  Nothing waits.  A command's pages go to the controller as PRPs: each is a whole, aligned 4 KiB
 * page, so PRP1 is the first, PRP2 the second or, for three or more, a list of all but the first (the slot's own
 * list, in the controller's queue memory).
 *
 * An error status fails that command's request with the status decoded, and nothing else: the controller is fine.  A
 * command past its deadline, or a completion that names no command in flight, resets the controller; every command
 * still in flight then fails, once the controller has stopped, and the queued requests wait for the bring-up.
 * Nothing is retried here: the caller decides.
 */
#include <stdarg.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "arch/x86_64/tsc.h"
#include "drivers/block/nvme_internal.h"
#include "kernel/panic.h"

_Static_assert(NVME_MAX_PAGES_PER_COMMAND * (BLOCKDEV_PAGE_SIZE / 512) <= NVME_RW_MAX_BLOCKS,
	       "a command's blocks fit its 16-bit count");

static const char *opcode_name(uint8_t opcode)
{
	return opcode == NVME_CMD_WRITE ? "WRITE" : "READ";
}

static struct nvme_ctrl *ctrl_of(struct blockdev *dev)
{
	return ((struct nvme_ns *)dev->priv)->ctrl;
}

static unsigned lowest_bit(uint64_t v)
{
	return (unsigned)__builtin_ctzll(v);
}

static uint64_t all_slots(const struct nvme_ctrl *c)
{
	return c->nslots == 64 ? ~0ULL : BIT(c->nslots) - 1;
}

void nvme_io_queues_init(struct nvme_ctrl *c)
{
	BUG_ON(c->busy); /* the controller stopped, and nvme_io_stopped() ended what it held, before any bring-up */
	memset(c->mem->io_cq, 0, sizeof(c->mem->io_cq));
	c->io_sq_tail = c->io_cq_head = 0;
	c->io_phase = true;
}

static void dequeue_head(struct nvme_ctrl *c)
{
	c->head = c->head->next;
	if (!c->head)
		c->tail = 0;
	c->head_issued = 0;
}

/* Record a command's failure in its request: the first one is what the request reports. */
static void __printf(2, 3) note_failure(const struct nvme_slot *s, const char *fmt, ...)
{
	struct blockdev_request *req = s->req;
	char detail[112];
	va_list ap;

	if (req->why[0])
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fmt_snprintf(req->why, sizeof(req->why), "%s, %u blocks at LBA %llu: %s", opcode_name(s->opcode), s->nblocks,
		     (unsigned long long)s->lba, detail);
}

/* End req when nothing of it is left: wholly issued (so no longer the head of the queue) and no command of it in
 * flight. */
static void end_if_done(struct nvme_ctrl *c, struct blockdev_request *req)
{
	if (req == c->head)
		return;
	for (uint64_t b = c->busy; b; b &= b - 1)
		if (c->slots[lowest_bit(b)].req == req)
			return;
	if (req->why[0]) {
		blockdev_end(req, -EIO);
		return;
	}
	ASSERT(req->pages_done == req->npages);
	blockdev_end(req, 0);
}

/* Slot i's command is over (completed, or the controller has stopped): free the slot and end its request if that
 * was the last of it.  A request that has failed issues nothing more. */
static void release(struct nvme_ctrl *c, unsigned i)
{
	struct blockdev_request *req = c->slots[i].req;

	c->busy &= ~BIT(i);
	c->slots[i].req = 0;
	if (req->why[0] && req == c->head)
		dequeue_head(c);
	end_if_done(c, req);
}

void nvme_io_stopped(struct nvme_ctrl *c)
{
	for (uint64_t b = c->busy; b; b &= b - 1) {
		const struct nvme_slot *s = &c->slots[lowest_bit(b)];

		note_failure(s, "%s (%s)",
			     c->state == NVME_DEAD ? "controller given up" : "aborted by a controller reset", c->why);
	}
	while (c->busy)
		release(c, lowest_bit(c->busy));
}

void nvme_io_fail_queued(struct nvme_ctrl *c)
{
	BUG_ON(c->busy); /* nvme_io_stopped() first */
	while (c->head) {
		struct blockdev_request *req = c->head;

		dequeue_head(c);
		if (!req->why[0])
			fmt_snprintf(req->why, sizeof(req->why), "controller %s given up (%s)", c->name, c->why);
		blockdev_end(req, -EIO);
	}
}

/* Put the next piece of the head request into free slot i. */
static void issue(struct nvme_ctrl *c, unsigned i)
{
	struct blockdev_request *req = c->head;
	const struct nvme_ns *ns = req->dev->priv;
	struct nvme_slot *s = &c->slots[i];
	uint32_t first = c->head_issued, pages = MIN(req->npages - first, c->max_pages);
	const mpn_t *pg = &req->pages[first];
	uint64_t prp2 = 0;

	*s = (struct nvme_slot){
		.req = req,
		.opcode = req->dir == BLOCKDEV_WRITE ? NVME_CMD_WRITE : NVME_CMD_READ,
		.first_page = first,
		.npages = pages,
		.lba = (req->first_page + first) * ns->blocks_per_page,
		.nblocks = pages * ns->blocks_per_page,
		.deadline = tsc_deadline_ms(NVME_COMMAND_TIMEOUT_MS),
	};
	if (pages == 2) {
		prp2 = mpn_to_maddr(pg[1]);
	} else if (pages > 2) {
		uint64_t *list = c->mem->prp_list[i];

		for (uint32_t j = 1; j < pages; j++)
			list[j - 1] = mpn_to_maddr(pg[j]);
		prp2 = (uint64_t)(uintptr_t)list; /* identity-mapped image: its address is the machine address */
	}
	c->mem->io_sq[c->io_sq_tail] = (struct nvme_sqe){
		.opc = s->opcode,
		.cid = (uint16_t)i,
		.nsid = ns->nsid,
		.prp1 = mpn_to_maddr(pg[0]),
		.prp2 = prp2,
		.cdw10 = (uint32_t)s->lba,
		.cdw11 = (uint32_t)(s->lba >> 32),
		.cdw12 = NVME_RW_NLB(s->nblocks),
	};
	c->io_sq_tail = (uint16_t)((c->io_sq_tail + 1) % c->io_entries);
	c->busy |= BIT(i);
	c->head_issued += pages;
	if (c->head_issued == req->npages)
		dequeue_head(c);
}

static void issue_queued(struct nvme_ctrl *c)
{
	bool any = false;

	while (c->head && c->busy != all_slots(c)) {
		issue(c, lowest_bit(~c->busy));
		any = true;
	}
	if (any)
		nvme_write32(c, nvme_sq_tail_doorbell(NVME_IO_QID, c->dstrd), c->io_sq_tail);
}

static void complete(struct nvme_ctrl *c, const struct nvme_cqe *cqe)
{
	unsigned i = cqe->cid;
	char st[80];

	if (cqe->sqid != NVME_IO_QID || i >= c->nslots || !(c->busy & BIT(i))) {
		fmt_snprintf(c->why, sizeof(c->why), "completion for command %u of queue %u, which is not in flight", i,
			     cqe->sqid);
		nvme_ctrl_reset(c);
		return;
	}
	struct nvme_slot *s = &c->slots[i];
	if (nvme_status_sct(cqe->status) || nvme_status_sc(cqe->status)) {
		nvme_status_describe(st, sizeof(st), cqe->status);
		note_failure(s, "%s", st);
	} else {
		s->req->pages_done += s->npages;
	}
	release(c, i);
}

/* What the completion queue holds, at most one pass of it; false if that started a reset. */
static bool reap(struct nvme_ctrl *c)
{
	unsigned n;

	for (n = 0; n < c->io_entries; n++) {
		volatile struct nvme_cqe *e = &c->mem->io_cq[c->io_cq_head];

		if ((e->status & NVME_STATUS_P) != c->io_phase)
			break;
		barrier(); /* the phase tag first: the rest of the entry is valid once it has flipped */
		struct nvme_cqe cqe = *(const struct nvme_cqe *)e;
		if (++c->io_cq_head == c->io_entries) {
			c->io_cq_head = 0;
			c->io_phase = !c->io_phase;
		}
		complete(c, &cqe);
		if (c->state != NVME_LIVE)
			return false; /* the queues are being deleted: no doorbell for them */
	}
	if (n)
		nvme_write32(c, nvme_cq_head_doorbell(NVME_IO_QID, c->dstrd), c->io_cq_head);
	return true;
}

/* Fail every command past its deadline and reset the controller for them; false if that happened. */
static bool check_deadlines(struct nvme_ctrl *c)
{
	bool late = false;

	for (uint64_t b = c->busy; b; b &= b - 1) {
		const struct nvme_slot *s = &c->slots[lowest_bit(b)];

		if (!tsc_passed(s->deadline))
			continue;
		note_failure(s, "timeout after %u ms; controller reset", NVME_COMMAND_TIMEOUT_MS);
		if (!late)
			fmt_snprintf(c->why, sizeof(c->why), "%s, %u blocks at LBA %llu timed out",
				     opcode_name(s->opcode), s->nblocks, (unsigned long long)s->lba);
		late = true;
	}
	if (late)
		nvme_ctrl_reset(c);
	return !late;
}

static void run(struct nvme_ctrl *c)
{
	if (c->state != NVME_LIVE) {
		nvme_ctrl_step(c); /* a reset's bring-up; the queued requests wait for it */
		if (c->state != NVME_LIVE)
			return;
	}
	if (reap(c) && check_deadlines(c))
		issue_queued(c);
}

static int nvme_submit(struct blockdev *dev, struct blockdev_request *req)
{
	struct nvme_ctrl *c = ctrl_of(dev);

	if (c->state == NVME_DEAD) {
		blockdev_fail(req, -EIO, "controller %s given up (%s)", c->name, c->why);
		return -EIO;
	}
	if (c->tail)
		c->tail->next = req;
	else
		c->head = req;
	c->tail = req;
	if (c->state == NVME_LIVE)
		issue_queued(c); /* at once if a slot is free */
	return 0;
}

static void nvme_poll(struct blockdev *dev)
{
	run(ctrl_of(dev));
}

const struct blockdev_ops nvme_ops = { .submit = nvme_submit, .poll = nvme_poll };
