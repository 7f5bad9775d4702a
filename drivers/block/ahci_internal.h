/*
 * What the two halves of the AHCI driver share: ahci.c takes the HBAs and brings their ports up, ahci_io.c runs
 * their commands.
 *
 * One port carries one device (port multipliers are not supported), so a port is a disk: struct ahci_port is the
 * block device.  Requests queue per port, oldest first, and are cut into commands of at most
 * AHCI_MAX_PAGES_PER_COMMAND pages, each in a command slot of its own.  Up to AHCI_SLOTS commands sit in the
 * command list at once, so the HBA moves from one to the next without waiting for a poll; without NCQ the device
 * still runs them one at a time, in the order ahci_io.c gives them (its overview says why that order is exact).
 *
 * Each port owns a block of memory the HBA reads and writes by itself (command list, received FIS area, command
 * tables).  It lies in the image, which is identity-mapped below 4 GiB, as the ATA PRD tables do: the HBA needs
 * 32-bit addresses at most, and nothing has to be freed.
 */
#ifndef DRIVERS_BLOCK_AHCI_INTERNAL_H
#define DRIVERS_BLOCK_AHCI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "drivers/block/ahci_regs.h"
#include "drivers/block/blockdev.h"

#define AHCI_MAX_HBAS 2		/* a PC has one; a second on a card */
#define AHCI_MAX_DISKS BLOCKDEV_MAX /* ports taken, each with its own DMA memory in the image */
/* Command slots used per port (the HBA has CAP.NCS + 1, up to 32).  Without NCQ the device runs one command at a
 * time, so more slots only hide the time between one command's end and the driver's next poll; eight keep the HBA
 * busy across a swap-out cluster of 16 pages per request. */
#define AHCI_SLOTS 8
/* Pages per command, one PRD each: 256 KiB, the ATA driver's size too.  A command stays short next to the deadline;
 * the per-command overhead is long paid off at that size. */
#define AHCI_MAX_PAGES_PER_COMMAND 64
/* No progress for this long fails the oldest command: no command ended while some were in the list.  A disk
 * spinning up from standby needs several seconds; a healthy one answers in milliseconds. */
#define AHCI_COMMAND_TIMEOUT_MS 10000
#define AHCI_PROBE_TIMEOUT_MS 2000  /* for BSY to clear and IDENTIFY DEVICE to end, at probe time */
#define AHCI_ENGINE_STOP_MS 500	    /* PxCMD.CR and .FR clear within 500 ms of ST and FRE (§10.1.2) */
#define AHCI_COMRESET_HOLD_MS 1	    /* PxSCTL.DET = 1 held at least 1 ms (§10.4.2) */
#define AHCI_LINK_TIMEOUT_MS 1000   /* after COMRESET, for the Phy to report the device again (SSTS.DET = 3) */
#define AHCI_BOH_BUSY_WAIT_MS 25    /* BIOS/OS handoff: firmware says BIOS Busy within 25 ms ... (§10.6) */
#define AHCI_BOH_FINISH_MS 2000	    /* ... and then has at least 2 s to finish its commands */

_Static_assert(AHCI_SLOTS <= AHCI_CMD_LIST_SLOTS, "a command list has 32 slots");

/* A command table with the descriptors this driver uses (AHCI 1.3.1 §4.2.3). */
struct ahci_cmd_table {
	union {
		struct fis_reg_h2d h2d;
		uint8_t bytes[AHCI_CMD_TABLE_ACMD];
	} cfis;
	uint8_t acmd[16];
	uint8_t reserved[AHCI_CMD_TABLE_PRDT - AHCI_CMD_TABLE_ACMD - 16];
	struct ahci_prd prdt[AHCI_MAX_PAGES_PER_COMMAND];
} __aligned(AHCI_CMD_TABLE_ALIGN);
_Static_assert(offsetof(struct ahci_cmd_table, acmd) == AHCI_CMD_TABLE_ACMD &&
		       offsetof(struct ahci_cmd_table, prdt) == AHCI_CMD_TABLE_PRDT,
	       "AHCI 1.3.1 §4.2.3: CFIS at 0, ACMD at 0x40, PRDT at 0x80");
_Static_assert(sizeof(struct ahci_cmd_table) % AHCI_CMD_TABLE_ALIGN == 0, "each table 128-byte aligned");

