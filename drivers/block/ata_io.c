/*
 * ATA commands as a polled state machine: READ/WRITE SECTORS (EXT) by PIO, READ/WRITE DMA (EXT) through the PIIX
 * bus master, one command per channel at a time (ata_internal.h has the phases).
 *
 * Each poll runs at most ATA_POLL_STEPS steps and never spins: a step that finds the device busy returns, and the
 * command's deadline turns "still busy" into a failure.  A failure ends the request with -EIO and a reason built
 * from the command and the device's Status and Error bits; a timeout or a device fault also resets the channel,
 * since the device's state is then unknown.  Nothing is retried here: the caller decides.
 *
 * LBA28 commands wherever the sectors fit them (fewer register writes, and what every ATA device takes), LBA48
 * beyond 128 GiB (at 512-byte sectors) on devices that have it.
 */
#include <stdarg.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include "arch/x86_64/tsc.h"
#include "drivers/block/ata_acs.h"
#include "drivers/block/ata_internal.h"
#include "kernel/memory.h"
#include "kernel/panic.h"

void ata_select(struct ata_channel *ch, unsigned unit)
{
	if (ch->selected == (int)unit)
		return;
	outb(ch->cmd + ATA_REG_DEVICE, ATA_DEVICE_OBS | ATA_DEVICE_LBA | (unit ? ATA_DEVICE_DEV : 0));
	ata_delay400(ch);
	ch->selected = (int)unit;
}

static void dequeue_head(struct ata_channel *ch)
{
	ch->head = ch->head->next;
	if (!ch->head)
		ch->tail = 0;
}

/* Stop the bus master and clear its error and interrupt flags. */
static void stop_dma(struct ata_channel *ch, uint8_t bm_status)
{
	outb(ch->bmide + BMIDE_REG_COMMAND, inb(ch->bmide + BMIDE_REG_COMMAND) & ~BMIC_SSBM);
	outb(ch->bmide + BMIDE_REG_STATUS, (bm_status & BMIS_DMA_CAPABLE) | BMIS_ERROR | BMIS_IDEINTS);
}

/* SRST both devices: the way back from a device that stopped answering.  A packet device on the channel is reset
 * too, which it survives (its media and state are kept; it reports a unit attention to its next user). */
static void reset_channel(struct ata_channel *ch)
{
	outb(ch->ctrl + ATA_REG_DEVICE_CONTROL, ATA_CONTROL_NIEN | ATA_CONTROL_SRST);
	tsc_delay_ns(ATA_RESET_PULSE_NS);
	outb(ch->ctrl + ATA_REG_DEVICE_CONTROL, ATA_CONTROL_NIEN);
	ch->selected = -1;
	ch->settle_until = tsc_deadline_ms(ATA_RESET_SETTLE_MS);
}

/* End the channel's command and its request with -EIO; the next queued request goes on the channel next. */
static void __printf(3, 4) fail_command(struct ata_channel *ch, bool reset, const char *fmt, ...)
{
	struct ata_command *c = &ch->now;
	struct blockdev_request *req = c->req;
	char detail[112];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (c->dma)
		stop_dma(ch, inb(ch->bmide + BMIDE_REG_STATUS));
	if (reset)
		reset_channel(ch);
	c->phase = ATA_IDLE;
	dequeue_head(ch);
	blockdev_fail(req, -EIO, "%s, %u sectors at LBA %llu: %s%s", ata_command_name(c->opcode), c->nsectors,
		      (unsigned long long)c->lba, detail, reset ? "; channel reset" : "");
}

/* The device set ERR or DF: say what its Error register says. */
static void device_error(struct ata_channel *ch, uint8_t status)
{
	char st[48], er[64];

	ata_describe_status(st, sizeof(st), status);
	ata_describe_error(er, sizeof(er), inb(ch->cmd + ATA_REG_ERROR));
	/* After ERR alone the device is ready for the next command; after a device fault its state is unknown. */
	fail_command(ch, status & ATA_STATUS_DF, "error %s, status %s", er, st);
}

