/*
 * The ATA command set as every transport sees it (ATA8-ACS): what a parallel-ATA task file and an AHCI port share.
 * The IDENTIFY DEVICE words ballast reads, turned into the facts a block device needs, and the Status and Error
 * registers spelled out for a failed request's one-line reason.  Encodings are in ata_regs.h.
 */
#ifndef DRIVERS_BLOCK_ATA_ACS_H
#define DRIVERS_BLOCK_ATA_ACS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "drivers/block/ata_regs.h"

/* What IDENTIFY DEVICE data says about a device. */
struct ata_identity {
	char model[ATA_ID_MODEL_CHARS + 1]; /* trailing blanks removed */
	bool not_ata;			    /* word 0 bit 15: not an ATA device; nothing else is meaningful */
	bool lba;			    /* addresses by LBA (else cylinder/head/sector only) */
	bool lba48;			    /* the 48-bit Address feature set is supported and enabled */
	bool dma;			    /* DMA supported */
	uint64_t nsectors;		    /* user-addressable logical sectors, by the widest addressing enabled */
	uint32_t sector_size;		    /* logical sector in bytes: 512 unless words 106, 117-118 say more */
};

void ata_identity_decode(const uint16_t id[ATA_ID_WORDS], struct ata_identity *out);

/* "READ DMA EXT": the command's name in ATA8-ACS, for reasons and logs; "command" for one ballast does not issue. */
const char *ata_command_name(uint8_t opcode);

/* "0x51 (DRDY ERR)", "0x04 (ABRT)": a register's value and the names of its set bits, most significant first. */
void ata_describe_status(char *buf, size_t n, uint8_t status);
void ata_describe_error(char *buf, size_t n, uint8_t error);

#endif
