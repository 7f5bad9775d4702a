/*
 * ATA hardware definitions in one place: the task-file registers of a parallel-ATA channel and their bits
 * (ATA/ATAPI-8 Parallel Transport, ATA8-APT §4 and ATA8-ACS §6), the commands ballast issues (ATA8-ACS §7), the
 * IDENTIFY DEVICE words it reads (ATA8-ACS Table 22), the PCI IDE controller's programming interface (PCI IDE
 * Controller Specification 1.0) and the bus-master IDE registers with their descriptor table (Intel 82371SB PIIX3
 * datasheet §2.7, the register set every PCI IDE controller copies).  Names follow those documents.
 */
#ifndef DRIVERS_BLOCK_ATA_REGS_H
#define DRIVERS_BLOCK_ATA_REGS_H

#include <stdint.h>
#include <ballast/compiler.h>

/* Command block registers: offsets from the channel's command-block base. */
#define ATA_REG_DATA 0	   /* 16-bit PIO data */
#define ATA_REG_ERROR 1	   /* read */
#define ATA_REG_FEATURES 1 /* write */
#define ATA_REG_COUNT 2	   /* sector count */
#define ATA_REG_LBA_LOW 3
#define ATA_REG_LBA_MID 4
#define ATA_REG_LBA_HIGH 5
#define ATA_REG_DEVICE 6
#define ATA_REG_STATUS 7  /* read; reading it also clears the device's pending interrupt */
#define ATA_REG_COMMAND 7 /* write */

/* Control block register: at the channel's control-block base. */
#define ATA_REG_ALT_STATUS 0	 /* read: Status without clearing the interrupt */
#define ATA_REG_DEVICE_CONTROL 0 /* write */

/* Status */
#define ATA_STATUS_ERR BIT(0)  /* the command ended with an error: see the Error register */
#define ATA_STATUS_DRQ BIT(3)  /* ready to transfer a data block */
#define ATA_STATUS_DF BIT(5)   /* device fault */
#define ATA_STATUS_DRDY BIT(6) /* device ready to accept commands */
#define ATA_STATUS_BSY BIT(7)  /* busy: every other bit is meaningless while set */

/* Error (valid when Status.ERR is set) */
#define ATA_ERROR_OBS0 BIT(0) /* obsolete (address mark not found on old drives) */
#define ATA_ERROR_NM BIT(1)   /* no media */
#define ATA_ERROR_ABRT BIT(2) /* command aborted: not supported, or invalid parameters */
#define ATA_ERROR_MCR BIT(3)  /* media change request */
#define ATA_ERROR_IDNF BIT(4) /* ID not found: the address is beyond the device */
#define ATA_ERROR_MC BIT(5)   /* media changed */
#define ATA_ERROR_UNC BIT(6)  /* uncorrectable data error */
#define ATA_ERROR_ICRC BIT(7) /* interface CRC error (Ultra DMA) */

/* Device */
#define ATA_DEVICE_OBS 0xa0	/* bits 7 and 5: obsolete, set as older devices require */
#define ATA_DEVICE_LBA BIT(6)	/* the address is an LBA (bits 27:24 of an LBA28 address in bits 3:0) */
#define ATA_DEVICE_DEV BIT(4)	/* 0: device 0 (master), 1: device 1 (slave) */
#define ATA_DEVICE_LBA28_HIGH 0x0f

/* Device Control */
#define ATA_CONTROL_NIEN BIT(1) /* no interrupts: ballast polls, with the PIC masked */
#define ATA_CONTROL_SRST BIT(2) /* software reset of both devices on the channel */
#define ATA_CONTROL_HOB BIT(7)	/* read back the previous (high-order) bytes of the LBA48 registers */

/* Commands */
#define ATA_CMD_READ_SECTORS 0x20
#define ATA_CMD_READ_SECTORS_EXT 0x24
#define ATA_CMD_READ_DMA_EXT 0x25
#define ATA_CMD_WRITE_SECTORS 0x30
#define ATA_CMD_WRITE_SECTORS_EXT 0x34
#define ATA_CMD_WRITE_DMA_EXT 0x35
#define ATA_CMD_READ_DMA 0xc8
#define ATA_CMD_WRITE_DMA 0xca
#define ATA_CMD_IDENTIFY_DEVICE 0xec

#define ATA_LBA28_LIMIT (1ULL << 28) /* first LBA an LBA28 command cannot address */
#define ATA_LBA28_MAX_COUNT 256	     /* sectors per LBA28 command (Count 0 means 256) */
#define ATA_LBA48_MAX_COUNT 65536    /* sectors per LBA48 command (Count 0 means 65536) */

