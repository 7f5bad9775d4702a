/*
 * What the two halves of the ATA driver share: ata.c finds channels and drives, ata_io.c runs their commands.
 *
 * A channel (a pair of task-file register blocks) carries one command at a time for its two drives, so requests
 * queue per channel, not per drive.  The head request is worked on in commands of at most
 * ATA_MAX_PAGES_PER_COMMAND pages; each command goes through the phases of enum ata_phase, one poll step at a
 * time, and never waits: a step that finds the device busy returns, and the command's deadline decides when busy
 * has become a failure.
 */
#ifndef DRIVERS_BLOCK_ATA_INTERNAL_H
#define DRIVERS_BLOCK_ATA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/cpu.h"
#include "drivers/block/ata_regs.h"
#include "drivers/block/blockdev.h"

#define ATA_MAX_CHANNELS 4 /* two IDE controllers; a PC has one */
/* Pages per command, and descriptors in a channel's PRD table.  256 KiB keeps a command short next to the deadline
 * and is already far past the size where per-command overhead matters; LBA28 commands are further limited to 256
 * sectors (128 KiB at 512 bytes). */
#define ATA_MAX_PAGES_PER_COMMAND 64
/* No progress for this long fails the command: from issue to the first data block, between blocks, to the end.
 * A disk spinning up from standby needs several seconds; a healthy one answers in milliseconds. */
#define ATA_COMMAND_TIMEOUT_MS 10000
#define ATA_PROBE_TIMEOUT_MS 2000 /* for BSY to clear at probe time (firmware has already waited for spin-up) */
/* Work done by one poll: PIO sectors moved or phases passed (32 sectors: 16 KiB at 512 bytes), so a poll stays
 * in the tens of microseconds on real hardware and the caller's loop keeps control. */
#define ATA_POLL_STEPS 32
#define ATA_RESET_PULSE_NS 5000	  /* SRST held at least 5 us (ATA8-APT, software reset protocol) */
#define ATA_RESET_SETTLE_MS 2	  /* then at least 2 ms before Status means anything */

enum ata_phase {
	ATA_IDLE,	/* no command on the channel */
	ATA_WAIT_READY, /* drive selected; waiting for BSY and DRQ clear before writing the command */
	ATA_PIO_DATA,	/* PIO command written; waiting for DRQ to move the next sector */
	ATA_FINISH,	/* every PIO sector moved; waiting for the device to end the command */
	ATA_DMA,	/* DMA command written and the bus master started; waiting for the device to end it */
};

struct ata_drive;

/* The command on the channel: one piece of the head request. */
struct ata_command {
	enum ata_phase phase;
	struct ata_drive *drive;
	struct blockdev_request *req;
	uint8_t opcode; /* ATA_CMD_* */
	bool lba48, dma;
	uint64_t lba;
	uint32_t nsectors, sectors_done;
	uint32_t first_page, npages; /* the part of req->pages this command moves */
	uint64_t deadline;	     /* TSC; pushed on by every data block */
};

struct ata_channel {
	char name[8];	    /* "ata0" */
	uint16_t cmd, ctrl; /* command-block base, Device Control / Alternate Status port */
	uint16_t bmide;	    /* this channel's bus-master registers; 0: none, PIO only */
	int selected;	    /* unit last written to the Device register; -1 after a reset */
	uint64_t settle_until; /* TSC: after a reset, Status is not read before this */
	struct bmide_prd *prdt; /* ATA_MAX_PAGES_PER_COMMAND descriptors, below 4 GiB */
	struct blockdev_request *head, *tail; /* queued requests; the head is the one on the channel */
	struct ata_command now;
};

struct ata_drive {
	struct blockdev bd;
	struct ata_channel *ch;
	uint8_t unit; /* 0: device 0 (master), 1: device 1 (slave) */
	bool lba48;   /* the 48-bit Address feature set is enabled */
	bool dma;     /* bus-master DMA for pages below 4 GiB */
	uint32_t sectors_per_page;
};

extern const struct blockdev_ops ata_ops;

static inline uint8_t ata_alt_status(const struct ata_channel *ch) { return inb(ch->ctrl + ATA_REG_ALT_STATUS); }

/* Status is not valid for 400 ns after a command or a device selection: four reads of Alternate Status take that
 * long on any bus (ATA8-APT), and change nothing. */
static inline void ata_delay400(const struct ata_channel *ch)
{
	for (int i = 0; i < 4; i++)
		(void)ata_alt_status(ch);
}

/* Write the Device register for unit (LBA mode) if it is not the one selected. */
void ata_select(struct ata_channel *ch, unsigned unit);

#endif
