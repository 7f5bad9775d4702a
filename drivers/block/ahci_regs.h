/*
 * AHCI hardware definitions in one place, named as Serial ATA AHCI 1.3.1 names them: the HBA's generic host control
 * registers (§3.1) and port registers (§3.3), the command list's command header (§4.2.2), the command table with its
 * physical region descriptor table (§4.2.3), and the received-FIS area (§4.2.1); with the frame information
 * structures the port exchanges with its device, as ATA8-AST (ATA/ATAPI-8 Serial Transport) lays them out:
 * the Register Host to Device FIS that carries a command and the Register Device to Host FIS that ends it.
 *
 * Everything in memory is little-endian, which x86 is.  Register bits are masks; the multi-bit fields have a mask
 * and a shift.
 */
#ifndef DRIVERS_BLOCK_AHCI_REGS_H
#define DRIVERS_BLOCK_AHCI_REGS_H

#include <stddef.h>
#include <stdint.h>
#include <ballast/compiler.h>

/* PCI: an AHCI HBA is class 01.06 (SATA controller) with programming interface 01 (PCI_PROGIF_AHCI); its registers
 * (ABAR, the AHCI Base Address) are at BAR 5. */
#define AHCI_BAR_ABAR 5

/* Generic host control: offsets from ABAR */
#define AHCI_CAP 0x00  /* HBA Capabilities */
#define AHCI_GHC 0x04  /* Global HBA Control */
#define AHCI_IS 0x08   /* Interrupt Status: one bit per port */
#define AHCI_PI 0x0c   /* Ports Implemented: one bit per port */
#define AHCI_VS 0x10   /* Version: major in 31:16, minor in 15:0 (0x00010301 is 1.3.1) */
#define AHCI_CAP2 0x24 /* HBA Capabilities Extended */
#define AHCI_BOHC 0x28 /* BIOS/OS Handoff Control and Status */

#define AHCI_CAP_NP_MASK 0x1f	   /* Number of Ports, 0's based */
#define AHCI_CAP_NCS_SHIFT 8	   /* Number of Command Slots, 0's based */
#define AHCI_CAP_NCS_MASK 0x1f
#define AHCI_CAP_SSS BIT(27)	   /* Supports Staggered Spin-up: PxCMD.SUD starts each device */
#define AHCI_CAP_SNCQ BIT(30)	   /* Supports Native Command Queuing */
#define AHCI_CAP_S64A BIT(31)	   /* Supports 64-bit Addressing: CLBU, FBU, CTBAU and DBAU are decoded */

#define AHCI_GHC_HR BIT(0)  /* HBA Reset */
#define AHCI_GHC_IE BIT(1)  /* Interrupt Enable */
#define AHCI_GHC_AE BIT(31) /* AHCI Enable: the HBA is driven through these registers, not a legacy interface */

#define AHCI_CAP2_BOH BIT(0) /* BIOS/OS Handoff: BOHC is implemented */

#define AHCI_BOHC_BOS BIT(0) /* BIOS Owned Semaphore */
#define AHCI_BOHC_OOS BIT(1) /* OS Owned Semaphore */
#define AHCI_BOHC_BB BIT(4)  /* BIOS Busy: firmware is finishing outstanding commands */

/* Port registers: port n's block is at ABAR + AHCI_PORT_BASE + n * AHCI_PORT_STRIDE. */
#define AHCI_PORT_BASE 0x100
#define AHCI_PORT_STRIDE 0x80
#define AHCI_MAX_PORTS 32
#define AHCI_PxCLB 0x00	 /* Command List Base Address, 1 KiB aligned */
#define AHCI_PxCLBU 0x04 /* its upper 32 bits */
#define AHCI_PxFB 0x08	 /* FIS Base Address, 256-byte aligned */
#define AHCI_PxFBU 0x0c
#define AHCI_PxIS 0x10	 /* Interrupt Status: write 1 to clear */
#define AHCI_PxIE 0x14	 /* Interrupt Enable */
#define AHCI_PxCMD 0x18	 /* Command and Status */
#define AHCI_PxTFD 0x20	 /* Task File Data: the device's Status and Error registers as last reported */
#define AHCI_PxSIG 0x24	 /* Signature: from the device's first Register D2H FIS after a reset */
#define AHCI_PxSSTS 0x28 /* SATA Status (SCR0: SStatus) */
#define AHCI_PxSCTL 0x2c /* SATA Control (SCR2: SControl) */
#define AHCI_PxSERR 0x30 /* SATA Error (SCR1: SError): write 1 to clear */
#define AHCI_PxSACT 0x34 /* SATA Active (SCR3: SActive): NCQ tags */
#define AHCI_PxCI 0x38	 /* Command Issue: one bit per command slot */

