/*
 * Host tests for lib/gpt.c: a GPT built here, field by field from the UEFI layout (not by the library), parses;
 * each damage or inconsistency the reader must refuse is made on a fresh copy and refused with its reason.  A test
 * that changes a header field reseals the header (and one that changes an entry reseals the array and then the
 * header) so that the check under test, not a CRC, is what refuses it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <ballast/errno.h>
#include <ballast/gpt.h>
#include <ballast/swap_area.h>

#define SECTOR 512
#define DISK_SECTORS 65536 /* 32 MiB */
#define NUM_ENTRIES 128
#define ENTRY_SIZE 128
#define FIRST_USABLE 34		     /* LBA 0, the header, 32 sectors of entries */
#define LAST_USABLE (DISK_SECTORS - 34) /* the backup's entries and header at the end */

/* A partition type GUID (Linux filesystem data, as stored on disk); any non-zero value marks an entry used. */
static const uint8_t linux_data[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
					0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };

static uint8_t mbr[SECTOR];
static _Alignas(8) uint8_t header_sector[SECTOR];
static _Alignas(8) uint8_t entries[NUM_ENTRIES * ENTRY_SIZE * 2]; /* room for the larger-entry test */

static struct gpt_header *header(void)
{
	return (struct gpt_header *)header_sector;
}

static struct gpt_entry *entry_at(uint32_t i)
{
	return (struct gpt_entry *)(entries + (size_t)i * header()->entry_size);
}

/* The header's CRC over header_size bytes with its field zero. */
static void reseal_header(void)
{
	uint32_t crc;

	header()->header_crc = 0;
	crc = crc32_ieee(header_sector, header()->header_size);
	header()->header_crc = crc;
}

/* The array's CRC over num_entries * entry_size bytes, then the header's. */
static void reseal(void)
{
	header()->entries_crc = crc32_ieee(entries, (size_t)header()->num_entries * header()->entry_size);
	reseal_header();
}

static void set_entry(uint32_t i, uint64_t first, uint64_t last)
{
	struct gpt_entry *e = entry_at(i);

	memcpy(e->type_guid, linux_data, 16);
	memset(e->unique_guid, (int)(i + 1), 16);
	e->first_lba = first;
	e->last_lba = last;
}

/* A disk as sfdisk lays one out: two partitions, 1 MiB aligned, in entries 0 and 1 of 128. */
static void build(void)
{
	static const struct gpt_mbr_record protective = {
		.os_type = GPT_MBR_TYPE_PROTECTIVE, .start_lba = 1, .size_lba = DISK_SECTORS - 1
	};
	struct gpt_header *h = header();

	memset(mbr, 0, sizeof(mbr));
	memcpy(mbr + GPT_MBR_RECORDS_OFFSET, &protective, sizeof(protective));
	mbr[510] = 0x55;
	mbr[511] = 0xaa;

	memset(header_sector, 0, sizeof(header_sector));
	memcpy(h->signature, "EFI PART", 8);
	h->revision = 0x00010000;
	h->header_size = 92;
	h->my_lba = 1;
	h->alternate_lba = DISK_SECTORS - 1;
	h->first_usable_lba = FIRST_USABLE;
	h->last_usable_lba = LAST_USABLE;
	memset(h->disk_guid, 0x42, 16);
	h->entries_lba = 2;
	h->num_entries = NUM_ENTRIES;
	h->entry_size = ENTRY_SIZE;

	memset(entries, 0, sizeof(entries));
	set_entry(0, 2048, 18431);	  /* 8 MiB */
	set_entry(1, 18432, LAST_USABLE); /* the rest */
	reseal();
}

static int parse(struct gpt *g, const char **why)
{
	return gpt_parse_header(header_sector, sizeof(header_sector), SECTOR, DISK_SECTORS, g, why);
}

