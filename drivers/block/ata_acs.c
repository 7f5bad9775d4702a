/*
 * ATA8-ACS facts shared by the ATA and AHCI drivers (ata_acs.h): IDENTIFY DEVICE decoding, command names, and the
 * Status and Error bits by name.
 */
#include <ballast/compiler.h>
#include <ballast/format.h>
#include "drivers/block/ata_acs.h"

/* A string field: two characters per word, the first in the high byte; trailing blanks dropped. */
static void id_string(const uint16_t *id, unsigned word, unsigned chars, char *out)
{
	for (unsigned i = 0; i < chars; i += 2) {
		out[i] = (char)(id[word + i / 2] >> 8);
		out[i + 1] = (char)id[word + i / 2];
	}
	out[chars] = 0;
	for (int i = (int)chars - 1; i >= 0 && (out[i] == ' ' || out[i] == 0); i--)
		out[i] = 0;
}

void ata_identity_decode(const uint16_t id[ATA_ID_WORDS], struct ata_identity *out)
{
	*out = (struct ata_identity){ .sector_size = 512 };
	id_string(id, ATA_ID_MODEL, ATA_ID_MODEL_CHARS, out->model);
	out->not_ata = id[ATA_ID_GENERAL_CONFIG] & ATA_ID_CONFIG_NOT_ATA;
	out->lba = id[ATA_ID_CAPABILITIES] & ATA_ID_CAP_LBA;
	out->dma = id[ATA_ID_CAPABILITIES] & ATA_ID_CAP_DMA;
	out->lba48 = (id[ATA_ID_COMMAND_SET_SUPPORTED_2] & ATA_ID_CMD2_LBA48) &&
		     (id[ATA_ID_COMMAND_SET_ENABLED_2] & ATA_ID_CMD2_LBA48);
	out->nsectors = (uint64_t)id[ATA_ID_LBA28_SECTORS] | (uint64_t)id[ATA_ID_LBA28_SECTORS + 1] << 16;
	if (out->lba48)
		out->nsectors = (uint64_t)id[ATA_ID_LBA48_SECTORS] | (uint64_t)id[ATA_ID_LBA48_SECTORS + 1] << 16 |
				(uint64_t)id[ATA_ID_LBA48_SECTORS + 2] << 32 |
				(uint64_t)id[ATA_ID_LBA48_SECTORS + 3] << 48;
	uint16_t ss = id[ATA_ID_SECTOR_SIZE];
	if ((ss & ATA_ID_SECTOR_SIZE_VALID_MASK) == ATA_ID_SECTOR_SIZE_VALID && (ss & ATA_ID_SECTOR_SIZE_LONG))
		out->sector_size = 2 * ((uint32_t)id[ATA_ID_LOGICAL_SECTOR_WORDS] |
					(uint32_t)id[ATA_ID_LOGICAL_SECTOR_WORDS + 1] << 16);
}

const char *ata_command_name(uint8_t opcode)
{
	switch (opcode) {
	case ATA_CMD_READ_SECTORS: return "READ SECTORS";
	case ATA_CMD_READ_SECTORS_EXT: return "READ SECTORS EXT";
	case ATA_CMD_WRITE_SECTORS: return "WRITE SECTORS";
	case ATA_CMD_WRITE_SECTORS_EXT: return "WRITE SECTORS EXT";
	case ATA_CMD_READ_DMA: return "READ DMA";
	case ATA_CMD_READ_DMA_EXT: return "READ DMA EXT";
	case ATA_CMD_WRITE_DMA: return "WRITE DMA";
	case ATA_CMD_WRITE_DMA_EXT: return "WRITE DMA EXT";
	case ATA_CMD_IDENTIFY_DEVICE: return "IDENTIFY DEVICE";
	default: return "command";
	}
}

static void describe_bits(char *buf, size_t n, uint8_t v, const char *const names[8])
{
	int len = fmt_snprintf(buf, n, "0x%02x (", v);
	bool any = false;

	for (int bit = 7; bit >= 0; bit--) {
		if (!(v & BIT(bit)) || !names[bit] || (size_t)len >= n)
			continue;
		len += fmt_snprintf(buf + len, n - len, "%s%s", any ? " " : "", names[bit]);
		any = true;
	}
	if ((size_t)len < n)
		fmt_snprintf(buf + len, n - len, "%s)", any ? "" : "none");
}

void ata_describe_status(char *buf, size_t n, uint8_t status)
{
	static const char *const names[8] = { "ERR", 0, 0, "DRQ", 0, "DF", "DRDY", "BSY" };

	describe_bits(buf, n, status, names);
}

void ata_describe_error(char *buf, size_t n, uint8_t error)
{
	static const char *const names[8] = { "OBS", "NM", "ABRT", "MCR", "IDNF", "MC", "UNC", "ICRC" };

	describe_bits(buf, n, error, names);
}
