/*
 * AHCI commands as a polled state machine: READ/WRITE DMA EXT (READ/WRITE DMA on a device without LBA48), one PRD
 * per page, several commands in a port's command list at once, no interrupts.
 *
 * Order, and why an error is always pinned on the right command.  Without NCQ the device runs one command at a
 * time, and a failed command keeps its PxCI bit while the HBA stops (AHCI 1.3.1 §5.3.16.5, ERR:FatalTaskfile).  A
 * spec HBA takes commands round-robin, looking first at the slot after the one it issued last (PxCMD.CCS + 1, or
 * slot 0 after the list starts; §3.3.7); QEMU takes the lowest slot set.  The driver therefore fills slots upward
 * only, in runs: a run starts at CCS + 1 (at 0 when that is past the slots it uses), and the next run only once no
 * slot is busy.  Every HBA then meets the commands in slot order, which is issue order, and the lowest slot still
 * set in PxCI is the one the device was working on: the slots below it ended well, those above it never started.
 * It costs one poll's gap per run of up to AHCI_SLOTS commands.  (QEMU's AHCI before its 2023 fixes, which the
 * 7.2 stable releases have too, cleared a failed command's PxCI bit and went on with the next: there an error can be
 * pinned on a later command, and the failed one reported as done.)
 *
 * Ends.  A command whose PxCI bit clears without an error has moved its pages.  A fatal PxIS bit (§6.1), or no
 * command ending for AHCI_COMMAND_TIMEOUT_MS, starts recovery (§6.2.2.1): the command list is stopped (ST cleared,
 * CR awaited), and, when the device may still be busy or the link is at fault, the port is reset by COMRESET; the
 * failed command's request ends with -EIO and a reason built from PxTFD (Status and Error), PxIS and PxSERR,
 * only once the HBA can no longer move its data.  The other requests' commands, which never started, go back into
 * the list when it restarts; nothing that started is ever sent again.  A port whose reset does not bring the
 * device back is given up: its requests fail from then on.
 *
 * Every step is bounded and none waits: a phase that needs time records a deadline and returns.
 */
#include <ballast/errno.h>
#include <ballast/format.h>
#include "arch/x86_64/tsc.h"
#include "drivers/block/ahci_internal.h"
#include "drivers/block/ata_acs.h"
#include "drivers/block/ata_regs.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

#define ADDR_LIMIT_32 (1ULL << 32)

void ahci_set_prd(struct ahci_prd *prd, uint64_t maddr, uint32_t bytes)
{
	*prd = (struct ahci_prd){ .dba = (uint32_t)maddr, .dbau = (uint32_t)(maddr >> 32),
				  .dbc = (bytes - 1) & AHCI_PRD_DBC_MASK };
}

void ahci_set_command(struct ahci_port *p, unsigned slot, uint8_t opcode, uint64_t lba, uint32_t count, bool write,
		      unsigned nprd)
{
	struct ahci_cmd_table *t = &p->mem->table[slot];
	struct ahci_cmd_header *h = &p->mem->list[slot];
	bool data = opcode != ATA_CMD_IDENTIFY_DEVICE;
	bool ext = opcode == ATA_CMD_READ_DMA_EXT || opcode == ATA_CMD_WRITE_DMA_EXT;
	uint64_t table = (uintptr_t)t;

	t->cfis.h2d = (struct fis_reg_h2d){
		.fis_type = FIS_TYPE_REG_H2D,
		.flags = FIS_H2D_C,
		.command = opcode,
		.lba_low = (uint8_t)lba,
		.lba_mid = (uint8_t)(lba >> 8),
		.lba_high = (uint8_t)(lba >> 16),
		/* LBA addressing; an LBA28 command keeps address bits 27:24 here, an EXT one in lba_low_exp. */
		.device = data ? ATA_DEVICE_LBA | (ext ? 0 : (uint8_t)((lba >> 24) & ATA_DEVICE_LBA28_HIGH)) : 0,
		.lba_low_exp = ext ? (uint8_t)(lba >> 24) : 0,
		.lba_mid_exp = ext ? (uint8_t)(lba >> 32) : 0,
		.lba_high_exp = ext ? (uint8_t)(lba >> 40) : 0,
		.count = (uint8_t)count, /* LBA28: 256 sectors is written as 0, as the command means it */
		.count_exp = ext ? (uint8_t)(count >> 8) : 0,
	};
	*h = (struct ahci_cmd_header){
		.flags = (uint16_t)(FIS_H2D_DWORDS | (write ? AHCI_HDR_W : 0)),
		.prdtl = (uint16_t)nprd,
		.ctba = (uint32_t)table,
		.ctbau = (uint32_t)(table >> 32),
	};
}