/* PxIS */
#define AHCI_PxIS_DHRS BIT(0)  /* Device to Host Register FIS received */
#define AHCI_PxIS_PSS BIT(1)   /* PIO Setup FIS received */
#define AHCI_PxIS_DSS BIT(2)   /* DMA Setup FIS received */
#define AHCI_PxIS_SDBS BIT(3)  /* Set Device Bits FIS received */
#define AHCI_PxIS_UFS BIT(4)   /* Unknown FIS received */
#define AHCI_PxIS_DPS BIT(5)   /* Descriptor Processed */
#define AHCI_PxIS_PCS BIT(6)   /* Port Connect Change (follows SERR.DIAG.X) */
#define AHCI_PxIS_PRCS BIT(22) /* PhyRdy Change (follows SERR.DIAG.N) */
#define AHCI_PxIS_OFS BIT(24)  /* Overflow: the device sent more data than the PRDT holds */
#define AHCI_PxIS_INFS BIT(26) /* Interface Non-fatal Error */
#define AHCI_PxIS_IFS BIT(27)  /* Interface Fatal Error */
#define AHCI_PxIS_HBDS BIT(28) /* Host Bus Data Error */
#define AHCI_PxIS_HBFS BIT(29) /* Host Bus Fatal Error */
#define AHCI_PxIS_TFES BIT(30) /* Task File Error: the device ended a command with Status.ERR */
/* The errors after which the port stops processing its command list (§6.1, §6.2.2.1): recovery must follow. */
#define AHCI_PxIS_FATAL (AHCI_PxIS_TFES | AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS | AHCI_PxIS_OFS)

/* PxCMD */
#define AHCI_PxCMD_ST BIT(0)   /* Start: the HBA processes the command list */
#define AHCI_PxCMD_SUD BIT(1)  /* Spin-Up Device (with CAP.SSS) */
#define AHCI_PxCMD_POD BIT(2)  /* Power On Device (with CAP.CPD) */
#define AHCI_PxCMD_FRE BIT(4)  /* FIS Receive Enable: the HBA posts received FISes at PxFB */
#define AHCI_PxCMD_CCS_SHIFT 8 /* Current Command Slot */
#define AHCI_PxCMD_CCS_MASK 0x1f
#define AHCI_PxCMD_FR BIT(14) /* FIS Receive Running */
#define AHCI_PxCMD_CR BIT(15) /* Command List Running */
#define AHCI_PxCMD_ATAPI BIT(24) /* Device is ATAPI: drives the activity LED only */
#define AHCI_PxCMD_ICC_SHIFT 28	 /* Interface Communication Control */
#define AHCI_PxCMD_ICC_MASK 0xfU

/* PxTFD */
#define AHCI_PxTFD_STS_MASK 0xff /* Status: ATA_STATUS_* */
#define AHCI_PxTFD_ERR_SHIFT 8	 /* Error: ATA_ERROR_* */
#define AHCI_PxTFD_ERR_MASK 0xff

/* PxSIG: the device signature of ATA8-ACS (Count, LBA Low, LBA Mid, LBA High from bit 0 up), as the device's first
 * Register D2H FIS after a reset carries it */
#define AHCI_SIG_ATA 0x00000101U   /* an ATA device: a disk */
#define AHCI_SIG_ATAPI 0xeb140101U /* a packet device: a CD/DVD drive */
#define AHCI_SIG_SEMB 0xc33c0101U  /* an enclosure management bridge */
#define AHCI_SIG_PM 0x96690101U	   /* a port multiplier */
#define AHCI_SIG_NONE 0xffffffffU  /* no Register D2H FIS received since the port's reset */