static void expect_header_refused(int err, const char *reason_part)
{
	const char *why = NULL;
	struct gpt g;

	assert_int_equal(parse(&g, &why), err);
	assert_non_null(why);
	assert_non_null(strstr(why, reason_part));
}

static void expect_entries_refused(const char *reason_part)
{
	const char *why = NULL;
	struct gpt g;

	assert_int_equal(parse(&g, NULL), 0);
	assert_int_equal(gpt_check_entries(&g, entries, g.entries_bytes, &why), -EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, reason_part));
}

static void built_disk_parses(void **state)
{
	struct gpt_partition p;
	const char *why = NULL;
	struct gpt g;

	build();
	assert_int_equal(gpt_check_protective_mbr(mbr, sizeof(mbr), &why), 0);
	assert_int_equal(parse(&g, &why), 0);
	assert_int_equal(g.sector_size, SECTOR);
	assert_int_equal(g.first_usable_lba, FIRST_USABLE);
	assert_int_equal(g.last_usable_lba, LAST_USABLE);
	assert_int_equal(g.entries_lba, 2);
	assert_int_equal(g.num_entries, NUM_ENTRIES);
	assert_int_equal(g.entry_size, ENTRY_SIZE);
	assert_int_equal(g.entries_bytes, GPT_ENTRIES_MAX_BYTES);
	assert_int_equal(gpt_check_entries(&g, entries, g.entries_bytes, &why), 0);

	assert_int_equal(gpt_get_entry(&g, entries, g.entries_bytes, 0, &p, &why), 0);
	assert_int_equal(p.first_lba, 2048);
	assert_int_equal(p.last_lba, 18431);
	assert_memory_equal(p.type_guid, linux_data, 16);
	assert_int_equal(gpt_get_entry(&g, entries, g.entries_bytes, 1, &p, &why), 0);
	assert_int_equal(p.first_lba, 18432);
	assert_int_equal(p.last_lba, LAST_USABLE);
	assert_int_equal(p.unique_guid[0], 2);
	/* An unused slot, and one past the array. */
	assert_int_equal(gpt_get_entry(&g, entries, g.entries_bytes, 2, &p, &why), -ENOENT);
	assert_int_equal(gpt_get_entry(&g, entries, g.entries_bytes, NUM_ENTRIES, &p, &why), -EINVAL);
	/* A header whose size is the whole sector (trailing zeros under the CRC) is as good; info and why optional. */
	header()->header_size = SECTOR;
	reseal();
	assert_int_equal(gpt_parse_header(header_sector, SECTOR, SECTOR, DISK_SECTORS, NULL, NULL), 0);
}

static void unused_entries_skipped(void **state)
{
	uint32_t used[NUM_ENTRIES], n = 0;
	struct gpt_partition p;
	struct gpt g;

	build();
	memset(entries, 0, sizeof(entries));
	set_entry(3, 4096, 8191); /* partitions 4 and 100: gaps before and between */
	set_entry(99, 40960, 49151);
	reseal();
	assert_int_equal(parse(&g, NULL), 0);
	assert_int_equal(gpt_check_entries(&g, entries, g.entries_bytes, NULL), 0);
	for (uint32_t i = 0; i < g.num_entries; i++) {
		int err = gpt_get_entry(&g, entries, g.entries_bytes, i, &p, NULL);

		assert_true(err == 0 || err == -ENOENT);
		if (err == 0)
			used[n++] = i;
	}
	assert_int_equal(n, 2);
	assert_int_equal(used[0], 3);
	assert_int_equal(used[1], 99);
	/* An unused entry is known by its type GUID alone: LBAs left in it do not make it used. */
	entry_at(5)->first_lba = 1;
	entry_at(5)->last_lba = 0;
	reseal();
	assert_int_equal(parse(&g, NULL), 0);
	assert_int_equal(gpt_check_entries(&g, entries, g.entries_bytes, NULL), 0);
	assert_int_equal(gpt_get_entry(&g, entries, g.entries_bytes, 5, &p, NULL), -ENOENT);
}