/* "; PxIS 0x40000001 (TFES), SError 0x00000000": the HBA's own view, when it adds anything to the device's. */
static void describe_port(char *buf, size_t n, uint32_t is, uint32_t serr)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} fatal[] = {
		{ AHCI_PxIS_HBFS, "HBFS host bus fatal error" },
		{ AHCI_PxIS_HBDS, "HBDS host bus data error" },
		{ AHCI_PxIS_IFS, "IFS interface fatal error" },
		{ AHCI_PxIS_OFS, "OFS overflow" },
	};
	int len = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(fatal) && (size_t)len < n; i++)
		if (is & fatal[i].bit)
			len += fmt_snprintf(buf + len, n - len, "; %s", fatal[i].name);
	if (serr && (size_t)len < n)
		fmt_snprintf(buf + len, n - len, "; SError 0x%08x", serr);
}

static void dequeue(struct ahci_port *p, struct blockdev_request *req)
{
	struct blockdev_request **link = &p->head, *prev = 0;

	while (*link && *link != req) {
		prev = *link;
		link = &(*link)->next;
	}
	BUG_ON(!*link); /* a request in a slot is in the queue */
	*link = req->next;
	if (p->tail == req)
		p->tail = prev;
	if (p->pending == req) {
		p->pending = req->next;
		p->pending_page = 0;
	}
}

static void free_slot(struct ahci_port *p, unsigned slot)
{
	p->cmd[slot].req = 0;
	p->busy &= ~(uint32_t)BIT(slot);
}

/* The command in slot ended well: count its pages, and end the request when they were the last. */
static void command_done(struct ahci_port *p, unsigned slot)
{
	struct blockdev_request *req = p->cmd[slot].req;

	req->pages_done += p->cmd[slot].npages;
	free_slot(p, slot);
	if (req->pages_done == req->npages) {
		dequeue(p, req);
		blockdev_end(req, 0);
	}
}

/* Put the next piece of the oldest pending request into the next slot; false when nothing can go in now. */
static bool fill_slot(struct ahci_port *p)
{
	struct blockdev_request *req = p->pending;
	unsigned slot = p->next_slot;

	if (!req || slot >= p->nslots)
		return false;
	uint32_t spp = p->sectors_per_page, first = p->pending_page;
	uint32_t pages = MIN(req->npages - first, AHCI_MAX_PAGES_PER_COMMAND);
	if (!p->lba48)
		pages = MIN(pages, ATA_LBA28_MAX_COUNT / spp);
	uint64_t lba = (req->first_page + first) * spp;
	bool write = req->dir == BLOCKDEV_WRITE;
	uint8_t opcode = p->lba48 ? (write ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_READ_DMA_EXT)
				  : (write ? ATA_CMD_WRITE_DMA : ATA_CMD_READ_DMA);

	for (uint32_t i = 0; i < pages; i++)
		ahci_set_prd(&p->mem->table[slot].prdt[i], mpn_to_maddr(req->pages[first + i]), PAGE_SIZE);
	ahci_set_command(p, slot, opcode, lba, pages * spp, write, pages);
	p->cmd[slot] = (struct ahci_command){ .req = req, .opcode = opcode, .lba = lba, .nsectors = pages * spp,
					      .first_page = first, .npages = pages };
	p->busy |= (uint32_t)BIT(slot);
	p->next_slot++;
	p->pending_page += pages;
	if (p->pending_page == req->npages) {
		p->pending = req->next;
		p->pending_page = 0;
	}
	return true;
}

/* Where a run of slots starts: the first slot the HBA will look at (CCS + 1; or 0 after the list started, and then
 * nothing below CCS + 1 is set either), so that it meets the run in slot order.  See the overview. */
static unsigned first_slot(const struct ahci_port *p)
{
	unsigned next = ((port_read(p, AHCI_PxCMD) >> AHCI_PxCMD_CCS_SHIFT) & AHCI_PxCMD_CCS_MASK) + 1;

	return next < p->nslots ? next : 0;
}

/* Fill free slots from the queue and hand them to the HBA in one PxCI write. */
static void issue(struct ahci_port *p)
{
	uint32_t before = p->busy;

	if (!p->busy && p->pending)
		p->next_slot = first_slot(p); /* the only time a run starts: see the overview */
	while (fill_slot(p))
		;
	if (p->busy == before)
		return;
	if (!before)
		p->deadline = tsc_deadline_ms(AHCI_COMMAND_TIMEOUT_MS);
	port_write(p, AHCI_PxCI, p->busy & ~before);
}

