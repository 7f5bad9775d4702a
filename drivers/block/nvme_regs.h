/*
 * NVMe hardware definitions in one place, named as the NVM Express Base Specification 1.4 names them: the
 * controller registers (§3.1), the submission and completion queue entries (§4.2, §4.6), the status codes (§4.6.1),
 * the admin commands ballast issues (§5) with the Identify data it reads (§5.15.2), and the NVM command set's READ
 * and WRITE (§6).  Fields wider than a byte are little-endian, which x86 is; structures are read in place.
 */
#ifndef DRIVERS_BLOCK_NVME_REGS_H
#define DRIVERS_BLOCK_NVME_REGS_H

#include <stddef.h>
#include <stdint.h>
#include <ballast/compiler.h>

/* A controller (PCI class 01.08.02, PCI_PROGIF_NVME) has its registers at BAR 0, a 64-bit memory BAR (MLBAR and
 * MUBAR, §2.1.10). */
#define NVME_PCI_BAR 0

/* Controller registers: offsets from BAR 0 (Figure 78). */
#define NVME_REG_CAP 0x00   /* Controller Capabilities, 64 bits */
#define NVME_REG_VS 0x08    /* Version */
#define NVME_REG_CC 0x14    /* Controller Configuration */
#define NVME_REG_CSTS 0x1c  /* Controller Status */
#define NVME_REG_AQA 0x24   /* Admin Queue Attributes */
#define NVME_REG_ASQ 0x28   /* Admin Submission Queue Base Address, 64 bits */
#define NVME_REG_ACQ 0x30   /* Admin Completion Queue Base Address, 64 bits */
#define NVME_REG_DOORBELLS 0x1000 /* SQ 0 Tail Doorbell; the others follow at the CAP.DSTRD stride */

/* CAP (§3.1.1) */
/* Maximum Queue Entries Supported, 0's based */
static inline uint32_t nvme_cap_mqes(uint64_t cap) { return cap & 0xffff; }
static inline uint32_t nvme_cap_to(uint64_t cap) { return (cap >> 24) & 0xff; } /* Timeout, 500 ms units */
static inline uint32_t nvme_cap_dstrd(uint64_t cap) { return (cap >> 32) & 0xf; } /* Doorbell Stride: 4 << DSTRD */
#define NVME_CAP_CSS_NVM BIT(37) /* Command Sets Supported, bit 0: the NVM command set */
static inline uint32_t nvme_cap_mpsmin(uint64_t cap) { return (cap >> 48) & 0xf; } /* Memory Page Size Minimum */
#define NVME_CAP_TO_UNIT_MS 500

/* VS (§3.1.2) */
static inline uint32_t nvme_vs_mjr(uint32_t vs) { return vs >> 16; }
static inline uint32_t nvme_vs_mnr(uint32_t vs) { return (vs >> 8) & 0xff; }
#define NVME_VS(mjr, mnr) ((uint32_t)(mjr) << 16 | (uint32_t)(mnr) << 8)

/* CC (§3.1.5) */
#define NVME_CC_EN BIT(0)
#define NVME_CC_CSS_NVM (0U << 4)			 /* I/O Command Set Selected: NVM */
#define NVME_CC_MPS(shift) ((uint32_t)((shift) - 12) << 7) /* Memory Page Size: 2 ^ (12 + MPS) */
#define NVME_CC_AMS_RR (0U << 11)			 /* Arbitration Mechanism Selected: round robin */
#define NVME_CC_IOSQES(shift) ((uint32_t)(shift) << 16) /* I/O Submission Queue Entry Size: 2 ^ n bytes */
#define NVME_CC_IOCQES(shift) ((uint32_t)(shift) << 20) /* I/O Completion Queue Entry Size */

/* CSTS (§3.1.6) */
#define NVME_CSTS_RDY BIT(0) /* Ready: follows CC.EN once the controller has finished enabling or resetting */
#define NVME_CSTS_CFS BIT(1) /* Controller Fatal Status */
#define NVME_CSTS_GONE 0xffffffffU /* all ones: nothing answers at the BAR (the device went away) */