static void no_gpt(void **state)
{
	build();
	header()->signature[0] = 'e';
	reseal();
	expect_header_refused(-ENOENT, "no GPT header");
	memset(header_sector, 0, sizeof(header_sector));
	expect_header_refused(-ENOENT, "no GPT header");
	/* Too short to hold even the signature. */
	build();
	assert_int_equal(gpt_parse_header(header_sector, 4, SECTOR, DISK_SECTORS, NULL, NULL), -ENOENT);
}

static void truncated_header(void **state)
{
	const char *why = NULL;

	build();
	assert_int_equal(gpt_parse_header(header_sector, 91, SECTOR, DISK_SECTORS, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "truncated"));
	header()->header_size = SECTOR;
	reseal();
	assert_int_equal(gpt_parse_header(header_sector, 128, SECTOR, DISK_SECTORS, NULL, &why), -EINVAL);
	assert_non_null(strstr(why, "truncated"));
}

static void bad_header_crc(void **state)
{
	build();
	header()->header_crc ^= 1;
	expect_header_refused(-EINVAL, "header checksum");
	/* A field changed behind the CRC's back. */
	build();
	header()->last_usable_lba -= 1;
	expect_header_refused(-EINVAL, "header checksum");
	/* The CRC covers header_size bytes: a byte past 92 inside a 512-byte header counts. */
	build();
	header()->header_size = SECTOR;
	reseal();
	header_sector[300] = 1;
	expect_header_refused(-EINVAL, "header checksum");
}

static void bad_revision_and_header_size(void **state)
{
	build();
	header()->revision = 0x00020000;
	reseal();
	expect_header_refused(-EINVAL, "revision");
	build();
	header()->header_size = 91;
	reseal();
	expect_header_refused(-EINVAL, "header size");
	build();
	header()->header_size = SECTOR + 1; /* not resealed: the CRC would run past the sector, and is checked later */
	expect_header_refused(-EINVAL, "header size");
}

static void not_the_primary(void **state)
{
	build();
	header()->my_lba = DISK_SECTORS - 1; /* a backup header, copied to LBA 1 */
	reseal();
	expect_header_refused(-EINVAL, "elsewhere");
}

static void bad_entries_crc(void **state)
{
	struct gpt g;

	build();
	header()->entries_crc ^= 1;
	reseal_header();
	expect_entries_refused("array checksum");
	/* An entry changed after sealing: the header is fine, the array is not. */
	build();
	entry_at(1)->last_lba -= 1;
	expect_entries_refused("array checksum");
	/* A short read of the array is not checksummed past its end. */
	build();
	assert_int_equal(parse(&g, NULL), 0);
	assert_int_equal(gpt_check_entries(&g, entries, g.entries_bytes - 1, NULL), -EINVAL);
}

static void beyond_the_disk(void **state)
{
	/* The usable range past the last sector, or empty. */
	build();
	header()->last_usable_lba = DISK_SECTORS;
	reseal();
	expect_header_refused(-EINVAL, "beyond the disk");
	build();
	header()->first_usable_lba = LAST_USABLE + 1;
	reseal();
	expect_header_refused(-EINVAL, "usable range");
	/* The entry array past the first usable LBA, inside the header, or past the disk. */
	build();
	header()->entries_lba = 3; /* 32 sectors from 3 end at 34: one into the usable range */
	reseal();
	expect_header_refused(-EINVAL, "entry array");
	build();
	header()->entries_lba = 1;
	reseal();
	expect_header_refused(-EINVAL, "entry array");
	build();
	header()->entries_lba = UINT64_MAX - 1; /* a sum that would wrap must not look small */
	reseal();
	expect_header_refused(-EINVAL, "entry array");
	/* A partition past the usable range, and one starting before it. */
	build();
	entry_at(1)->last_lba = LAST_USABLE + 1;
	reseal();
	expect_entries_refused("outside the usable range");
	build();
	entry_at(0)->first_lba = FIRST_USABLE - 1;
	reseal();
	expect_entries_refused("outside the usable range");
}