/* PxSSTS (SStatus) */
#define AHCI_SSTS_DET_MASK 0xf /* Device Detection */
#define AHCI_SSTS_DET_PRESENT 0x3  /* device present and Phy communication established */
#define AHCI_SSTS_SPD_SHIFT 4	   /* Current Interface Speed: 1 Gen1 (1.5 Gb/s), 2 Gen2, 3 Gen3 */
#define AHCI_SSTS_SPD_MASK 0xf
#define AHCI_SSTS_IPM_SHIFT 8	   /* Interface Power Management */
#define AHCI_SSTS_IPM_MASK 0xf
#define AHCI_SSTS_IPM_ACTIVE 0x1
#define AHCI_SSTS_IPM_PARTIAL 0x2
#define AHCI_SSTS_IPM_SLUMBER 0x6
#define AHCI_SSTS_IPM_DEVSLEEP 0x8

/* PxSCTL (SControl) */
#define AHCI_SCTL_DET_MASK 0xf
#define AHCI_SCTL_DET_NONE 0x0	   /* no action: normal operation */
#define AHCI_SCTL_DET_COMRESET 0x1 /* perform interface communication initialization (send COMRESET) */
#define AHCI_SCTL_IPM_SHIFT 8
#define AHCI_SCTL_IPM_MASK 0xf
#define AHCI_SCTL_IPM_NO_PARTIAL_SLUMBER 0x3 /* transitions to Partial and Slumber disabled */

/* Command header: one per command slot; 32 of them form the command list. */
struct ahci_cmd_header {
	uint16_t flags;	 /* DW0 15:0: CFL, A, W, P, R, B, C, PMP */
	uint16_t prdtl;	 /* DW0 31:16: Physical Region Descriptor Table Length, in entries */
	uint32_t prdbc;	 /* PRD Byte Count: bytes transferred, written by the HBA */
	uint32_t ctba;	 /* Command Table Base Address, 128-byte aligned */
	uint32_t ctbau;	 /* its upper 32 bits */
	uint32_t reserved[4];
};
_Static_assert(sizeof(struct ahci_cmd_header) == 32, "AHCI 1.3.1 §4.2.2: command header");
_Static_assert(offsetof(struct ahci_cmd_header, prdbc) == 4 && offsetof(struct ahci_cmd_header, ctba) == 8,
	       "AHCI 1.3.1 §4.2.2: PRDBC in DW1, CTBA in DW2");
#define AHCI_CMD_LIST_SLOTS 32 /* headers in a command list, whatever CAP.NCS says */
#define AHCI_CMD_LIST_BYTES (AHCI_CMD_LIST_SLOTS * sizeof(struct ahci_cmd_header))
#define AHCI_CMD_LIST_ALIGN 1024

#define AHCI_HDR_CFL_MASK 0x1f /* Command FIS Length, in dwords (2 to 16) */
#define AHCI_HDR_A BIT(5)      /* ATAPI: ACMD holds a packet */
#define AHCI_HDR_W BIT(6)      /* Write: data goes from memory to the device */
#define AHCI_HDR_P BIT(7)      /* Prefetchable */
#define AHCI_HDR_C BIT(10)     /* Clear Busy upon R_OK */

/* Physical region descriptor: one contiguous piece of the command's data. */
struct ahci_prd {
	uint32_t dba;	   /* Data Base Address; bit 0 reserved: word aligned */
	uint32_t dbau;	   /* its upper 32 bits */
	uint32_t reserved;
	uint32_t dbc;	   /* 21:0 Data Byte Count, 0's based and odd (an even byte count); bit 31 I */
};
_Static_assert(sizeof(struct ahci_prd) == 16, "AHCI 1.3.1 §4.2.3: PRDT entry");
#define AHCI_PRD_DBC_MASK 0x3fffff    /* 4 MiB per descriptor at most */
#define AHCI_PRD_I BIT(31)	      /* Interrupt on Completion */

