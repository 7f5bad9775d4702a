/* Host tests for lib/format.c (checked against the C library's snprintf) and lib/cmdline.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <ballast/cmdline.h>
#include <ballast/errno.h>
#include <ballast/format.h>

#define SAME(...)                                                              \
	do {                                                                   \
		char ours[128], libc[128];                                     \
		int a = fmt_snprintf(ours, sizeof(ours), __VA_ARGS__);         \
		int b = snprintf(libc, sizeof(libc), __VA_ARGS__);             \
		assert_string_equal(ours, libc);                               \
		assert_int_equal(a, b);                                        \
	} while (0)

static void matches_libc(void **state)
{
	SAME("plain");
	SAME("%d %i %u", -42, 17, 4000000000u);
	SAME("%x %X %o", 0xbeefu, 0xbeefu, 8u);
	SAME("%ld %lu %lx", -1L, 0xffffffffffffffffUL, 0x123456789abcUL);
	SAME("%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
	SAME("%zu", (size_t)12345);
	SAME("[%5d] [%-5d] [%05d] [%+d] [%+d]", 42, 42, 42, 42, -42);
	SAME("[%016llx]", 0xabcULL);
	SAME("[%.3d] [%8.3d]", 7, 7);
	SAME("[%s] [%10s] [%-10s] [%.2s]", "abc", "abc", "abc", "abc");
	SAME("%c%c%%", 'o', 'k');
	SAME("%hd %hhu", (short)-3, (unsigned char)250);
	SAME("%*d|%-*d|%.*s", 6, 1, 6, 2, 2, "xyz");
	SAME("%p", (void *)0x1234);
	SAME("%d", 0);
}

static void truncates_and_reports_full_length(void **state)
{
	char buf[8];
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	assert_string_equal(buf, "0123456");
	assert_int_equal(fmt_snprintf(buf, 1, "abc"), 3);
	assert_string_equal(buf, "");
	assert_int_equal(fmt_snprintf(NULL, 0, "abc%d", 12), 5);
}

static void null_string_and_unknown_conversion(void **state)
{
	char buf[32];
	const char *volatile nothing = NULL;
	const char *volatile bad_format = "a%qb"; /* hidden from the compiler's format check on purpose */
	fmt_snprintf(buf, sizeof(buf), "%s", nothing);
	assert_string_equal(buf, "(null)");
	fmt_snprintf(buf, sizeof(buf), bad_format);
	assert_string_equal(buf, "a%qb");
}

static void cmdline_words(void **state)
{
	char v[32];
	const char *cl = "console=ttyS0,115200 test=fault quiet  mem=256M";
	assert_true(cmdline_get(cl, "test", v, sizeof(v)));
	assert_string_equal(v, "fault");
	assert_true(cmdline_get(cl, "quiet", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_true(cmdline_get(cl, "mem", v, sizeof(v)));
	assert_string_equal(v, "256M");
	assert_false(cmdline_get(cl, "tes", v, sizeof(v)));
	assert_false(cmdline_get(cl, "missing", v, sizeof(v)));
	assert_false(cmdline_get(NULL, "x", v, sizeof(v)));
	assert_true(cmdline_get(cl, "console", v, 6));
	assert_string_equal(v, "ttyS0");
	cmdline_first_word("  vm1-kernel root=/dev/ram", v, sizeof(v));
	assert_string_equal(v, "vm1-kernel");
}

static void errno_names(void **state)
{
	assert_string_equal(errno_name(-ENOMEM), "ENOMEM");
	assert_string_equal(errno_name(EINVAL), "EINVAL");
	assert_string_equal(errno_name(-9999), "E?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matches_libc),
		cmocka_unit_test(truncates_and_reports_full_length),
		cmocka_unit_test(null_string_and_unknown_conversion),
		cmocka_unit_test(cmdline_words),
		cmocka_unit_test(errno_names),
	};
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