static void start_after_end(void **state)
{
	struct gpt_partition p;
	const char *why = NULL;
	struct gpt g;

	build();
	entry_at(0)->first_lba = 18431;
	entry_at(0)->last_lba = 2048;
	reseal();
	expect_entries_refused("ends before it starts");
	assert_int_equal(parse(&g, NULL), 0);
	assert_int_equal(gpt_get_entry(&g, entries, g.entries_bytes, 0, &p, &why), -EINVAL);
	assert_non_null(strstr(why, "ends before it starts"));
	/* One sector is a partition: first == last is fine. */
	build();
	entry_at(0)->last_lba = 2048;
	reseal();
	assert_int_equal(parse(&g, NULL), 0);
	assert_int_equal(gpt_check_entries(&g, entries, g.entries_bytes, NULL), 0);
}

static void overlapping_partitions(void **state)
{
	build();
	entry_at(1)->first_lba = 18431; /* shares entry 0's last sector */
	reseal();
	expect_entries_refused("overlap");
	build();
	set_entry(50, 4096, 4096); /* inside entry 0 */
	reseal();
	expect_entries_refused("overlap");
}

static void bad_entry_size(void **state)
{
	build();
	header()->entry_size = 130;
	reseal();
	expect_header_refused(-EINVAL, "multiple of 128");
	build();
	header()->entry_size = 64;
	header()->num_entries = 256;
	reseal();
	expect_header_refused(-EINVAL, "multiple of 128");
	build();
	header()->entry_size = 0;
	reseal();
	expect_header_refused(-EINVAL, "multiple of 128");
}

static void larger_entries(void **state)
{
	struct gpt_partition p;
	struct gpt g;

	/* 64 entries of 256 bytes, still 16 KiB: each entry's first 128 bytes are the ones defined. */
	build();
	memset(entries, 0, sizeof(entries));
	header()->entry_size = 256;
	header()->num_entries = 64;
	set_entry(0, 2048, 18431);
	set_entry(63, 18432, 20000);
	memset((uint8_t *)entry_at(63) + 128, 0x77, 128); /* what a later revision might put there */
	reseal();
	assert_int_equal(parse(&g, NULL), 0);
	assert_int_equal(gpt_check_entries(&g, entries, g.entries_bytes, NULL), 0);
	assert_int_equal(gpt_get_entry(&g, entries, g.entries_bytes, 63, &p, NULL), 0);
	assert_int_equal(p.first_lba, 18432);
	assert_int_equal(p.last_lba, 20000);
}

static void too_many_entries(void **state)
{
	struct gpt g;

	build();
	header()->num_entries = NUM_ENTRIES + 1; /* 16 KiB + 128: over the cap */
	reseal();
	expect_header_refused(-EINVAL, "larger than 16 KiB");
	build();
	header()->num_entries = UINT32_MAX;
	header()->entry_size = 0x80000000u;
	reseal_header(); /* an array of 2^63 bytes is not checksummed, not even here */
	expect_header_refused(-EINVAL, "larger than 16 KiB");
	/* No entries at all is a table without partitions: fine, and nothing to check. */
	build();
	header()->num_entries = 0;
	reseal();
	assert_int_equal(parse(&g, NULL), 0);
	assert_int_equal(gpt_check_entries(&g, entries, 0, NULL), 0);
}