/* Register Host to Device FIS (ATA8-AST): a command and its task-file registers. */
struct fis_reg_h2d {
	uint8_t fis_type; /* FIS_TYPE_REG_H2D */
	uint8_t flags;	  /* 3:0 PM Port; bit 7 C: the Command register is updated (else Device Control) */
	uint8_t command;
	uint8_t features;
	uint8_t lba_low; /* LBA 7:0 */
	uint8_t lba_mid; /* LBA 15:8 */
	uint8_t lba_high; /* LBA 23:16 */
	uint8_t device;
	uint8_t lba_low_exp; /* LBA 31:24 */
	uint8_t lba_mid_exp; /* LBA 39:32 */
	uint8_t lba_high_exp; /* LBA 47:40 */
	uint8_t features_exp;
	uint8_t count;
	uint8_t count_exp;
	uint8_t icc; /* Isochronous Command Completion */
	uint8_t control;
	uint8_t auxiliary[4];
};
_Static_assert(sizeof(struct fis_reg_h2d) == 20, "ATA8-AST: Register Host to Device FIS is 5 dwords");
_Static_assert(offsetof(struct fis_reg_h2d, device) == 7 && offsetof(struct fis_reg_h2d, count) == 12,
	       "ATA8-AST: Register Host to Device FIS layout");
#define FIS_TYPE_REG_H2D 0x27
#define FIS_TYPE_REG_D2H 0x34
#define FIS_TYPE_DMA_SETUP 0x41
#define FIS_TYPE_PIO_SETUP 0x5f
#define FIS_TYPE_SET_DEVICE_BITS 0xa1
#define FIS_H2D_C BIT(7)
#define FIS_H2D_DWORDS (sizeof(struct fis_reg_h2d) / 4)

/* Register Device to Host FIS (ATA8-AST): the device's Status and Error at the end of a command. */
struct fis_reg_d2h {
	uint8_t fis_type; /* FIS_TYPE_REG_D2H */
	uint8_t flags;	  /* 3:0 PM Port; bit 6 I: interrupt */
	uint8_t status;
	uint8_t error;
	uint8_t lba_low, lba_mid, lba_high;
	uint8_t device;
	uint8_t lba_low_exp, lba_mid_exp, lba_high_exp;
	uint8_t reserved0;
	uint8_t count, count_exp;
	uint8_t reserved1[6];
};
_Static_assert(sizeof(struct fis_reg_d2h) == 20, "ATA8-AST: Register Device to Host FIS is 5 dwords");

/* Command table: the command FIS, an ATAPI packet, and the PRDT; 128-byte aligned.  Its length is the driver's
 * choice through the number of descriptors, so the table is declared with them (ahci_internal.h). */
#define AHCI_CMD_TABLE_CFIS 0x00  /* Command FIS, up to 64 bytes */
#define AHCI_CMD_TABLE_ACMD 0x40  /* ATAPI command, 12 or 16 bytes */
#define AHCI_CMD_TABLE_PRDT 0x80  /* the first descriptor */
#define AHCI_CMD_TABLE_ALIGN 128
#define AHCI_PRDTL_MAX 65535

/* Received FIS area (FIS-based switching off): where the HBA posts what the device sends; 256-byte aligned. */
struct ahci_received_fis {
	uint8_t dsfis[28]; /* DMA Setup FIS */
	uint8_t reserved0[4];
	uint8_t psfis[20]; /* PIO Setup FIS */
	uint8_t reserved1[12];
	struct fis_reg_d2h rfis; /* D2H Register FIS */
	uint8_t reserved2[4];
	uint8_t sdbfis[8]; /* Set Device Bits FIS */
	uint8_t ufis[64];  /* Unknown FIS */
	uint8_t reserved3[96];
};
_Static_assert(sizeof(struct ahci_received_fis) == 256, "AHCI 1.3.1 §4.2.1: received FIS area");
_Static_assert(offsetof(struct ahci_received_fis, psfis) == 0x20 && offsetof(struct ahci_received_fis, rfis) == 0x40 &&
		       offsetof(struct ahci_received_fis, sdbfis) == 0x58 &&
		       offsetof(struct ahci_received_fis, ufis) == 0x60,
	       "AHCI 1.3.1 §4.2.1: received FIS offsets");
#define AHCI_RECEIVED_FIS_ALIGN 256

#endif
