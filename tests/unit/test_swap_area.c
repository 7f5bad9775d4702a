/*
 * Host tests for lib/swap_area.c: the swap area's signature (format, check and each refusal), its CRC-32 and the
 * UUID text form.  A test that changes a field other than the crc reseals the page (recomputes the CRC the way the
 * header defines it, independently of the library) so that the check under test, not the CRC, is what refuses it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <ballast/errno.h>
#include <ballast/swap_area.h>

#define PAGE SWAP_AREA_PAGE_SIZE
#define NPAGES 8192 /* a 32 MiB area */
#define DEVICE_BYTES ((uint64_t)NPAGES * PAGE)
#define CREATED 1796083200 /* 2026-12-01 */

static const uint8_t test_uuid[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
				       0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21 };
static const char test_uuid_text[] = "12345678-9abc-def0-0fed-cba987654321";

static _Alignas(8) uint8_t page[PAGE]; /* aligned: the tests poke fields through a struct pointer */

static void format_good(void)
{
	swap_area_format(page, NPAGES, test_uuid, CREATED, "scratch");
}

static struct swap_area_header *header(void)
{
	return (struct swap_area_header *)page;
}

/* Recomputes the crc field from its definition: CRC-32 of the whole page with the field zero. */
static void reseal(void)
{
	uint32_t crc;

	header()->crc = 0;
	crc = crc32_ieee(page, PAGE);
	header()->crc = crc;
}

/* The check refuses the page with err and a reason containing the words in reason_part. */
static void expect_refused(size_t len, uint64_t device_bytes, int err, const char *reason_part)
{
	struct swap_area_info info;
	const char *why = NULL;

	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(swap_area_check(page, len, device_bytes, &info, &why), err);
	assert_non_null(why);
	assert_non_null(strstr(why, reason_part));
	assert_int_equal(info.npages, 0xa5a5a5a5a5a5a5a5ULL); /* untouched on failure */
}

/* A plain bitwise CRC-32, the reference the library's table-driven one must agree with. */
static uint32_t reference_crc(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (c & 1 ? 0xedb88320u : 0);
	}
	return ~c;
}

static void crc32_known_vectors(void **state)
{
	static const char fox[] = "The quick brown fox jumps over the lazy dog";
	uint8_t buf[1000];

	assert_int_equal(crc32_ieee("123456789", 9), 0xcbf43926u);
	assert_int_equal(crc32_ieee("", 0), 0);
	assert_int_equal(crc32_ieee(fox, strlen(fox)), 0x414fa339u);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t n = 0; n < sizeof(buf); n += 97)
		assert_int_equal(crc32_ieee(buf, n), reference_crc(buf, n));
	/* In pieces: any split gives the CRC of the whole. */
	for (size_t cut = 0; cut <= sizeof(buf); cut += 111)
		assert_int_equal(crc32_ieee_continue(crc32_ieee(buf, cut), buf + cut, sizeof(buf) - cut),
				 crc32_ieee(buf, sizeof(buf)));
	assert_int_equal(crc32_ieee_continue(0, "123456789", 9), 0xcbf43926u);
}

static void format_then_check(void **state)
{
	struct swap_area_info info;
	const char *why = NULL;

	format_good();
	assert_int_equal(swap_area_check(page, PAGE, DEVICE_BYTES, &info, &why), 0);
	assert_memory_equal(info.uuid, test_uuid, 16);
	assert_int_equal(info.npages, NPAGES);
	assert_int_equal(info.nslots, NPAGES - 1);
	assert_string_equal(info.label, "scratch");
	/* A longer read and a larger device are fine; info and why may be left out. */
	assert_int_equal(swap_area_check(page, PAGE, DEVICE_BYTES * 4, NULL, NULL), 0);
}