static void four_kib_sectors(void **state)
{
	static _Alignas(8) uint8_t big_sector[4096];
	struct gpt_header *h = (struct gpt_header *)big_sector;
	struct gpt_partition p;
	struct gpt g;
	uint32_t crc;

	/* 16 KiB of entries take 4 sectors: LBA 2-5, usable from 6. */
	build();
	memcpy(big_sector, header_sector, sizeof(struct gpt_header));
	memset(big_sector + sizeof(struct gpt_header), 0, sizeof(big_sector) - sizeof(struct gpt_header));
	h->first_usable_lba = 6;
	h->last_usable_lba = 8191 - 5;
	entry_at(0)->first_lba = 256;
	entry_at(0)->last_lba = 2303;
	entry_at(1)->first_lba = 2304;
	entry_at(1)->last_lba = 8186;
	h->entries_crc = crc32_ieee(entries, GPT_ENTRIES_MAX_BYTES);
	h->header_crc = 0;
	crc = crc32_ieee(big_sector, 92);
	h->header_crc = crc;
	assert_int_equal(gpt_parse_header(big_sector, sizeof(big_sector), 4096, 8192, &g, NULL), 0);
	assert_int_equal(gpt_check_entries(&g, entries, g.entries_bytes, NULL), 0);
	assert_int_equal(gpt_get_entry(&g, entries, g.entries_bytes, 1, &p, NULL), 0);
	assert_int_equal(p.first_lba, 2304);
	/* Sizes are in the sector size given: read as 512-byte sectors, its 16 KiB array (32 sectors from LBA 2) runs
	 * into the usable range from LBA 6; and a disk of fewer sectors than the usable range ends before it. */
	assert_int_equal(gpt_parse_header(big_sector, sizeof(big_sector), 512, 8192, &g, NULL), -EINVAL);
	assert_int_equal(gpt_parse_header(big_sector, sizeof(big_sector), 4096, 8000, &g, NULL), -EINVAL);
	assert_int_equal(gpt_parse_header(big_sector, sizeof(big_sector), 1000, 8192, &g, NULL), -EINVAL);
}

static void protective_mbr(void **state)
{
	struct gpt_mbr_record r;
	const char *why = NULL;

	build();
	assert_int_equal(gpt_check_protective_mbr(mbr, sizeof(mbr), NULL), 0);
	assert_int_equal(gpt_check_protective_mbr(mbr, 511, &why), -ENOENT);
	/* A hybrid MBR: a protective record in slot 2 beside an ordinary one. */
	memcpy(mbr + GPT_MBR_RECORDS_OFFSET + 32, mbr + GPT_MBR_RECORDS_OFFSET, 16);
	memset(&r, 0, sizeof(r));
	r.os_type = 0x83;
	r.start_lba = 2048;
	r.size_lba = 16384;
	memcpy(mbr + GPT_MBR_RECORDS_OFFSET, &r, sizeof(r));
	assert_int_equal(gpt_check_protective_mbr(mbr, sizeof(mbr), NULL), 0);
	/* An MBR disk: no 0xee record. */
	memset(mbr + GPT_MBR_RECORDS_OFFSET + 32, 0, 16);
	assert_int_equal(gpt_check_protective_mbr(mbr, sizeof(mbr), &why), -ENOENT);
	assert_non_null(strstr(why, "protective"));
	/* No boot signature: no MBR at all. */
	build();
	mbr[511] = 0;
	assert_int_equal(gpt_check_protective_mbr(mbr, sizeof(mbr), &why), -ENOENT);
	assert_non_null(strstr(why, "MBR signature"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(built_disk_parses),
		cmocka_unit_test(unused_entries_skipped),
		cmocka_unit_test(no_gpt),
		cmocka_unit_test(truncated_header),
		cmocka_unit_test(bad_header_crc),
		cmocka_unit_test(bad_revision_and_header_size),
		cmocka_unit_test(not_the_primary),
		cmocka_unit_test(bad_entries_crc),
		cmocka_unit_test(beyond_the_disk),
		cmocka_unit_test(start_after_end),
		cmocka_unit_test(overlapping_partitions),
		cmocka_unit_test(bad_entry_size),
		cmocka_unit_test(larger_entries),
		cmocka_unit_test(too_many_entries),
		cmocka_unit_test(four_kib_sectors),
		cmocka_unit_test(protective_mbr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