/* One port's DMA memory.  The struct's alignment gives the command list its 1 KiB; the offsets give the rest. */
struct ahci_port_mem {
	struct ahci_cmd_header list[AHCI_CMD_LIST_SLOTS];
	struct ahci_received_fis fis;
	struct ahci_cmd_table table[AHCI_SLOTS];
} __aligned(AHCI_CMD_LIST_ALIGN);
_Static_assert(offsetof(struct ahci_port_mem, fis) % AHCI_RECEIVED_FIS_ALIGN == 0 &&
		       offsetof(struct ahci_port_mem, table) % AHCI_CMD_TABLE_ALIGN == 0,
	       "received FIS area 256-byte aligned, command tables 128-byte aligned");

enum ahci_phase {
	AHCI_RUNNING,	   /* the command list runs: commands are issued and their ends collected */
	AHCI_STOPPING,	   /* after an error or a timeout: PxCMD.ST cleared, waiting for CR to clear */
	AHCI_RESET_ASSERT, /* COMRESET: PxSCTL.DET = 1, held for AHCI_COMRESET_HOLD_MS */
	AHCI_RESET_LINK,   /* COMRESET released; waiting for the link to come back (SSTS.DET = 3) */
	AHCI_RESET_DEVICE, /* link up; waiting for the device to clear BSY and DRQ before the list restarts */
	AHCI_DEAD,	   /* recovery failed: the port is stopped and every request fails */
};

/* The command in one slot: a piece of a request. */
struct ahci_command {
	struct blockdev_request *req; /* NULL: the slot is free */
	uint8_t opcode;		      /* ATA_CMD_* */
	uint64_t lba;
	uint32_t nsectors;
	uint32_t first_page, npages; /* the part of req->pages it moves */
};

struct ahci_hba {
	char name[8];		/* "ahci0" */
	volatile uint8_t *abar; /* the registers, mapped uncached */
	uint32_t cap;
	unsigned nslots; /* CAP.NCS + 1 */
};

struct ahci_port {
	struct blockdev bd;
	struct ahci_hba *hba;
	volatile uint8_t *regs; /* this port's register block */
	struct ahci_port_mem *mem;
	unsigned nslots;   /* slots used: AHCI_SLOTS, or fewer on an HBA that has fewer */
	bool lba48;	   /* the device has the 48-bit Address feature set: commands are READ/WRITE DMA EXT */
	bool s64a;	   /* the HBA takes 64-bit addresses: pages above 4 GiB can be moved */
	uint32_t sectors_per_page;

	enum ahci_phase phase;
	uint64_t phase_deadline; /* TSC: when the present recovery phase has waited long enough */
	uint32_t busy;		 /* slots holding a command: a run of consecutive slots, oldest lowest */
	unsigned next_slot;	 /* where the next command goes; a new run of slots starts only when none is busy */
	uint64_t deadline;	 /* TSC: some command must end by then while busy is not 0 */
	struct ahci_command cmd[AHCI_SLOTS];

	struct blockdev_request *head, *tail; /* queued requests, oldest first; linked through req->next */
	struct blockdev_request *pending;     /* the oldest request with pages not yet in a slot; NULL: none */
	uint32_t pending_page;		      /* its first page not yet in a slot */

	/* The failure being recovered from, while phase is not AHCI_RUNNING. */
	int failed_slot;  /* the command that failed or timed out; -1: none (the port stopped for a bare error) */
	bool need_reset;  /* COMRESET before the list restarts: the device's state is unknown */
	bool was_reset;	  /* a COMRESET happened: say so in the reason */
	char why[BLOCKDEV_WHY_LEN];
};

extern const struct blockdev_ops ahci_ops;

static inline uint32_t ahci_read(volatile uint8_t *base, uint32_t off)
{
	uint32_t v = *(volatile uint32_t *)(base + off);

	barrier(); /* what the HBA wrote to memory is read after the register that says it is there */
	return v;
}

static inline void ahci_write(volatile uint8_t *base, uint32_t off, uint32_t v)
{
	barrier(); /* command tables and headers are in memory before the register that hands them over */
	*(volatile uint32_t *)(base + off) = v;
}

static inline uint32_t port_read(const struct ahci_port *p, uint32_t off) { return ahci_read(p->regs, off); }
static inline void port_write(const struct ahci_port *p, uint32_t off, uint32_t v) { ahci_write(p->regs, off, v); }

/* Fill slot's command header and the Register H2D FIS in its table for opcode; nprd descriptors, which the caller
 * fills with ahci_set_prd(), carry the data (write: memory to device). */
void ahci_set_command(struct ahci_port *p, unsigned slot, uint8_t opcode, uint64_t lba, uint32_t count, bool write,
		      unsigned nprd);
void ahci_set_prd(struct ahci_prd *prd, uint64_t maddr, uint32_t bytes);

#endif