static void stop_list(struct ahci_port *p)
{
	port_write(p, AHCI_PxCMD, port_read(p, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	p->phase = AHCI_STOPPING;
	p->phase_deadline = tsc_deadline_ms(AHCI_ENGINE_STOP_MS);
}

/* Something failed: pin it on the oldest command in the list, write down why, and stop the list. */
static void begin_recovery(struct ahci_port *p, bool timeout)
{
	uint32_t tfd = port_read(p, AHCI_PxTFD), is = port_read(p, AHCI_PxIS), serr = port_read(p, AHCI_PxSERR);
	uint8_t status = tfd & AHCI_PxTFD_STS_MASK, error = (tfd >> AHCI_PxTFD_ERR_SHIFT) & AHCI_PxTFD_ERR_MASK;
	char st[48], er[64], hba[80];

	p->failed_slot = p->busy ? __builtin_ctz(p->busy) : -1;
	/* After an error the device is ready for the next command only if it dropped BSY and DRQ; a timeout, or an
	 * error of the link or the host bus, leaves its state unknown (§6.2.2.1). */
	p->need_reset = timeout || (status & (ATA_STATUS_BSY | ATA_STATUS_DRQ)) ||
			(is & (AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS));
	p->was_reset = false;
	ata_describe_status(st, sizeof(st), status);
	describe_port(hba, sizeof(hba), is & AHCI_PxIS_FATAL, serr);
	if (p->failed_slot >= 0) {
		const struct ahci_command *c = &p->cmd[p->failed_slot];
		size_t len = (size_t)fmt_snprintf(p->why, sizeof(p->why), "%s, %u sectors at LBA %llu: ",
						  ata_command_name(c->opcode), c->nsectors, (unsigned long long)c->lba);

		len = MIN(len, sizeof(p->why) - 1); /* what was cut stays cut */
		if (timeout) {
			fmt_snprintf(p->why + len, sizeof(p->why) - len, "timeout after %u ms, status %s%s",
				     AHCI_COMMAND_TIMEOUT_MS, st, hba);
		} else {
			ata_describe_error(er, sizeof(er), error);
			fmt_snprintf(p->why + len, sizeof(p->why) - len, "error %s, status %s%s", er, st, hba);
		}
	}
	stop_list(p);
}

/* End the failed command's request: its other commands were never started and are dropped with it. */
static void end_failed(struct ahci_port *p)
{
	if (p->failed_slot < 0)
		return;
	struct blockdev_request *req = p->cmd[p->failed_slot].req;

	for (unsigned s = 0; s < p->nslots; s++)
		if (p->cmd[s].req == req)
			free_slot(p, s);
	p->failed_slot = -1;
	dequeue(p, req);
	blockdev_fail(req, -EIO, "%s%s", p->why, p->was_reset ? "; port reset" : "");
}

/* Recovery failed: stop the port for good and fail everything it holds. */
static void give_up(struct ahci_port *p, const char *what)
{
	port_write(p, AHCI_PxCMD, port_read(p, AHCI_PxCMD) & ~(AHCI_PxCMD_ST | AHCI_PxCMD_FRE));
	printk("ahci: %s: %s: port given up, its disk is no longer used\n", p->bd.name, what);
	p->phase = AHCI_DEAD;
	end_failed(p);
	while (p->head) {
		struct blockdev_request *req = p->head;

		p->head = req->next;
		blockdev_fail(req, -EIO, "port given up after a failed reset (%s)", what);
	}
	p->tail = p->pending = 0;
	p->busy = 0;
	for (unsigned s = 0; s < p->nslots; s++)
		p->cmd[s].req = 0;
}

/* The list is stopped and the device ready: clear what the failure left and run the commands that never
 * started, in their slots (all above the failed one, so their order holds). */
static void restart(struct ahci_port *p)
{
	if (port_read(p, AHCI_PxCMD) & AHCI_PxCMD_CR) {
		give_up(p, "the command list would not stop");
		return;
	}
	port_write(p, AHCI_PxSERR, ~0U);
	port_write(p, AHCI_PxIS, ~0U);
	port_write(p, AHCI_PxCMD, port_read(p, AHCI_PxCMD) | AHCI_PxCMD_ST);
	p->phase = AHCI_RUNNING;
	if (p->busy) {
		for (unsigned s = 0; s < p->nslots; s++)
			p->mem->list[s].prdbc = 0;
		p->deadline = tsc_deadline_ms(AHCI_COMMAND_TIMEOUT_MS);
		port_write(p, AHCI_PxCI, p->busy);
	}
}

/* One step of recovery.  False when nothing can happen until time passes or the hardware moves. */
static bool recovery_step(struct ahci_port *p)
{
	uint32_t sctl;

	switch (p->phase) {
	case AHCI_STOPPING:
		if (port_read(p, AHCI_PxCMD) & AHCI_PxCMD_CR) {
			if (!tsc_passed(p->phase_deadline))
				return false;
			p->need_reset = true; /* §10.4.2: a list that will not stop takes a COMRESET */
		}
		if (!p->need_reset) {
			end_failed(p); /* the HBA has stopped: no more DMA for it */
			restart(p);
			return true;
		}
		/* FRE stays set, so that the device's signature FIS after the reset reaches PxTFD. */
		sctl = port_read(p, AHCI_PxSCTL) & ~AHCI_SCTL_DET_MASK;
		port_write(p, AHCI_PxSCTL, sctl | AHCI_SCTL_DET_COMRESET);
		p->was_reset = true;
		p->phase = AHCI_RESET_ASSERT;
		p->phase_deadline = tsc_deadline_ms(AHCI_COMRESET_HOLD_MS);
		return true;
	case AHCI_RESET_ASSERT:
		if (!tsc_passed(p->phase_deadline))
			return false;
		sctl = port_read(p, AHCI_PxSCTL) & ~AHCI_SCTL_DET_MASK;
		port_write(p, AHCI_PxSCTL, sctl | AHCI_SCTL_DET_NONE);
		end_failed(p); /* the link was reset under the command: it can move no more data */
		p->phase = AHCI_RESET_LINK;
		p->phase_deadline = tsc_deadline_ms(AHCI_LINK_TIMEOUT_MS);
		return true;
	case AHCI_RESET_LINK:
		if ((port_read(p, AHCI_PxSSTS) & AHCI_SSTS_DET_MASK) != AHCI_SSTS_DET_PRESENT) {
			if (tsc_passed(p->phase_deadline))
				give_up(p, "no link after COMRESET");
			return false;
		}
		port_write(p, AHCI_PxSERR, ~0U); /* COMRESET sets the exchanged and PhyRdy-change bits */
		p->phase = AHCI_RESET_DEVICE;
		p->phase_deadline = tsc_deadline_ms(AHCI_COMMAND_TIMEOUT_MS);
		return true;
	case AHCI_RESET_DEVICE:
		if (port_read(p, AHCI_PxTFD) & (ATA_STATUS_BSY | ATA_STATUS_DRQ)) {
			if (tsc_passed(p->phase_deadline))
				give_up(p, "the device stayed busy after COMRESET");
			return false;
		}
		restart(p);
		return true;
	case AHCI_RUNNING:
	case AHCI_DEAD:
		break;
	}
	return false;
}

/* Collect the commands that ended, in slot order; start recovery on an error or when the oldest is overdue. */
static void collect(struct ahci_port *p)
{
	/* PxCI before PxIS: a command that failed keeps its PxCI bit, so every slot seen clear here ended well even
	 * when PxIS then shows an error. */
	uint32_t ci = port_read(p, AHCI_PxCI), is = port_read(p, AHCI_PxIS);
	uint32_t ended = p->busy & ~ci;

	for (unsigned s = 0; ended; s++, ended >>= 1)
		if (ended & 1) {
			command_done(p, s);
			p->deadline = tsc_deadline_ms(AHCI_COMMAND_TIMEOUT_MS);
		}
	if (is & AHCI_PxIS_FATAL)
		begin_recovery(p, false);
	else if (p->busy && tsc_passed(p->deadline))
		begin_recovery(p, true);
}

static void run(struct ahci_port *p)
{
	/* A recovery passes through at most four phases; each step is bounded. */
	for (unsigned i = 0; i < 4 && p->phase != AHCI_RUNNING && recovery_step(p); i++)
		;
	if (p->phase != AHCI_RUNNING)
		return;
	if (p->busy)
		collect(p);
	else if (p->pending && (port_read(p, AHCI_PxIS) & AHCI_PxIS_FATAL))
		begin_recovery(p, false); /* an error while idle (the link): cleared before a command gets the blame */
	if (p->phase == AHCI_RUNNING)
		issue(p);
}

static int ahci_submit(struct blockdev *dev, struct blockdev_request *req)
{
	struct ahci_port *p = dev->priv;

	if (p->phase == AHCI_DEAD) {
		blockdev_fail(req, -EIO, "port given up after a failed reset");
		return -EIO;
	}
	for (uint32_t i = 0; !p->s64a && i < req->npages; i++) {
		if (mpn_to_maddr(req->pages[i]) + PAGE_SIZE > ADDR_LIMIT_32) {
			blockdev_fail(req, -EIO, "page %u lies above 4 GiB and the HBA has 32-bit addresses only", i);
			return -EIO;
		}
	}
	if (p->tail)
		p->tail->next = req;
	else
		p->head = req;
	p->tail = req;
	if (!p->pending) {
		p->pending = req;
		p->pending_page = 0;
	}
	run(p); /* into a free slot now, if there is one */
	return 0;
}

static void ahci_poll(struct blockdev *dev)
{
	run(dev->priv);
}

const struct blockdev_ops ahci_ops = { .submit = ahci_submit, .poll = ahci_poll };
