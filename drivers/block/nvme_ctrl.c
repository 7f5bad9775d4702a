/*
 * Bringing an NVMe controller up, and back up after a reset: the initialization sequence of NVMe 1.4 §7.6.1 as the
 * states of enum nvme_state, one non-waiting step at a time (nvme_internal.h), and the admin queue it runs on.
 *
 * The reset is a controller-level reset (§7.3.2): clearing CC.EN makes the controller stop processing commands,
 * delete the I/O queues and go idle, and it clears CSTS.RDY when that is done.  Only then are the commands it held
 * over, and their pages the callers' again.  Enabling gives it a fresh admin queue pair; Set Features (Number of
 * Queues) asks for one I/O queue pair, which Create I/O Completion Queue (interrupts off: ballast polls) and Create
 * I/O Submission Queue then make.  Any failure on the way, or CSTS.RDY late by more than CAP.TO, gives the
 * controller up: bus mastering off, so that a controller in an unknown state cannot reach memory any more.
 */
#include <stdarg.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "drivers/block/nvme_internal.h"
#include "kernel/panic.h"

/* The queues live in the identity-mapped image: a pointer is the machine address the controller is given. */
static uint64_t maddr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void set_state(struct nvme_ctrl *c, enum nvme_state state, uint32_t timeout_ms)
{
	c->state = state;
	c->state_deadline = tsc_deadline_ms(timeout_ms);
}

static void admin_submit(struct nvme_ctrl *c, struct nvme_sqe cmd)
{
	cmd.cid = ++c->admin_cid; /* one admin command at a time: the completion must carry this one */
	c->mem->admin_sq[c->admin_sq_tail] = cmd;
	c->admin_sq_tail = (c->admin_sq_tail + 1) % NVME_ADMIN_ENTRIES;
	nvme_write32(c, nvme_sq_tail_doorbell(0, c->dstrd), c->admin_sq_tail);
}

/* The admin command's completion, if it has come: -EAGAIN not yet; 0; -EIO an error status in *cqe; -EPROTO the
 * completion of some other command. */
static int admin_reap(struct nvme_ctrl *c, struct nvme_cqe *cqe)
{
	volatile struct nvme_cqe *e = &c->mem->admin_cq[c->admin_cq_head];

	if ((e->status & NVME_STATUS_P) != c->admin_phase)
		return -EAGAIN;
	barrier(); /* the phase tag first: the rest of the entry is valid once it has flipped */
	*cqe = *(const struct nvme_cqe *)e;
	if (++c->admin_cq_head == NVME_ADMIN_ENTRIES) {
		c->admin_cq_head = 0;
		c->admin_phase = !c->admin_phase;
	}
	nvme_write32(c, nvme_cq_head_doorbell(0, c->dstrd), c->admin_cq_head);
	if (cqe->cid != c->admin_cid)
		return -EPROTO;
	return nvme_status_sct(cqe->status) || nvme_status_sc(cqe->status) ? -EIO : 0;
}

void nvme_ctrl_give_up(struct nvme_ctrl *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	/* Without Bus Master Enable the function cannot start a memory transaction, whatever its state. */
	pci_write16(c->pci, PCI_COMMAND, pci_read16(c->pci, PCI_COMMAND) & ~PCI_COMMAND_MASTER);
	nvme_write32(c, NVME_REG_CC, nvme_read32(c, NVME_REG_CC) & ~NVME_CC_EN);
	c->state = NVME_DEAD;
	nvme_io_stopped(c);
	nvme_io_fail_queued(c);
}

void nvme_ctrl_reset(struct nvme_ctrl *c)
{
	nvme_write32(c, NVME_REG_CC, nvme_read32(c, NVME_REG_CC) & ~NVME_CC_EN);
	set_state(c, NVME_DISABLING, c->ready_timeout_ms);
}

/* The controller is idle: give it an empty admin queue pair and enable it. */
static void enable(struct nvme_ctrl *c)
{
	struct nvme_queue_memory *m = c->mem;

	/* The controller starts both queues at entry 0 and marks its first pass through the completion queue with
	 * phase 1, so zeroed entries read as not yet posted. */
	memset(m->admin_cq, 0, sizeof(m->admin_cq));
	c->admin_sq_tail = c->admin_cq_head = 0;
	c->admin_phase = true;
	nvme_write32(c, NVME_REG_AQA, NVME_AQA(NVME_ADMIN_ENTRIES, NVME_ADMIN_ENTRIES));
	nvme_write64(c, NVME_REG_ASQ, maddr_of(m->admin_sq));
	nvme_write64(c, NVME_REG_ACQ, maddr_of(m->admin_cq));
	nvme_write32(c, NVME_REG_CC, NVME_CC_CSS_NVM | NVME_CC_MPS(NVME_PAGE_SHIFT) | NVME_CC_AMS_RR |
					     NVME_CC_IOSQES(NVME_SQES_SHIFT) | NVME_CC_IOCQES(NVME_CQES_SHIFT) |
					     NVME_CC_EN);
	set_state(c, NVME_ENABLING, c->ready_timeout_ms);
}

static const char *bringup_command(enum nvme_state s)
{
	switch (s) {
	case NVME_SETTING_QUEUES: return "Set Features (Number of Queues)";
	case NVME_CREATING_CQ: return "Create I/O Completion Queue";
	case NVME_CREATING_SQ: return "Create I/O Submission Queue";
	default: return "admin command";
	}
}

