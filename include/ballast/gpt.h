/*
 * The GUID Partition Table, as the UEFI specification ("GPT Disk Layout") lays it out, read-only: ballast looks in
 * a disk's partitions for its swap signature (swap_area.h) and never writes a partition table.
 *
 * Layout, all integers little-endian, addresses in logical blocks (LBAs) of the disk's sector size:
 *   LBA 0            the protective MBR: one partition record of type 0xee claims the disk for GPT
 *   LBA 1            the primary header below, zero to the end of the sector
 *   entries_lba...   the partition-entry array: num_entries records of entry_size bytes (normally 128 x 128)
 *   last LBA         the backup header, with its own entry array just before it
 *
 * Only the primary header is read.  The backup is a copy for repair tools; a primary that does not check means
 * the disk is in a state someone has to look at, and guessing from the backup could send ballast's writes into a
 * layout that no longer holds.  So a damaged primary leaves the whole disk alone.
 *
 * lib/gpt.c is pure (no I/O, nothing but string.h), shared by the hypervisor and the host tests.
 */
#ifndef BALLAST_GPT_H
#define BALLAST_GPT_H

#include <stddef.h>
#include <stdint.h>
#include <ballast/compiler.h>

#define GPT_SIGNATURE "EFI PART"
#define GPT_SIGNATURE_LEN 8
#define GPT_REVISION_MAJOR 1	 /* revision 1.0 is 0x00010000; a later 1.x only adds fields after the CRC */
#define GPT_HEADER_LBA 1	 /* where the primary header lives; its my_lba must say so */
#define GPT_HEADER_MIN_SIZE 92	 /* sizeof(struct gpt_header): the fields revision 1.0 defines */
#define GPT_ENTRY_MIN_SIZE 128	 /* entry_size is 128 * 2^n; any multiple of 128 is accepted */
/*
 * At most this much of an entry array is read: 128 entries of 128 bytes, the size every partitioning tool writes
 * (and the least the spec allows).  A header asking for more is refused rather than followed, so a damaged but
 * CRC-valid count (up to 2^32 entries of 2^32 bytes) cannot make boot read or checksum gigabytes; the cap also
 * bounds the buffer the boot path reads the array into (four pages, five when the array starts mid-page).
 */
#define GPT_ENTRIES_MAX_BYTES (128 * 128)

#define GPT_MBR_SIZE 512
#define GPT_MBR_TYPE_PROTECTIVE 0xee

/* The primary header at LBA 1. */
struct gpt_header {
	char signature[GPT_SIGNATURE_LEN]; /* "EFI PART", no NUL */
	uint32_t revision;		   /* 0x00010000 for 1.0 */
	uint32_t header_size;		   /* bytes the CRC covers: 92 .. the sector size */
	uint32_t header_crc;		   /* CRC-32 of header_size bytes with this field zero */
	uint32_t reserved;
	uint64_t my_lba;	/* where this header is: 1 for the primary */
	uint64_t alternate_lba; /* the backup header's LBA (not used) */
	uint64_t first_usable_lba;
	uint64_t last_usable_lba; /* inclusive */
	uint8_t disk_guid[16];
	uint64_t entries_lba;
	uint32_t num_entries;
	uint32_t entry_size;
	uint32_t entries_crc; /* CRC-32 of num_entries * entry_size bytes */
} __packed;
_Static_assert(sizeof(struct gpt_header) == GPT_HEADER_MIN_SIZE, "GPT header layout");
_Static_assert(offsetof(struct gpt_header, header_crc) == 16, "GPT header CRC offset");
_Static_assert(offsetof(struct gpt_header, entries_lba) == 72, "GPT entries LBA offset");

/* One partition entry (the first 128 bytes of each entry_size-byte record). */
struct gpt_entry {
	uint8_t type_guid[16]; /* all zero: the entry is unused */
	uint8_t unique_guid[16];
	uint64_t first_lba;
	uint64_t last_lba; /* inclusive */
	uint64_t attributes;
	uint16_t name[36]; /* UTF-16LE */
} __packed;
_Static_assert(sizeof(struct gpt_entry) == GPT_ENTRY_MIN_SIZE, "GPT entry layout");
_Static_assert(offsetof(struct gpt_entry, first_lba) == 32, "GPT entry LBA offset");

/* One record of the MBR's partition table at byte 446 of LBA 0. */
struct gpt_mbr_record {
	uint8_t boot_indicator;
	uint8_t start_chs[3];
	uint8_t os_type; /* 0xee: GPT protective */
	uint8_t end_chs[3];
	uint32_t start_lba;
	uint32_t size_lba;
} __packed;
_Static_assert(sizeof(struct gpt_mbr_record) == 16, "MBR partition record layout");
#define GPT_MBR_RECORDS_OFFSET 446
#define GPT_MBR_RECORDS 4
#define GPT_MBR_SIGNATURE_OFFSET 510 /* bytes 0x55 0xaa */

/* What a valid primary header says, with the disk geometry it was checked against. */
struct gpt {
	uint32_t sector_size;
	uint64_t disk_sectors;
	uint64_t first_usable_lba, last_usable_lba; /* inclusive, both within the disk */
	uint64_t entries_lba;
	uint32_t num_entries, entry_size;
	uint32_t entries_bytes; /* num_entries * entry_size, at most GPT_ENTRIES_MAX_BYTES */
	uint32_t entries_crc;
	uint8_t disk_guid[16];
};

/* A used partition entry. */
struct gpt_partition {
	uint64_t first_lba, last_lba; /* inclusive: the partition is last_lba - first_lba + 1 sectors */
	uint8_t type_guid[16];
	uint8_t unique_guid[16];
};

/*
 * Is LBA 0 (mbr: len bytes) a protective MBR, one that hands the disk to GPT?  0 when it ends in 0x55 0xaa and one of
 * its four records has type 0xee (a hybrid MBR, with other records beside it, counts: Linux reads those disks as GPT
 * too); -ENOENT otherwise, with *why.  Checked because a GPT header alone can be a leftover: a disk repartitioned
 * with an MBR by a tool that did not erase LBA 1 still carries the old header, and its partitions are not the disk's.
 */
int gpt_check_protective_mbr(const void *mbr, size_t len, const char **why);

/*
 * Checks the primary header in sector (len bytes read from LBA 1 of a disk of disk_sectors sectors of sector_size
 * bytes).  0 with *gpt filled; -ENOENT no "EFI PART" signature (no GPT); -EINVAL a header that is truncated,
 * damaged or inconsistent with the disk; *why says which in one line (a static string).  gpt and why may be NULL.
 */
int gpt_parse_header(const void *sector, size_t len, uint32_t sector_size, uint64_t disk_sectors, struct gpt *gpt,
		     const char **why);

/*
 * Checks the entry array (entries: len bytes read from gpt->entries_lba on): its CRC, then every used entry (first <=
 * last, inside the usable range) and that no two used entries overlap.  0, or -EINVAL with *why.  A table with any
 * bad entry is refused as a whole: it was not written by a tool that kept the spec, so none of it is trusted.
 */
int gpt_check_entries(const struct gpt *gpt, const void *entries, size_t len, const char **why);

/*
 * Entry i (0-based; Linux calls it partition i + 1) of an array that gpt_check_entries() accepted: 0 with *part
 * filled, -ENOENT an unused entry, -EINVAL i beyond the array or an entry that fails the checks above.
 */
int gpt_get_entry(const struct gpt *gpt, const void *entries, size_t len, uint32_t i, struct gpt_partition *part,
		  const char **why);

#endif