/* AQA (§3.1.8): queue sizes, 0's based */
#define NVME_AQA(sq_entries, cq_entries) (((uint32_t)(cq_entries) - 1) << 16 | ((uint32_t)(sq_entries) - 1))

/* Doorbells (§3.1.24, §3.1.25) */
static inline uint32_t nvme_sq_tail_doorbell(unsigned qid, unsigned dstrd)
{
	return NVME_REG_DOORBELLS + (2 * qid) * (4U << dstrd);
}
static inline uint32_t nvme_cq_head_doorbell(unsigned qid, unsigned dstrd)
{
	return NVME_REG_DOORBELLS + (2 * qid + 1) * (4U << dstrd);
}

#define NVME_PAGE_SHIFT 12 /* CC.MPS = 0: 4 KiB memory pages, as a machine page */

/* Submission queue entry (§4.2, Figure 105): 64 bytes. */
struct nvme_sqe {
	uint8_t opc;   /* Opcode */
	uint8_t flags; /* FUSE (1:0) and PSDT (7:6): 0, a plain command with PRPs */
	uint16_t cid;  /* Command Identifier: comes back in the completion */
	uint32_t nsid; /* Namespace Identifier */
	uint32_t cdw2, cdw3;
	uint64_t mptr; /* Metadata Pointer: unused, ballast refuses formats with metadata */
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
_Static_assert(sizeof(struct nvme_sqe) == 64, "NVMe submission queue entry");
_Static_assert(offsetof(struct nvme_sqe, prp1) == 24 && offsetof(struct nvme_sqe, cdw10) == 40, "SQE layout");
#define NVME_SQES_SHIFT 6

/* Completion queue entry (§4.6, Figure 123): 16 bytes. */
struct nvme_cqe {
	uint32_t dw0; /* command specific */
	uint32_t dw1;
	uint16_t sqhd; /* SQ Head Pointer */
	uint16_t sqid; /* SQ Identifier */
	uint16_t cid;
	uint16_t status; /* Phase Tag (bit 0) and Status Field */
};
_Static_assert(sizeof(struct nvme_cqe) == 16, "NVMe completion queue entry");
_Static_assert(offsetof(struct nvme_cqe, status) == 14, "CQE layout");
#define NVME_CQES_SHIFT 4

/* Status (§4.6.1, Figure 126), as in the upper half of CQE dword 3 */
#define NVME_STATUS_P BIT(0) /* Phase Tag: inverted by the controller on each pass through the queue */
static inline uint32_t nvme_status_sc(uint16_t st) { return (st >> 1) & 0xff; } /* Status Code */
static inline uint32_t nvme_status_sct(uint16_t st) { return (st >> 9) & 0x7; } /* Status Code Type */
#define NVME_STATUS_DNR BIT(15)	 /* Do Not Retry */

/* Status Code Types (Figure 127) */
#define NVME_SCT_GENERIC 0
#define NVME_SCT_COMMAND_SPECIFIC 1
#define NVME_SCT_MEDIA 2 /* Media and Data Integrity Errors */
#define NVME_SCT_PATH 3
#define NVME_SCT_VENDOR 7

/* Admin commands (§5, Figure 139) */
#define NVME_ADMIN_CREATE_IO_SQ 0x01
#define NVME_ADMIN_CREATE_IO_CQ 0x05
#define NVME_ADMIN_IDENTIFY 0x06
#define NVME_ADMIN_SET_FEATURES 0x09

/* Create I/O Completion Queue (§5.3) and Create I/O Submission Queue (§5.4), dwords 10 and 11 */
#define NVME_CREATE_Q_CDW10(qid, entries) (((uint32_t)(entries) - 1) << 16 | (uint32_t)(qid)) /* QSIZE 0's based */
#define NVME_CREATE_Q_PC BIT(0)			/* Physically Contiguous */
#define NVME_CREATE_CQ_IEN BIT(1)		/* Interrupts Enabled: left clear, ballast polls */
#define NVME_CREATE_SQ_CQID(cqid) ((uint32_t)(cqid) << 16)

/* Set Features (§5.21): Number of Queues (§5.21.1.7), counts 0's based in dword 11 and in the completion's dword 0 */
#define NVME_FEAT_NUM_QUEUES 0x07
#define NVME_NUM_QUEUES(nsq, ncq) (((uint32_t)(ncq) - 1) << 16 | ((uint32_t)(nsq) - 1))

/* Identify (§5.15): the Controller or Namespace Structure in dword 10 */
#define NVME_CNS_NAMESPACE 0x00
#define NVME_CNS_CONTROLLER 0x01
#define NVME_CNS_ACTIVE_NSIDS 0x02 /* active namespace IDs above NSID, ascending, zero-terminated (NVMe 1.1) */
#define NVME_IDENTIFY_BYTES 4096
#define NVME_ACTIVE_NSIDS_MAX (NVME_IDENTIFY_BYTES / 4)

/* Identify Controller data structure (Figure 247): the fields ballast reads. */
struct nvme_id_ctrl {
	uint16_t vid, ssvid;
	char sn[20]; /* Serial Number, ASCII, blank-padded */
	char mn[40]; /* Model Number */
	char fr[8];  /* Firmware Revision */
	uint8_t rab;
	uint8_t ieee[3];
	uint8_t cmic;
	uint8_t mdts; /* Maximum Data Transfer Size: 2 ^ n minimum memory pages (CAP.MPSMIN); 0: no limit */
	uint16_t cntlid;
	uint32_t ver;
	uint8_t reserved84[512 - 84];
	uint8_t sqes; /* required (3:0) and maximum (7:4) SQ entry size, as powers of two */
	uint8_t cqes;
	uint16_t maxcmd;
	uint32_t nn; /* Number of Namespaces: the highest valid NSID */
	uint8_t rest[4096 - 520];
};
_Static_assert(sizeof(struct nvme_id_ctrl) == NVME_IDENTIFY_BYTES, "Identify Controller data");
_Static_assert(offsetof(struct nvme_id_ctrl, mn) == 24 && offsetof(struct nvme_id_ctrl, mdts) == 77 &&
		       offsetof(struct nvme_id_ctrl, sqes) == 512 && offsetof(struct nvme_id_ctrl, nn) == 516,
	       "Identify Controller field offsets");

/* LBA Format Data Structure (Figure 249) */
struct nvme_lbaf {
	uint16_t ms;   /* Metadata Size per block, bytes */
	uint8_t lbads; /* LBA Data Size: 2 ^ n bytes; 0: format not available */
	uint8_t rp;    /* Relative Performance (1:0) */
};
_Static_assert(sizeof(struct nvme_lbaf) == 4, "LBA format");

/* Identify Namespace data structure (Figure 245): the fields ballast reads. */
struct nvme_id_ns {
	uint64_t nsze; /* Namespace Size, in logical blocks */
	uint64_t ncap;
	uint64_t nuse;
	uint8_t nsfeat;
	uint8_t nlbaf; /* Number of LBA Formats, 0's based */
	uint8_t flbas; /* Formatted LBA Size: the format in use in bits 3:0 */
	uint8_t mc, dpc, dps;
	uint8_t reserved30[128 - 30];
	struct nvme_lbaf lbaf[16];
	uint8_t rest[4096 - 192];
};
_Static_assert(sizeof(struct nvme_id_ns) == NVME_IDENTIFY_BYTES, "Identify Namespace data");
_Static_assert(offsetof(struct nvme_id_ns, flbas) == 26 && offsetof(struct nvme_id_ns, lbaf) == 128,
	       "Identify Namespace field offsets");
#define NVME_FLBAS_FORMAT_MASK 0xf

/* NVM command set (§6): READ and WRITE, dwords 10-11 the Starting LBA, dword 12 the Number of Logical Blocks */
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ 0x02
#define NVME_RW_NLB(blocks) ((uint32_t)(blocks) - 1) /* 0's based, 16 bits */
#define NVME_RW_MAX_BLOCKS 65536

/* PRP entries (§4.3): a PRP list holds 8-byte entries; one that has more than fit in a memory page continues through a
 * pointer in that page's last entry, which ballast never needs (its lists are shorter than a page). */
#define NVME_PRP_ENTRY_BYTES 8

#endif