/* The device is still busy: false (nothing to do yet), or fail the command once its deadline has passed. */
static bool wait_or_time_out(struct ata_channel *ch, uint8_t status, const char *waiting_for)
{
	struct ata_command *c = &ch->now;
	char st[48];

	if (!tsc_passed(c->deadline))
		return false;
	ata_describe_status(st, sizeof(st), status);
	if (c->phase == ATA_PIO_DATA || c->phase == ATA_FINISH)
		fail_command(ch, true, "timeout after %u ms waiting for %s at sector %u, status %s",
			     ATA_COMMAND_TIMEOUT_MS, waiting_for, c->sectors_done, st);
	else
		fail_command(ch, true, "timeout after %u ms waiting for %s, status %s", ATA_COMMAND_TIMEOUT_MS,
			     waiting_for, st);
	return true;
}

static uint8_t opcode_for(bool dma, bool lba48, enum blockdev_dir dir)
{
	static const uint8_t op[2][2][2] = {
		/* PIO */ { { ATA_CMD_READ_SECTORS, ATA_CMD_WRITE_SECTORS },
			    { ATA_CMD_READ_SECTORS_EXT, ATA_CMD_WRITE_SECTORS_EXT } },
		/* DMA */ { { ATA_CMD_READ_DMA, ATA_CMD_WRITE_DMA }, { ATA_CMD_READ_DMA_EXT, ATA_CMD_WRITE_DMA_EXT } },
	};
	return op[dma][lba48][dir == BLOCKDEV_WRITE];
}

/* Put the next piece of the head request on the channel: choose its size, addressing and transfer, select the
 * drive, and wait (next steps) for it to be ready. */
static void begin_command(struct ata_channel *ch)
{
	struct blockdev_request *req = ch->head;
	struct ata_drive *drive = req->dev->priv;
	struct ata_command *c = &ch->now;
	uint32_t spp = drive->sectors_per_page;
	uint32_t first = req->pages_done;
	uint32_t pages = MIN(req->npages - first, ATA_MAX_PAGES_PER_COMMAND);
	uint64_t lba = (req->first_page + first) * spp;
	uint32_t pages28 = MIN(pages, ATA_LBA28_MAX_COUNT / spp);
	bool lba48 = lba + (uint64_t)pages28 * spp > ATA_LBA28_LIMIT;

	if (!lba48)
		pages = pages28;
	/* blockdev_submit() kept the request inside the device, and a device without LBA48 ends below 2^28. */
	ASSERT(!lba48 || drive->lba48);
	/* The PRD holds 32-bit addresses: a piece touching memory above 4 GiB goes by PIO. */
	bool dma = drive->dma;
	for (uint32_t i = first; dma && i < first + pages; i++)
		dma = mpn_to_maddr(req->pages[i]) + PAGE_SIZE <= BMIDE_PRD_ADDR_LIMIT;

	*c = (struct ata_command){
		.phase = ATA_WAIT_READY,
		.drive = drive,
		.req = req,
		.opcode = opcode_for(dma, lba48, req->dir),
		.lba48 = lba48,
		.dma = dma,
		.lba = lba,
		.nsectors = pages * spp,
		.first_page = first,
		.npages = pages,
		.deadline = tsc_deadline_ms(ATA_COMMAND_TIMEOUT_MS),
	};
}