static void on_disk_layout(void **state)
{
	static const uint8_t le_one[4] = { 1, 0, 0, 0 }, le_4096[4] = { 0, 0x10, 0, 0 };
	static const uint8_t le_npages[8] = { 0, 0x20, 0, 0, 0, 0, 0, 0 };
	uint32_t stored;

	format_good();
	assert_memory_equal(page, "BALLAST SWAP\r\n\x1a\n", 16);
	assert_memory_equal(page + 16, le_one, 4);
	assert_memory_equal(page + 20, le_4096, 4);
	assert_memory_equal(page + 24, test_uuid, 16);
	assert_memory_equal(page + 40, le_npages, 8);
	assert_memory_equal(page + 56, "scratch\0", 8);
	for (size_t i = 96; i < PAGE; i++)
		assert_int_equal(page[i], 0);
	stored = header()->crc;
	reseal();
	assert_int_equal(header()->crc, stored); /* the library's crc is the header's definition */
}

static void format_zeroes_the_page_first(void **state)
{
	memset(page, 0xff, sizeof(page));
	format_good();
	assert_int_equal(swap_area_check(page, PAGE, DEVICE_BYTES, NULL, NULL), 0);
}

static void truncated(void **state)
{
	format_good();
	expect_refused(PAGE - 1, DEVICE_BYTES, -EFBIG, "truncated");
	expect_refused(512, DEVICE_BYTES, -EFBIG, "truncated");
	expect_refused(0, DEVICE_BYTES, -EFBIG, "truncated");
}

static void not_ours(void **state)
{
	memset(page, 0, sizeof(page));
	expect_refused(PAGE, DEVICE_BYTES, -ENOENT, "no ballast swap signature");
	format_good();
	page[3] ^= 0x20;
	expect_refused(PAGE, DEVICE_BYTES, -ENOENT, "no ballast swap signature");
	/* Text-mode damage to the CR LF ^Z LF tail is not ours either. */
	format_good();
	page[12] = '\n'; /* the CR of CR LF */
	expect_refused(PAGE, DEVICE_BYTES, -ENOENT, "no ballast swap signature");
}

static void wrong_checksum(void **state)
{
	format_good();
	header()->crc ^= 1;
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "checksum");
	/* A field changed behind the CRC's back. */
	format_good();
	header()->npages = NPAGES / 2;
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "checksum");
}

static void damaged_tail_caught_by_crc(void **state)
{
	format_good();
	page[PAGE - 1] ^= 0x01;
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "checksum");
	format_good();
	page[sizeof(struct swap_area_header)] = 0x80;
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "checksum");
}

static void wrong_version(void **state)
{
	format_good();
	header()->version = 2;
	reseal();
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "version");
	/* Checked before the CRC: a future version need not checksum the same way. */
	format_good();
	header()->version = 0;
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "version");
}

static void wrong_page_size(void **state)
{
	format_good();
	header()->page_size = 2 * PAGE;
	reseal();
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "page size");
}

static void reserved_nonzero(void **state)
{
	format_good();
	header()->reserved = 1;
	reseal();
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "reserved");
}

static void tail_written_by_someone_else(void **state)
{
	format_good();
	page[PAGE / 2] = 1;
	reseal();
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "after the header");
}

static void area_larger_than_device(void **state)
{
	format_good();
	assert_int_equal(swap_area_check(page, PAGE, DEVICE_BYTES, NULL, NULL), 0);
	expect_refused(PAGE, DEVICE_BYTES - 1, -ERANGE, "larger than the device");
	expect_refused(PAGE, PAGE, -ERANGE, "larger than the device");
	/* A count whose byte size would overflow 64 bits must not wrap around into "fits". */
	swap_area_format(page, UINT64_MAX / PAGE * 2, test_uuid, CREATED, "");
	expect_refused(PAGE, UINT64_MAX, -ERANGE, "larger than the device");
}

static void too_small(void **state)
{
	swap_area_format(page, SWAP_AREA_MIN_PAGES - 1, test_uuid, CREATED, "");
	expect_refused(PAGE, DEVICE_BYTES, -ERANGE, "smaller than 16 pages");
	swap_area_format(page, 0, test_uuid, CREATED, "");
	expect_refused(PAGE, DEVICE_BYTES, -ERANGE, "smaller than 16 pages");
	swap_area_format(page, SWAP_AREA_MIN_PAGES, test_uuid, CREATED, "");
	assert_int_equal(swap_area_check(page, PAGE, SWAP_AREA_MIN_PAGES * PAGE, NULL, NULL), 0);
}

