/*
 * Reading a GUID Partition Table (include/ballast/gpt.h): the protective MBR, the primary header and its entry
 * array, each checked before anything in it is believed.  Pure: the caller reads the sectors, this file only looks
 * at bytes, and nothing here writes anywhere but the caller's result structs.
 *
 * Every structure is copied out with memcpy before a field is read (a disk buffer has any alignment, and the
 * header and entries are packed).  Fields are little-endian and read unswapped: ballast runs on x86-64 only, and
 * lib/swap_area.c already stops a big-endian build.
 *
 * What is checked, and why each matters to a reader that will write beside these partitions:
 *   the header's CRC          anything else in it is noise until it holds
 *   my_lba == 1               a backup header copied to LBA 1 describes a different disk end
 *   the usable range          every partition ballast accepts lies inside it, so inside the disk
 *   the entry array's place   after the header, before the first usable LBA: the array cannot be a partition's data
 *   the entry array's size    bounded (GPT_ENTRIES_MAX_BYTES), so a damaged count cannot make boot read gigabytes
 *   the array's CRC           the entries are the header's, not stale ones
 *   each used entry           first <= last, inside the usable range, overlapping no other: a partition ballast
 *                             writes in cannot share a sector with one it must leave alone
 * Not checked: the backup header (see gpt.h), the reserved field and the partition names (nothing depends on them).
 */
#include <stdbool.h>
#include <ballast/errno.h>
#include <ballast/gpt.h>
#include <ballast/string.h>
#include <ballast/swap_area.h> /* crc32_ieee */

#define HEADER_CRC_OFFSET offsetof(struct gpt_header, header_crc)
#define HEADER_CRC_SIZE sizeof(((struct gpt_header *)0)->header_crc)

static int refuse(const char **why, int err, const char *reason)
{
	if (why)
		*why = reason;
	return err;
}

int gpt_check_protective_mbr(const void *mbr, size_t len, const char **why)
{
	const uint8_t *bytes = mbr;

	if (len < GPT_MBR_SIZE)
		return refuse(why, -ENOENT, "LBA 0 truncated: no MBR");
	if (bytes[GPT_MBR_SIGNATURE_OFFSET] != 0x55 || bytes[GPT_MBR_SIGNATURE_OFFSET + 1] != 0xaa)
		return refuse(why, -ENOENT, "no MBR signature at LBA 0");
	for (unsigned i = 0; i < GPT_MBR_RECORDS; i++) {
		struct gpt_mbr_record r;

		memcpy(&r, bytes + GPT_MBR_RECORDS_OFFSET + i * sizeof(r), sizeof(r));
		if (r.os_type == GPT_MBR_TYPE_PROTECTIVE)
			return 0;
	}
	return refuse(why, -ENOENT, "an MBR without a protective (0xee) record: not a GPT disk");
}

/* The CRC of the header's first size bytes as if its CRC field were zero, without a copy of the sector. */
static uint32_t header_crc(const uint8_t *sector, uint32_t size)
{
	static const uint8_t zero_crc[HEADER_CRC_SIZE];
	uint32_t crc;

	crc = crc32_ieee(sector, HEADER_CRC_OFFSET);
	crc = crc32_ieee_continue(crc, zero_crc, HEADER_CRC_SIZE);
	return crc32_ieee_continue(crc, sector + HEADER_CRC_OFFSET + HEADER_CRC_SIZE,
				   size - HEADER_CRC_OFFSET - HEADER_CRC_SIZE);
}