static void setup_dma(struct ata_channel *ch)
{
	struct ata_command *c = &ch->now;

	for (uint32_t i = 0; i < c->npages; i++)
		ch->prdt[i] = (struct bmide_prd){
			.base = (uint32_t)mpn_to_maddr(c->req->pages[c->first_page + i]),
			.count = PAGE_SIZE,
			.flags = i + 1 == c->npages ? BMIDE_PRD_EOT : 0,
		};
	barrier(); /* the table is in memory before the controller is told where it is */
	outl(ch->bmide + BMIDE_REG_PRDT, (uint32_t)(uintptr_t)ch->prdt);
	/* Direction first, with the engine stopped: RWCON must not change while SSBM is set. */
	outb(ch->bmide + BMIDE_REG_COMMAND, c->req->dir == BLOCKDEV_READ ? BMIC_RWCON : 0);
	outb(ch->bmide + BMIDE_REG_STATUS,
	     (inb(ch->bmide + BMIDE_REG_STATUS) & BMIS_DMA_CAPABLE) | BMIS_ERROR | BMIS_IDEINTS);
}

/* The drive is ready: write the task file and the command (and start the bus master). */
static void issue(struct ata_channel *ch)
{
	struct ata_command *c = &ch->now;
	uint16_t p = ch->cmd;
	uint8_t device = ATA_DEVICE_OBS | ATA_DEVICE_LBA | (c->drive->unit ? ATA_DEVICE_DEV : 0);

	if (c->dma)
		setup_dma(ch);
	outb(p + ATA_REG_FEATURES, 0);
	if (c->lba48) {
		/* Each LBA48 register is a two-byte FIFO: the high-order byte is written first. */
		outb(p + ATA_REG_COUNT, (uint8_t)(c->nsectors >> 8)); /* 65536 would be 0: never asked for */
		outb(p + ATA_REG_LBA_LOW, (uint8_t)(c->lba >> 24));
		outb(p + ATA_REG_LBA_MID, (uint8_t)(c->lba >> 32));
		outb(p + ATA_REG_LBA_HIGH, (uint8_t)(c->lba >> 40));
		outb(p + ATA_REG_FEATURES, 0);
	} else {
		device |= (c->lba >> 24) & ATA_DEVICE_LBA28_HIGH;
	}
	outb(p + ATA_REG_COUNT, (uint8_t)c->nsectors); /* LBA28: 256 is written as 0, as the command means it */
	outb(p + ATA_REG_LBA_LOW, (uint8_t)c->lba);
	outb(p + ATA_REG_LBA_MID, (uint8_t)(c->lba >> 8));
	outb(p + ATA_REG_LBA_HIGH, (uint8_t)(c->lba >> 16));
	outb(p + ATA_REG_DEVICE, device); /* same DEV bit as selected: no new selection delay */
	outb(p + ATA_REG_COMMAND, c->opcode);
	if (c->dma)
		outb(ch->bmide + BMIDE_REG_COMMAND, inb(ch->bmide + BMIDE_REG_COMMAND) | BMIC_SSBM);
	ata_delay400(ch);
	c->phase = c->dma ? ATA_DMA : ATA_PIO_DATA;
	c->deadline = tsc_deadline_ms(ATA_COMMAND_TIMEOUT_MS);
}

/* DRQ is set: move one sector between the data port and its place in the request's pages. */
static void move_sector(struct ata_channel *ch)
{
	struct ata_command *c = &ch->now;
	uint32_t ss = c->drive->bd.sector_size, spp = c->drive->sectors_per_page;
	mpn_t page = c->req->pages[c->first_page + c->sectors_done / spp];
	uint8_t *where = (uint8_t *)mpn_to_ptr(page) + (c->sectors_done % spp) * ss;

	if (c->req->dir == BLOCKDEV_READ)
		insw(ch->cmd + ATA_REG_DATA, where, ss / 2);
	else
		outsw(ch->cmd + ATA_REG_DATA, where, ss / 2);
	ata_delay400(ch); /* the device drops DRQ or raises BSY for the next block: let Status catch up */
	c->sectors_done++;
	c->deadline = tsc_deadline_ms(ATA_COMMAND_TIMEOUT_MS);
	if (c->sectors_done == c->nsectors)
		c->phase = ATA_FINISH;
}