/* Signatures in LBA Mid / LBA High after a reset, or after a packet device aborts IDENTIFY DEVICE. */
#define ATA_SIG_PACKET_MID 0x14 /* parallel ATAPI (CD-ROM) */
#define ATA_SIG_PACKET_HIGH 0xeb
#define ATA_SIG_SATA_PACKET_MID 0x69
#define ATA_SIG_SATA_PACKET_HIGH 0x96

/* IDENTIFY DEVICE data: 256 little-endian words; strings hold two characters per word, the first in the high byte. */
#define ATA_ID_WORDS 256
#define ATA_ID_GENERAL_CONFIG 0
#define ATA_ID_CONFIG_NOT_ATA BIT(15) /* set: not an ATA device */
#define ATA_ID_MODEL 27		      /* words 27-46: model number, 40 characters */
#define ATA_ID_MODEL_CHARS 40
#define ATA_ID_CAPABILITIES 49
#define ATA_ID_CAP_DMA BIT(8) /* DMA supported */
#define ATA_ID_CAP_LBA BIT(9) /* LBA supported */
#define ATA_ID_LBA28_SECTORS 60	      /* words 60-61: user-addressable sectors for LBA28 commands */
#define ATA_ID_COMMAND_SET_SUPPORTED_2 83
#define ATA_ID_COMMAND_SET_ENABLED_2 86
#define ATA_ID_CMD2_LBA48 BIT(10)     /* the 48-bit Address feature set */
#define ATA_ID_LBA48_SECTORS 100      /* words 100-103 */
#define ATA_ID_SECTOR_SIZE 106	      /* physical / logical sector size */
#define ATA_ID_SECTOR_SIZE_VALID_MASK 0xc000
#define ATA_ID_SECTOR_SIZE_VALID 0x4000 /* bit 14 one and bit 15 zero: the word is valid */
#define ATA_ID_SECTOR_SIZE_LONG BIT(12) /* logical sector longer than 256 words: see words 117-118 */
#define ATA_ID_LOGICAL_SECTOR_WORDS 117 /* words 117-118 */

/* Legacy ("compatibility mode") channel addresses, fixed since the PC/AT. */
#define ATA_COMPAT_PRIMARY_CMD 0x1f0
#define ATA_COMPAT_PRIMARY_CTRL 0x3f6
#define ATA_COMPAT_SECONDARY_CMD 0x170
#define ATA_COMPAT_SECONDARY_CTRL 0x376
#define ATA_NATIVE_CTRL_OFFSET 2 /* native mode: the control BAR decodes 4 ports, the register is the third */

/* PCI programming interface of class 01.01 (IDE controller) */
#define IDE_PROGIF_NATIVE(ch) BIT(2 * (ch)) /* channel ch decoded through BARs (native-PCI mode) */
#define IDE_PROGIF_BUS_MASTER BIT(7)	    /* bus-master IDE registers at BAR 4 */
#define IDE_BAR_BUS_MASTER 4

/* Bus-master IDE registers: offsets from BAR 4, channel 1 at +8. */
#define BMIDE_CHANNEL_STRIDE 8
#define BMIDE_REG_COMMAND 0 /* BMICx */
#define BMIDE_REG_STATUS 2  /* BMISx */
#define BMIDE_REG_PRDT 4    /* BMIDTPx: physical address of the descriptor table, dword aligned */
#define BMIC_SSBM BIT(0)    /* start/stop bus master */
#define BMIC_RWCON BIT(3)   /* 1: the controller writes memory (a disk read); must not change while started */
#define BMIS_BMIDEA BIT(0)  /* bus master active */
#define BMIS_ERROR BIT(1)   /* a PCI master or target abort: write 1 to clear */
#define BMIS_IDEINTS BIT(2) /* the device raised its interrupt: write 1 to clear */
#define BMIS_DMA_CAPABLE (BIT(5) | BIT(6)) /* per-device flags firmware sets; kept as they are */

/* Physical region descriptor: one contiguous piece of the transfer.  The table must not cross a 64 KiB boundary,
 * nor may a region; a 4 KiB machine page never does. */
struct bmide_prd {
	uint32_t base;	/* physical address, even; 32 bits: memory below 4 GiB only */
	uint16_t count; /* bytes, even; 0 means 64 KiB */
	uint16_t flags; /* BMIDE_PRD_EOT on the last descriptor */
};
_Static_assert(sizeof(struct bmide_prd) == 8, "PIIX physical region descriptor");
#define BMIDE_PRD_EOT 0x8000
#define BMIDE_PRD_ADDR_LIMIT (1ULL << 32)

#endif