static void labels(void **state)
{
	static const char full[] = "0123456789abcdef0123456789ABCDEF"; /* exactly 32: no room for a NUL on disk */
	struct swap_area_info info;

	swap_area_format(page, NPAGES, test_uuid, CREATED, full);
	assert_int_equal(swap_area_check(page, PAGE, DEVICE_BYTES, &info, NULL), 0);
	assert_string_equal(info.label, full);
	swap_area_format(page, NPAGES, test_uuid, CREATED, "0123456789abcdef0123456789ABCDEF-and-more");
	assert_int_equal(swap_area_check(page, PAGE, DEVICE_BYTES, &info, NULL), 0);
	assert_string_equal(info.label, full);
	swap_area_format(page, NPAGES, test_uuid, CREATED, NULL);
	assert_int_equal(swap_area_check(page, PAGE, DEVICE_BYTES, &info, NULL), 0);
	assert_string_equal(info.label, "");
	/* Text after the terminating NUL is junk, not padding. */
	format_good();
	header()->label[20] = 'x';
	reseal();
	expect_refused(PAGE, DEVICE_BYTES, -EINVAL, "NUL-padded");
}

static void uuid_text_round_trip(void **state)
{
	char text[37];
	uint8_t back[16];

	swap_area_uuid_format(test_uuid, text);
	assert_string_equal(text, test_uuid_text);
	assert_int_equal(swap_area_uuid_parse(text, back), 0);
	assert_memory_equal(back, test_uuid, 16);
	memset(back, 0, sizeof(back));
	assert_int_equal(swap_area_uuid_parse("12345678-9ABC-DEF0-0FED-CBA987654321", back), 0);
	assert_memory_equal(back, test_uuid, 16);
}

static void uuid_text_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"12345678-9abc-def0-0fed-cba98765432",	 /* one digit short */
		"12345678-9abc-def0-0fed-cba9876543210", /* one digit long */
		"12345678-9abc-def0-0fed-cba98765432g",	 /* not hex */
		"123456789abcdef00fedcba987654321",	 /* no dashes */
		"1234567-89abc-def0-0fed-cba987654321",	 /* dash misplaced */
		"12345678-9abc-def0-0fed-cba98765432 ",	 /* trailing blank */
		" 12345678-9abc-def0-0fed-cba987654321", /* leading blank */
		"{12345678-9abc-def0-0fed-cba987654321}",
		"12345678-9abc-def0-0fed",
		"12345678_9abc_def0_0fed_cba987654321",
	};
	uint8_t out[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0x5a, sizeof(out));
		assert_int_equal(swap_area_uuid_parse(bad[i], out), -EINVAL);
		for (size_t k = 0; k < sizeof(out); k++)
			assert_int_equal(out[k], 0x5a); /* untouched on failure */
	}
	assert_int_equal(swap_area_uuid_parse(NULL, out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32_known_vectors),
		cmocka_unit_test(format_then_check),
		cmocka_unit_test(on_disk_layout),
		cmocka_unit_test(format_zeroes_the_page_first),
		cmocka_unit_test(truncated),
		cmocka_unit_test(not_ours),
		cmocka_unit_test(wrong_checksum),
		cmocka_unit_test(damaged_tail_caught_by_crc),
		cmocka_unit_test(wrong_version),
		cmocka_unit_test(wrong_page_size),
		cmocka_unit_test(reserved_nonzero),
		cmocka_unit_test(tail_written_by_someone_else),
		cmocka_unit_test(area_larger_than_device),
		cmocka_unit_test(too_small),
		cmocka_unit_test(labels),
		cmocka_unit_test(uuid_text_round_trip),
		cmocka_unit_test(uuid_text_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