/* The command ended well: count its pages, and end the request when they were the last. */
static void command_done(struct ata_channel *ch)
{
	struct ata_command *c = &ch->now;
	struct blockdev_request *req = c->req;

	c->phase = ATA_IDLE;
	req->pages_done += c->npages;
	if (req->pages_done == req->npages) {
		dequeue_head(ch);
		blockdev_end(req, 0);
	}
}

static bool dma_step(struct ata_channel *ch)
{
	uint8_t status = ata_alt_status(ch);
	uint8_t bm = inb(ch->bmide + BMIDE_REG_STATUS);

	/* The device holds BSY or DRQ until the command ends (QEMU shows DRQ during DMA, disks BSY). */
	if ((status & (ATA_STATUS_BSY | ATA_STATUS_DRQ)) && !(bm & BMIS_ERROR))
		return wait_or_time_out(ch, status, "the DMA to end");
	stop_dma(ch, bm);
	status = inb(ch->cmd + ATA_REG_STATUS); /* clears the device's interrupt */
	if (bm & BMIS_ERROR)
		fail_command(ch, true, "bus-master error (PCI abort) in the descriptor table's transfer");
	else if (status & (ATA_STATUS_ERR | ATA_STATUS_DF))
		device_error(ch, status);
	else if (bm & BMIS_BMIDEA)
		fail_command(ch, true, "the device ended the command before the descriptor table (short transfer)");
	else
		command_done(ch);
	return true;
}

/* One step of the channel's work.  False when there is nothing to do until the device moves. */
static bool step(struct ata_channel *ch)
{
	struct ata_command *c = &ch->now;
	uint8_t status;

	switch (c->phase) {
	case ATA_IDLE:
		if (!ch->head)
			return false;
		begin_command(ch);
		return true;
	case ATA_WAIT_READY:
		if (!tsc_passed(ch->settle_until))
			return false;
		ata_select(ch, c->drive->unit);
		status = ata_alt_status(ch);
		if (status & (ATA_STATUS_BSY | ATA_STATUS_DRQ))
			return wait_or_time_out(ch, status, "the drive to be ready");
		issue(ch);
		return true;
	case ATA_PIO_DATA:
		status = ata_alt_status(ch);
		if (status & ATA_STATUS_BSY)
			return wait_or_time_out(ch, status, "a data block");
		if (status & (ATA_STATUS_ERR | ATA_STATUS_DF)) {
			device_error(ch, inb(ch->cmd + ATA_REG_STATUS));
			return true;
		}
		if (!(status & ATA_STATUS_DRQ))
			return wait_or_time_out(ch, status, "a data block");
		move_sector(ch);
		return true;
	case ATA_FINISH:
		status = ata_alt_status(ch);
		if (status & ATA_STATUS_BSY)
			return wait_or_time_out(ch, status, "the command to end");
		status = inb(ch->cmd + ATA_REG_STATUS); /* clears the device's interrupt */
		if (status & (ATA_STATUS_ERR | ATA_STATUS_DF))
			device_error(ch, status);
		else if (status & ATA_STATUS_DRQ)
			fail_command(ch, true, "the device asks for more data after the last sector (status 0x%02x)",
				     status);
		else
			command_done(ch);
		return true;
	case ATA_DMA:
		return dma_step(ch);
	}
	return false;
}

static void run(struct ata_channel *ch)
{
	for (unsigned i = 0; i < ATA_POLL_STEPS && step(ch); i++)
		;
}

static int ata_submit(struct blockdev *dev, struct blockdev_request *req)
{
	struct ata_channel *ch = ((struct ata_drive *)dev->priv)->ch;

	if (ch->tail)
		ch->tail->next = req;
	else
		ch->head = req;
	ch->tail = req;
	run(ch); /* start it now if the channel is free */
	return 0;
}

static void ata_poll(struct blockdev *dev)
{
	run(((struct ata_drive *)dev->priv)->ch);
}

const struct blockdev_ops ata_ops = { .submit = ata_submit, .poll = ata_poll };