/* Not there yet: false, and give up once the state's deadline has passed. */
static bool wait_or_give_up(struct nvme_ctrl *c, uint32_t timeout_ms, const char *waiting_for)
{
	if (tsc_passed(c->state_deadline))
		nvme_ctrl_give_up(c, "timeout after %u ms waiting for %s", timeout_ms, waiting_for);
	return false;
}

/* A bring-up admin command in flight: on its success, the next one (or LIVE). */
static bool admin_step(struct nvme_ctrl *c)
{
	struct nvme_queue_memory *m = c->mem;
	const char *what = bringup_command(c->state);
	struct nvme_cqe cqe;
	char st[80];
	int err = admin_reap(c, &cqe);

	if (err == -EAGAIN)
		return wait_or_give_up(c, NVME_ADMIN_TIMEOUT_MS, what);
	if (err == -EPROTO) {
		nvme_ctrl_give_up(c, "%s: completion for admin command %u, not %u", what, cqe.cid, c->admin_cid);
		return false;
	}
	if (err) {
		nvme_status_describe(st, sizeof(st), cqe.status);
		nvme_ctrl_give_up(c, "%s: %s", what, st);
		return false;
	}
	switch (c->state) {
	case NVME_SETTING_QUEUES:
		/* The controller grants at least one queue of each kind (dword 0, 0's based): all ballast asks for. */
		nvme_io_queues_init(c);
		admin_submit(c, (struct nvme_sqe){ .opc = NVME_ADMIN_CREATE_IO_CQ, .prp1 = maddr_of(m->io_cq),
						   .cdw10 = NVME_CREATE_Q_CDW10(NVME_IO_QID, c->io_entries),
						   .cdw11 = NVME_CREATE_Q_PC }); /* no CQ_IEN: polled */
		set_state(c, NVME_CREATING_CQ, NVME_ADMIN_TIMEOUT_MS);
		return true;
	case NVME_CREATING_CQ:
		admin_submit(c, (struct nvme_sqe){ .opc = NVME_ADMIN_CREATE_IO_SQ, .prp1 = maddr_of(m->io_sq),
						   .cdw10 = NVME_CREATE_Q_CDW10(NVME_IO_QID, c->io_entries),
						   .cdw11 = NVME_CREATE_SQ_CQID(NVME_IO_QID) | NVME_CREATE_Q_PC });
		set_state(c, NVME_CREATING_SQ, NVME_ADMIN_TIMEOUT_MS);
		return true;
	case NVME_CREATING_SQ:
		c->state = NVME_LIVE;
		return true;
	default:
		/* step() calls admin_step() in the three states above only */
		panic("%s: bring-up admin step in state %d", c->name, c->state);
	}
}

/* One step of the bring-up.  False when there is nothing to do until the controller moves. */
static bool step(struct nvme_ctrl *c)
{
	uint32_t csts;

	switch (c->state) {
	case NVME_DISABLING:
	case NVME_ENABLING:
		csts = nvme_read32(c, NVME_REG_CSTS);
		if (csts == NVME_CSTS_GONE) {
			nvme_ctrl_give_up(c, "its registers read all ones: the device is gone");
			return false;
		}
		if (c->state == NVME_DISABLING) {
			if (csts & NVME_CSTS_RDY)
				return wait_or_give_up(c, c->ready_timeout_ms,
						       "CSTS.RDY to clear after CC.EN was cleared");
			nvme_io_stopped(c); /* idle now: nothing it held is still in flight */
			enable(c);
			return true;
		}
		if (csts & NVME_CSTS_CFS) {
			nvme_ctrl_give_up(c, "controller fatal status while enabling (CSTS 0x%x)", csts);
			return false;
		}
		if (!(csts & NVME_CSTS_RDY))
			return wait_or_give_up(c, c->ready_timeout_ms, "CSTS.RDY after CC.EN was set");
		admin_submit(c, (struct nvme_sqe){ .opc = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES,
						   .cdw11 = NVME_NUM_QUEUES(1, 1) });
		set_state(c, NVME_SETTING_QUEUES, NVME_ADMIN_TIMEOUT_MS);
		return true;
	case NVME_SETTING_QUEUES:
	case NVME_CREATING_CQ:
	case NVME_CREATING_SQ:
		return admin_step(c);
	case NVME_LIVE:
	case NVME_DEAD:
		return false;
	}
	return false;
}

void nvme_ctrl_step(struct nvme_ctrl *c)
{
	for (unsigned i = 0; i < NVME_BRINGUP_STEPS && step(c); i++)
		;
}

int nvme_admin_sync(struct nvme_ctrl *c, struct nvme_sqe *cmd, uint32_t *dw0, char *why, size_t n)
{
	uint64_t deadline = tsc_deadline_ms(NVME_ADMIN_TIMEOUT_MS);
	struct nvme_cqe cqe;
	int err;

	ASSERT(c->state == NVME_LIVE);
	admin_submit(c, *cmd);
	while ((err = admin_reap(c, &cqe)) == -EAGAIN) {
		if (tsc_passed(deadline)) {
			fmt_snprintf(why, n, "timeout after %u ms", NVME_ADMIN_TIMEOUT_MS);
			return -EIO;
		}
		cpu_relax();
	}
	if (err == -EPROTO) {
		fmt_snprintf(why, n, "completion for admin command %u, not %u", cqe.cid, c->admin_cid);
		return -EIO;
	}
	if (err) {
		nvme_status_describe(why, n, cqe.status);
		return -EIO;
	}
	if (dw0)
		*dw0 = cqe.dw0;
	return 0;
}