int gpt_parse_header(const void *sector, size_t len, uint32_t sector_size, uint64_t disk_sectors, struct gpt *gpt,
		     const char **why)
{
	const uint8_t *bytes = sector;
	struct gpt_header h;
	uint64_t entries_bytes, entries_sectors;

	if (len < GPT_SIGNATURE_LEN || memcmp(bytes, GPT_SIGNATURE, GPT_SIGNATURE_LEN) != 0)
		return refuse(why, -ENOENT, "no GPT header at LBA 1");
	if (sector_size < GPT_MBR_SIZE || (sector_size & (sector_size - 1)))
		return refuse(why, -EINVAL, "sector size is not a power of two of at least 512 bytes");
	if (len < sizeof(h))
		return refuse(why, -EINVAL, "GPT header truncated: fewer than 92 bytes read");
	memcpy(&h, bytes, sizeof(h));
	if (h.revision >> 16 != GPT_REVISION_MAJOR)
		return refuse(why, -EINVAL, "unsupported GPT revision (this ballast reads 1.x)");
	if (h.header_size < sizeof(h) || h.header_size > sector_size)
		return refuse(why, -EINVAL, "GPT header size outside 92 bytes .. the sector size");
	if (h.header_size > len)
		return refuse(why, -EINVAL, "GPT header truncated: shorter than its header size");
	if (h.header_crc != header_crc(bytes, h.header_size))
		return refuse(why, -EINVAL, "GPT header checksum mismatch: the header is damaged");
	if (h.my_lba != GPT_HEADER_LBA)
		return refuse(why, -EINVAL, "GPT header at LBA 1 says it is elsewhere (a backup header copied?)");
	if (h.first_usable_lba > h.last_usable_lba || h.last_usable_lba >= disk_sectors)
		return refuse(why, -EINVAL, "GPT usable range is empty or beyond the disk");
	if (h.entry_size < GPT_ENTRY_MIN_SIZE || h.entry_size % GPT_ENTRY_MIN_SIZE)
		return refuse(why, -EINVAL, "GPT entry size is not a multiple of 128 bytes");
	/* Both factors are 32 bits: the product fits in 64, and the cap keeps it far below 2^32. */
	entries_bytes = (uint64_t)h.num_entries * h.entry_size;
	if (entries_bytes > GPT_ENTRIES_MAX_BYTES)
		return refuse(why, -EINVAL, "GPT entry array larger than 16 KiB (128 entries of 128 bytes)");
	entries_sectors = (entries_bytes + sector_size - 1) / sector_size;
	/* The array sits between the header and the first usable LBA; compared so that no sum can wrap. */
	if (h.entries_lba <= GPT_HEADER_LBA || h.entries_lba > h.first_usable_lba ||
	    entries_sectors > h.first_usable_lba - h.entries_lba)
		return refuse(why, -EINVAL, "GPT entry array is not between the header and the first usable LBA");

	if (gpt) {
		gpt->sector_size = sector_size;
		gpt->disk_sectors = disk_sectors;
		gpt->first_usable_lba = h.first_usable_lba;
		gpt->last_usable_lba = h.last_usable_lba;
		gpt->entries_lba = h.entries_lba;
		gpt->num_entries = h.num_entries;
		gpt->entry_size = h.entry_size;
		gpt->entries_bytes = (uint32_t)entries_bytes;
		gpt->entries_crc = h.entries_crc;
		memcpy(gpt->disk_guid, h.disk_guid, sizeof(gpt->disk_guid));
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Entry i, checked on its own: 0, -ENOENT unused, -EINVAL bad.  The caller has checked that the array is in len. */
static int read_entry(const struct gpt *gpt, const uint8_t *entries, uint32_t i, struct gpt_entry *e,
		      const char **why)
{
	memcpy(e, entries + (size_t)i * gpt->entry_size, sizeof(*e));
	if (all_zero(e->type_guid, sizeof(e->type_guid)))
		return refuse(why, -ENOENT, "unused GPT entry");
	if (e->first_lba > e->last_lba)
		return refuse(why, -EINVAL, "a GPT partition ends before it starts");
	if (e->first_lba < gpt->first_usable_lba || e->last_lba > gpt->last_usable_lba)
		return refuse(why, -EINVAL, "a GPT partition lies outside the usable range");
	return 0;
}

int gpt_check_entries(const struct gpt *gpt, const void *entries, size_t len, const char **why)
{
	const uint8_t *bytes = entries;

	if (len < gpt->entries_bytes)
		return refuse(why, -EINVAL, "GPT entry array truncated");
	if (crc32_ieee(bytes, gpt->entries_bytes) != gpt->entries_crc)
		return refuse(why, -EINVAL, "GPT entry array checksum mismatch: the entries are damaged");
	/* At most 128 entries: the pairwise overlap test is 8128 comparisons, nothing next to a sector read. */
	for (uint32_t i = 0; i < gpt->num_entries; i++) {
		struct gpt_entry a, b;
		int err = read_entry(gpt, bytes, i, &a, why);

		if (err == -ENOENT)
			continue;
		if (err < 0)
			return err;
		for (uint32_t j = i + 1; j < gpt->num_entries; j++) {
			if (read_entry(gpt, bytes, j, &b, NULL) < 0)
				continue; /* unused, or bad and refused when the outer loop reaches it */
			if (a.first_lba <= b.last_lba && b.first_lba <= a.last_lba)
				return refuse(why, -EINVAL, "two GPT partitions overlap");
		}
	}
	return 0;
}

int gpt_get_entry(const struct gpt *gpt, const void *entries, size_t len, uint32_t i, struct gpt_partition *part,
		  const char **why)
{
	struct gpt_entry e;
	int err;

	if (i >= gpt->num_entries || len < gpt->entries_bytes)
		return refuse(why, -EINVAL, "no such GPT entry");
	err = read_entry(gpt, entries, i, &e, why);
	if (err < 0)
		return err;
	part->first_lba = e.first_lba;
	part->last_lba = e.last_lba;
	memcpy(part->type_guid, e.type_guid, sizeof(part->type_guid));
	memcpy(part->unique_guid, e.unique_guid, sizeof(part->unique_guid));
	return 0;
}
