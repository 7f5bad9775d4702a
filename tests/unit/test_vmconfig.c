/* Host tests for lib/vmconfig.c: the VM configuration file, its error rule and the shared value parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ballast/errno.h>
#include <ballast/vmconfig.h>
#include "mm/tunable_table.h"

static struct vmconfig cfg; /* ~20 KiB: not on the stack */

#define PARSE(text) vmconfig_parse((text), strlen(text), &cfg)

/* The given-bit of the tunable called name (the test fails on a name the table does not have). */
static uint64_t bit(const char *name)
{
	int i = tunable_find(name, strlen(name));
	assert_true(i >= 0);
	return 1ULL << i;
}

/* Error i is at line, names VM index vm (-1: none) and reads msg exactly. */
static void expect_error(unsigned i, unsigned line, int vm, const char *msg)
{
	assert_true(i < cfg.nerrors);
	assert_int_equal(cfg.err[i].line, line);
	assert_int_equal(cfg.err[i].vm, vm);
	assert_string_equal(cfg.err[i].msg, msg);
}

/* The file has exactly one error: at line, about VM vm, reading msg. */
static void expect_only_error(const char *text, unsigned line, int vm, const char *msg)
{
	assert_int_equal(PARSE(text), -EINVAL);
	assert_int_equal(cfg.nerrors, 1);
	expect_error(0, line, vm, msg);
}

static size_t read_file(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t len = fread(buf, 1, n, f);
	assert_true(len < n);
	fclose(f);
	return len;
}

/* ---- good files ----------------------------------------------------------------------------------------------- */

static void example_four_vms(void **state)
{
	static char buf[8192];
	size_t len = read_file("guests/configs/four-vms.conf", buf, sizeof(buf));

	assert_int_equal(vmconfig_parse(buf, len, &cfg), 0);
	assert_int_equal(cfg.nerrors, 0);
	assert_int_equal(cfg.nvms, 4);
	assert_int_equal(vmconfig_nvalid(&cfg), 4);
	for (unsigned i = 0; i < 4; i++) {
		char name[8];
		snprintf(name, sizeof(name), "vm%u", i + 1);
		assert_string_equal(cfg.vm[i].name, name);
		assert_string_equal(cfg.vm[i].kernel, "vmlinux");
		assert_string_equal(cfg.vm[i].initrd, "initramfs");
		assert_string_equal(cfg.vm[i].cmdline,
				    "console=ttyS0,115200 acpi=off nolapic pci=off nosmp ballast.workload=memtouch:32");
		assert_int_equal(cfg.vm[i].max_bytes, 256u << 20);
		assert_int_equal(cfg.vm[i].min_bytes, 32u << 20);
		assert_int_equal(cfg.vm[i].shares, 1000);
		assert_true(cfg.vm[i].valid);
	}
	assert_int_equal(cfg.machine.given, 0);
	assert_false(cfg.machine.has_memstat_interval);
}

static void example_one_vm(void **state)
{
	static char buf[8192];
	size_t len = read_file("guests/configs/one-vm.conf", buf, sizeof(buf));

	assert_int_equal(vmconfig_parse(buf, len, &cfg), 0);
	assert_int_equal(cfg.nvms, 1);
	assert_string_equal(cfg.vm[0].name, "vm1");
	assert_int_equal(cfg.vm[0].max_bytes, 256u << 20);
	assert_int_equal(cfg.vm[0].min_bytes, 0);
	assert_int_equal(cfg.vm[0].shares, VMCONFIG_DEFAULT_SHARES);
	assert_true(cfg.vm[0].valid);
}

static void everything_and_defaults(void **state)
{
	const char *text =
		"# header comment\n"
		"\n"
		"   [machine]   # knobs\n"
		"memstat_interval=2m\n"
		"\ttax = 62.5%\t\n"
		"sharing = salted\n"
		"\n"
		"[ vm  web-1 ]\n"
		"kernel = bzImage\n"
		"max = 1G\n"
		"min = 512M\n"
		"shares = 2000\n"
		"salt = 7\n"
		"cmdline = root=/dev/ram0 quiet#not-a-comment x=\"a b\"   # a comment\n"
		"[vm DB_2]\n"
		"max = 4096K\n"
		"kernel = vmlinux\n"
		"cmdline =\n";

	assert_int_equal(PARSE(text), 0);
	assert_int_equal(cfg.machine.has_memstat_interval, true);
	assert_int_equal(cfg.machine.memstat_interval_s, 120);
	assert_int_equal(cfg.machine.given, bit("tax") | bit("sharing"));
	assert_int_equal(cfg.machine.tun.tax_pm, 625);
	assert_int_equal(cfg.machine.tun.share_scope, SHARE_SALTED);
	assert_int_equal(cfg.nvms, 2);

	const struct vmconfig_vm *a = &cfg.vm[0], *b = &cfg.vm[1];
	assert_string_equal(a->name, "web-1");
	assert_string_equal(a->kernel, "bzImage");
	assert_string_equal(a->initrd, "");
	assert_int_equal(a->max_bytes, 1ULL << 30);
	assert_int_equal(a->min_bytes, 512ULL << 20);
	assert_int_equal(a->shares, 2000);
	assert_int_equal(a->salt, 7);
	assert_string_equal(a->cmdline, "root=/dev/ram0 quiet#not-a-comment x=\"a b\"");
	assert_int_equal(a->line, 8);
	assert_int_equal(a->kernel_line, 9);
	assert_int_equal(a->initrd_line, 0);

	assert_string_equal(b->name, "DB_2");
	assert_int_equal(b->max_bytes, 4096 << 10);
	assert_int_equal(b->min_bytes, 0);
	assert_int_equal(b->shares, VMCONFIG_DEFAULT_SHARES);
	assert_int_equal(b->salt, 0);
	assert_string_equal(b->cmdline, "");
	assert_int_equal(vmconfig_nvalid(&cfg), 2);
}

static void line_endings(void **state)
{
	/* CRLF, no newline at the end, a UTF-8 byte-order mark, tabs */
	const char *text = "\xef\xbb\xbf[vm a]\r\nkernel\t=\tk\r\n\r\nmax = 8K\r\ncmdline = x y\r\nmin = 4k";

	assert_int_equal(PARSE(text), 0);
	assert_int_equal(cfg.nvms, 1);
	assert_string_equal(cfg.vm[0].kernel, "k");
	assert_string_equal(cfg.vm[0].cmdline, "x y");
	assert_int_equal(cfg.vm[0].max_bytes, 8192);
	assert_int_equal(cfg.vm[0].min_bytes, 4096);

	/* the length is what counts, not a NUL: the text after len is not read */
	const char *longer = "[vm a]\nkernel = k\nmax = 8K\nshares = 12345";
	assert_int_equal(vmconfig_parse(longer, strlen(longer) - 3, &cfg), 0);
	assert_int_equal(cfg.vm[0].shares, 12);

	/* a bad value at the very end of a text with no NUL after it is quoted without reading past the end
	 * (AddressSanitizer checks: the buffer has exactly the text's length) */
	const char *tail = "[vm a]\nkernel = k\nmax = 8K\nshares = x";
	char *exact = malloc(strlen(tail));
	assert_non_null(exact);
	memcpy(exact, tail, strlen(tail));
	assert_int_equal(vmconfig_parse(exact, strlen(tail), &cfg), -EINVAL);
	expect_error(0, 4, 0, "line 4: shares: 'x' is not a number");
	free(exact);

	/* a line number counts every line, blank, comment or CRLF */
	expect_only_error("# one\r\n\r\n[vm a]\r\nkernel = k\r\nmax = 8K\r\nbogus = 1\r\n", 6, 0,
			  "line 6: unknown key 'bogus' in [vm] (kernel, initrd, cmdline, max, min, shares, salt)");
}

static void empty_files(void **state)
{
	assert_int_equal(vmconfig_parse("", 0, &cfg), 0);
	assert_int_equal(cfg.nvms, 0);
	assert_int_equal(PARSE("\n\n# only comments\n   \t\n#[vm x]\n"), 0);
	assert_int_equal(cfg.nvms, 0);
	assert_int_equal(cfg.nerrors, 0);
	assert_int_equal(PARSE("[machine]\n"), 0);
	assert_int_equal(cfg.nvms, 0);
}

/* ---- errors --------------------------------------------------------------------------------------------------- */

/* The error rule: a bad [vm] section makes only that VM invalid. */
static void bad_vm_leaves_others(void **state)
{
	const char *text = "[vm vm1]\n"	 /* 1 */
			   "kernel = k\n" /* 2 */
			   "max = 256M\n" /* 3 */
			   "[vm vm2]\n"	 /* 4 */
			   "kernel = k\n" /* 5 */
			   "max = 256M\n" /* 6 */
			   "min = 512M\n" /* 7 */
			   "[vm vm3]\n"	 /* 8 */
			   "kernel = k\n" /* 9 */
			   "max = 256M\n";

	expect_only_error(text, 7, 1, "line 7: min (512M) > max (256M)");
	assert_int_equal(cfg.nvms, 3);
	assert_true(cfg.vm[0].valid);
	assert_false(cfg.vm[1].valid);
	assert_true(cfg.vm[2].valid);
	assert_int_equal(vmconfig_nvalid(&cfg), 2);

	/* min == max is fine, and max before min too */
	assert_int_equal(PARSE("[vm a]\nmin = 1G\nkernel = k\nmax = 1024M\n"), 0);
}

static void unknown_keys_and_sections(void **state)
{
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nmemory = 8K\n", 4, 0,
			  "line 4: unknown key 'memory' in [vm] (kernel, initrd, cmdline, max, min, shares, salt)");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\n[machine]\ntaxes = 1\n", 5, -1,
			  "line 5: unknown key 'taxes' in [machine] (memstat_interval, swap or a tunable: see ~ tune)");
	assert_true(cfg.vm[0].valid);

	/* an unknown section is skipped whole: one error, its keys are not reported */
	expect_only_error("[disk]\nsize = 1G\nfoo = bar\n[vm a]\nkernel = k\nmax = 8K\n", 1, -1,
			  "line 1: unknown section '[disk]' (expected [vm NAME] or [machine])");
	assert_int_equal(cfg.nvms, 1);
	assert_true(cfg.vm[0].valid);
	expect_only_error("[]\n", 1, -1, "line 1: unknown section '[]' (expected [vm NAME] or [machine])");

	expect_only_error("# a comment\nkernel = k\n[vm a]\nkernel = k\nmax = 8K\n", 2, -1,
			  "line 2: 'kernel' is outside a section (start one with [vm NAME] or [machine])");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\njust words\n", 4, 0,
			  "line 4: expected 'key = value' or a [section], not 'just words'");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\n = 3\n", 4, 0, "line 4: missing key before '='");
}

static void section_headers(void **state)
{
	expect_only_error("[vm a\n", 1, -1, "line 1: section header without ']'");
	expect_only_error("[vm a] x\n", 1, -1, "line 1: unexpected 'x' after ']'");
	expect_only_error("[vm]\n", 1, -1, "line 1: [vm] needs a name: [vm NAME]");
	expect_only_error("[vm a b]\n", 1, -1, "line 1: unexpected 'b' after the VM name");
	expect_only_error("[machine x]\n", 1, -1, "line 1: [machine] takes no name");
	expect_only_error("[machine]\ntax = 0.5\n[machine]\ntax = 0.1\n", 3, -1,
			  "line 3: duplicate [machine] section (first at line 1)");
	assert_int_equal(cfg.machine.tun.tax_pm, 500); /* the second section was skipped */
	/* a header without a section after it is fine; a comment after the header too */
	assert_int_equal(PARSE("[vm a] # first\nkernel = k\nmax = 8K\n"), 0);
}

static void vm_names(void **state)
{
	expect_only_error("[vm vm.1]\n", 1, -1, "line 1: bad VM name 'vm.1' (1 to 15 of A-Z a-z 0-9 _ -)");
	expect_only_error("[vm abcdefghijklmnop]\n", 1, -1,
			  "line 1: bad VM name 'abcdefghijklmnop' (1 to 15 of A-Z a-z 0-9 _ -)");
	assert_int_equal(cfg.nvms, 0);
	assert_int_equal(PARSE("[vm abcdefghijklmno]\nkernel = k\nmax = 8K\n"), 0); /* 15: the longest */
	assert_string_equal(cfg.vm[0].name, "abcdefghijklmno");

	assert_true(vmconfig_name_valid("a", 1));
	assert_true(vmconfig_name_valid("Az09_-", 6));
	assert_false(vmconfig_name_valid("", 0));
	assert_false(vmconfig_name_valid("a b", 3));
	assert_false(vmconfig_name_valid("\xc3\xa9", 2));
}

static void duplicates(void **state)
{
	const char *text = "[vm a]\nkernel = k\nmax = 8K\n" /* 1-3 */
			   "[vm b]\nkernel = k\nmax = 8K\n" /* 4-6 */
			   "[vm a]\nkernel = j\nmax = 16K\n"; /* 7-9: skipped */

	expect_only_error(text, 7, -1, "line 7: duplicate VM name 'a' (first at line 1)");
	assert_int_equal(cfg.nvms, 2);
	assert_true(cfg.vm[0].valid);
	assert_string_equal(cfg.vm[0].kernel, "k");
	assert_int_equal(cfg.vm[0].max_bytes, 8192);

	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nmax = 16K\n", 4, 0, "line 4: duplicate key 'max' (first at line 3)");
	assert_int_equal(cfg.vm[0].max_bytes, 8192);
	assert_false(cfg.vm[0].valid);
	expect_only_error("[machine]\nsharing = vm\nsharing = off\n", 3, -1,
			  "line 3: duplicate key 'sharing' (first at line 2)");
	assert_int_equal(cfg.machine.tun.share_scope, SHARE_PER_VM);
	assert_int_equal(cfg.machine.given, bit("sharing")); /* "off" did not reach the scan rates */
	/* names differ by case: two VMs */
	assert_int_equal(PARSE("[vm a]\nkernel = k\nmax = 8K\n[vm A]\nkernel = k\nmax = 8K\n"), 0);
}

static void missing_keys(void **state)
{
	expect_only_error("[vm a]\nmax = 8K\n", 1, 0, "line 1: vm a: missing kernel = MODULE");
	expect_only_error("[vm a]\nkernel = k\n[vm b]\nkernel = k\nmax = 8K\n", 1, 0, "line 1: vm a: missing max = SIZE");
	assert_true(cfg.vm[1].valid);

	assert_int_equal(PARSE("x\n[vm a]\n"), -EINVAL);
	assert_int_equal(cfg.nerrors, 3);
	expect_error(1, 2, 0, "line 2: vm a: missing kernel = MODULE");
	expect_error(2, 2, 0, "line 2: vm a: missing max = SIZE");

	expect_only_error("[vm a]\nkernel =\nmax = 8K\n", 2, 0, "line 2: kernel: missing value");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\ninitrd = \n", 4, 0, "line 4: initrd: missing value");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nshares =   # none\n", 4, 0, "line 4: shares: missing value");
	expect_only_error("[machine]\ntax =\n", 2, -1, "line 2: tax: missing value");
	/* a bad max is reported once: no "missing max", no min > max */
	expect_only_error("[vm a]\nkernel = k\nmax = lots\nmin = 1G\n", 3, 0,
			  "line 3: max: 'lots' is not a size (a number with an optional K, M or G)");
}

static void sizes(void **state)
{
	expect_only_error("[vm a]\nkernel = k\nmax = 1000\n", 3, 0,
			  "line 3: max: '1000' is not a whole number of 4 KiB pages (a bare number is bytes)");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nmin = 6K\n", 4, 0,
			  "line 4: min: '6K' is not a whole number of 4 KiB pages");
	expect_only_error("[vm a]\nkernel = k\nmax = 0\n", 3, 0, "line 3: max: must be at least 4K");
	expect_only_error("[vm a]\nkernel = k\nmax = 1025G\n", 3, 0, "line 3: max: '1025G' is too large (at most 1024G)");
	expect_only_error("[vm a]\nkernel = k\nmax = 99999999999999999999999G\n", 3, 0,
			  "line 3: max: '99999999999999999999999G' is too large (at most 1024G)");
	expect_only_error("[vm a]\nkernel = k\nmax = 1T\n", 3, 0,
			  "line 3: max: '1T' is not a size (a number with an optional K, M or G)");
	expect_only_error("[vm a]\nkernel = k\nmax = 256 M\n", 3, 0,
			  "line 3: max: '256 M' is not a size (a number with an optional K, M or G)");
	expect_only_error("[vm a]\nkernel = k\nmax = -4K\n", 3, 0,
			  "line 3: max: '-4K' is not a size (a number with an optional K, M or G)");
	expect_only_error("[vm a]\nkernel = k\nmax = 256MB\n", 3, 0,
			  "line 3: max: '256MB' is not a size (a number with an optional K, M or G)");

	/* the shared parser at its boundaries */
	char why[VMCONFIG_MSG_MAX];
	uint64_t b;
	assert_int_equal(vmconfig_parse_size("4096", 4, &b, why, sizeof(why)), 0);
	assert_int_equal(b, 4096);
	assert_int_equal(vmconfig_parse_size("0", 1, &b, why, sizeof(why)), 0);
	assert_int_equal(b, 0);
	assert_int_equal(vmconfig_parse_size("4k", 2, &b, why, sizeof(why)), 0);
	assert_int_equal(b, 4096);
	assert_int_equal(vmconfig_parse_size("4097", 4, &b, why, sizeof(why)), -EINVAL);
	assert_int_equal(vmconfig_parse_size("1024G", 5, &b, why, sizeof(why)), 0);
	assert_int_equal(b, VMCONFIG_SIZE_MAX);
	assert_int_equal(vmconfig_parse_size("1048576m", 8, &b, why, sizeof(why)), 0);
	assert_int_equal(vmconfig_parse_size("1073741824K", 11, &b, why, sizeof(why)), 0);
	assert_int_equal(vmconfig_parse_size("1099511627776", 13, &b, why, sizeof(why)), 0);
	assert_int_equal(b, VMCONFIG_SIZE_MAX);
	assert_int_equal(vmconfig_parse_size("1099511631872", 13, &b, why, sizeof(why)), -ERANGE);
	assert_int_equal(vmconfig_parse_size("1048577M", 8, &b, why, sizeof(why)), -ERANGE);
	assert_int_equal(vmconfig_parse_size("18446744073709551615", 20, &b, why, sizeof(why)), -ERANGE);
	assert_int_equal(vmconfig_parse_size("18446744073709551616", 20, &b, why, sizeof(why)), -ERANGE);
	assert_int_equal(vmconfig_parse_size("", 0, &b, why, sizeof(why)), -EINVAL);
	assert_int_equal(vmconfig_parse_size("K", 1, &b, why, sizeof(why)), -EINVAL);
	assert_int_equal(vmconfig_parse_size("64M", 2, &b, why, sizeof(why)), -EINVAL); /* "64" bytes */
	assert_string_equal(why, "'64' is not a whole number of 4 KiB pages (a bare number is bytes)");

	char s[32];
	vmconfig_format_size(256ULL << 20, s, sizeof(s));
	assert_string_equal(s, "256M");
	vmconfig_format_size(1536ULL << 10, s, sizeof(s));
	assert_string_equal(s, "1536K");
	vmconfig_format_size(2ULL << 30, s, sizeof(s));
	assert_string_equal(s, "2G");
	vmconfig_format_size(0, s, sizeof(s));
	assert_string_equal(s, "0");
	vmconfig_format_size(1000, s, sizeof(s));
	assert_string_equal(s, "1000");
	expect_only_error("[vm a]\nkernel = k\nmax = 1536K\nmin = 2G\n", 4, 0, "line 4: min (2G) > max (1536K)");
}

static void shares_and_salt(void **state)
{
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nshares = 0\n", 4, 0,
			  "line 4: shares: '0' is out of range (1..1000000)");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nshares = 1000001\n", 4, 0,
			  "line 4: shares: '1000001' is out of range (1..1000000)");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nshares = 99999999999999999999\n", 4, 0,
			  "line 4: shares: '99999999999999999999' is out of range (1..1000000)");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nshares = 1e3\n", 4, 0, "line 4: shares: '1e3' is not a number");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nshares = -5\n", 4, 0, "line 4: shares: '-5' is not a number");
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nsalt = 65536\n", 4, 0,
			  "line 4: salt: '65536' is out of range (0..65535)");
	assert_int_equal(PARSE("[vm a]\nkernel = k\nmax = 8K\nshares = 1\n[vm b]\nkernel = k\nmax = 8K\n"
			       "shares = 1000000\nsalt = 65535\n"), 0);
	assert_int_equal(cfg.vm[0].shares, 1);
	assert_int_equal(cfg.vm[1].shares, 1000000);
	assert_int_equal(cfg.vm[1].salt, 65535);
}

static void modules_and_cmdline(void **state)
{
	expect_only_error("[vm a]\nkernel = vm linux\nmax = 8K\n", 2, 0,
			  "line 2: kernel: module name 'vm linux' must be one word");
	char text[2048], name[80];
	memset(name, 'm', 64);
	name[64] = '\0';
	snprintf(text, sizeof(text), "[vm a]\nkernel = k\nmax = 8K\ninitrd = %s\n", name);
	expect_only_error(text, 4, 0, "line 4: initrd: module name longer than 63 characters");
	name[63] = '\0';
	snprintf(text, sizeof(text), "[vm a]\nkernel = %s\nmax = 8K\n", name);
	assert_int_equal(PARSE(text), 0);
	assert_string_equal(cfg.vm[0].kernel, name);

	static char cmdline[VMCONFIG_CMDLINE_MAX + 2];
	memset(cmdline, 'c', sizeof(cmdline) - 1);
	cmdline[VMCONFIG_CMDLINE_MAX] = '\0'; /* 1023: fits */
	snprintf(text, sizeof(text), "[vm a]\nkernel = k\nmax = 8K\ncmdline = %s\n", cmdline);
	assert_int_equal(PARSE(text), 0);
	assert_int_equal(strlen(cfg.vm[0].cmdline), VMCONFIG_CMDLINE_MAX);
	cmdline[VMCONFIG_CMDLINE_MAX] = 'c'; /* 1024: one too many */
	snprintf(text, sizeof(text), "[vm a]\nkernel = k\nmax = 8K\ncmdline = %s\n", cmdline);
	expect_only_error(text, 4, 0, "line 4: cmdline: longer than 1023 characters");
}

static void long_lines_and_control_characters(void **state)
{
	static char text[4096];
	char *p = text;

	p += sprintf(p, "[vm a]\nkernel = k\nmax = 8K\n# ");
	memset(p, 'x', VMCONFIG_LINE_MAX - 2); /* a comment line of exactly VMCONFIG_LINE_MAX characters */
	p += VMCONFIG_LINE_MAX - 2;
	strcpy(p, "\n");
	assert_int_equal(PARSE(text), 0);
	strcpy(p, "x\r\n"); /* one more, before the CR */
	expect_only_error(text, 4, 0, "line 4: line longer than 1279 characters");

	/* a header too long to read skips its own section, not the one before */
	p = text + sprintf(text, "[vm a]\nkernel = k\nmax = 8K\n[vm b ");
	memset(p, ' ', VMCONFIG_LINE_MAX);
	strcpy(p + VMCONFIG_LINE_MAX, "]\nkernel = k\n");
	expect_only_error(text, 4, -1, "line 4: line longer than 1279 characters");
	assert_int_equal(cfg.nvms, 1);
	assert_true(cfg.vm[0].valid);

	expect_only_error("[vm a]\nkernel = k\nmax = 8K\ncmdline = a\x01" "b\n", 4, 0,
			  "line 4: control character 0x01 in the line");
	const char nul[] = "[vm a]\nkernel = k\x00x\nmax = 8K\n";
	assert_int_equal(vmconfig_parse(nul, sizeof(nul) - 1, &cfg), -EINVAL);
	assert_int_equal(cfg.nerrors, 2); /* the refused line held the kernel */
	expect_error(0, 2, 0, "line 2: control character 0x00 in the line");
	expect_error(1, 1, 0, "line 1: vm a: missing kernel = MODULE");
	/* a lone CR inside a line is a control character, not a line end */
	assert_int_equal(PARSE("[vm a]\nkernel = k\rmax = 8K\nmax = 8K\n"), -EINVAL);
	assert_int_equal(cfg.nerrors, 2);
	expect_error(0, 2, 0, "line 2: control character 0x0d in the line");
	/* bytes above 0x7f (UTF-8) are text */
	assert_int_equal(PARSE("# \xc2\xa7 4\n[vm a]\nkernel = k\nmax = 8K\ncmdline = x=\xc3\xa9\n"), 0);
}

static void too_many_vms(void **state)
{
	static char text[8192];
	char *p = text;

	for (unsigned i = 1; i <= VMCONFIG_MAX_VMS + 2; i++)
		p += sprintf(p, "[vm vm%u]\nkernel = k\nmax = 8K\n", i);
	assert_int_equal(PARSE(text), -EINVAL);
	assert_int_equal(cfg.nvms, VMCONFIG_MAX_VMS);
	assert_int_equal(vmconfig_nvalid(&cfg), VMCONFIG_MAX_VMS);
	assert_int_equal(cfg.nerrors, 2);
	expect_error(0, 3 * VMCONFIG_MAX_VMS + 1, -1, "line 49: too many VMs (at most 16): 'vm17' skipped");
	expect_error(1, 3 * VMCONFIG_MAX_VMS + 4, -1, "line 52: too many VMs (at most 16): 'vm18' skipped");
}

static void error_list_is_bounded(void **state)
{
	static char text[4096];
	char *p = text + sprintf(text, "[machine]\n");

	for (unsigned i = 0; i < VMCONFIG_MAX_ERRORS + 5; i++)
		p += sprintf(p, "bad%u = 1\n", i);
	assert_int_equal(PARSE(text), -EINVAL);
	assert_int_equal(cfg.nerrors, VMCONFIG_MAX_ERRORS + 5);
	expect_error(VMCONFIG_MAX_ERRORS - 1, VMCONFIG_MAX_ERRORS + 1, -1,
		     "line 17: unknown key 'bad15' in [machine] (memstat_interval, swap or a tunable: see ~ tune)");

	/* long values are quoted cut short, and the message stays within its buffer */
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\nshares = 123456789012345678901234567890123456789012345\n", 4, 0,
			  "line 4: shares: '12345678901234567890123456789012' is out of range (1..1000000)");
}

static void machine_knobs(void **state)
{
	static const struct {
		const char *tax;
		unsigned pm;
	} good_tax[] = {
		{ "0", 0 }, { "0.75", 750 }, { "0.5", 500 }, { "0.125", 125 }, { "0.99", 990 }, { "75%", 750 },
		{ "62.5%", 625 }, { "0%", 0 }, { "99%", 990 }, { "00.750", 750 },
	};
	struct mm_tunables d;
	char text[128];

	mm_tunables_default(&d);
	for (unsigned i = 0; i < sizeof(good_tax) / sizeof(good_tax[0]); i++) {
		snprintf(text, sizeof(text), "[machine]\ntax = %s\n", good_tax[i].tax);
		assert_int_equal(PARSE(text), 0);
		assert_int_equal(cfg.machine.given, bit("tax"));
		assert_int_equal(cfg.machine.tun.tax_pm, good_tax[i].pm);
	}
	expect_only_error("[machine]\ntax = 0.991\n", 2, -1, "line 2: tax: '0.991' is out of range (0 to 0.99, or 0% to 99%)");
	expect_only_error("[machine]\ntax = 1\n", 2, -1, "line 2: tax: '1' is out of range (0 to 0.99, or 0% to 99%)");
	expect_only_error("[machine]\ntax = 99.5%\n", 2, -1, "line 2: tax: '99.5%' is out of range (0 to 0.99, or 0% to 99%)");
	expect_only_error("[machine]\ntax = 99999999999999999999\n", 2, -1,
			  "line 2: tax: '99999999999999999999' is out of range (0 to 0.99, or 0% to 99%)");
	expect_only_error("[machine]\ntax = 0.7505\n", 2, -1,
			  "line 2: tax: '0.7505' is not a fraction (such as 0.75, or a percentage such as 75%, three "
			  "decimals at most)");
	assert_int_equal(cfg.machine.given, 0);
	assert_int_equal(cfg.machine.tun.tax_pm, d.tax_pm);
	expect_only_error("[machine]\ntax = 62.55%\n", 2, -1,
			  "line 2: tax: '62.55%' is not a fraction (such as 0.75, or a percentage such as 75%, one "
			  "decimal at most)");
	assert_int_equal(PARSE("[machine]\ntax = .5\n"), -EINVAL);
	assert_int_equal(PARSE("[machine]\ntax = 1.\n"), -EINVAL);
	assert_int_equal(PARSE("[machine]\ntax = %\n"), -EINVAL);
	assert_int_equal(PARSE("[machine]\ntax = 0,75\n"), -EINVAL);

	assert_int_equal(PARSE("[machine]\nmemstat_interval = off\n"), 0);
	assert_true(cfg.machine.has_memstat_interval);
	assert_int_equal(cfg.machine.memstat_interval_s, 0);
	assert_int_equal(cfg.machine.given, 0); /* not a tunable */
	assert_int_equal(PARSE("[machine]\nmemstat_interval = 24h\n"), 0);
	assert_int_equal(cfg.machine.memstat_interval_s, 86400);
	expect_only_error("[machine]\nmemstat_interval = 86401\n", 2, -1,
			  "line 2: memstat_interval: '86401' is too long (at most 86400s)");
	expect_only_error("[machine]\nmemstat_interval = 5ms\n", 2, -1,
			  "line 2: memstat_interval: '5ms' is not a duration (seconds, with an optional s, m or h, or off)");
	assert_false(cfg.machine.has_memstat_interval);

	/* sharing: the three scopes, and "off", which stops the scanner and leaves the scope alone */
	static const char *const scope[] = { [SHARE_GLOBAL] = "global", [SHARE_PER_VM] = "vm",
					     [SHARE_SALTED] = "salted" };
	for (unsigned i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "[machine]\nsharing = %s\n", scope[i]);
		assert_int_equal(PARSE(text), 0);
		assert_int_equal(cfg.machine.given, bit("sharing"));
		assert_int_equal(cfg.machine.tun.share_scope, i);
		assert_int_equal(cfg.machine.tun.scan_vm_pps, d.scan_vm_pps);
	}
	assert_int_equal(PARSE("[machine]\nsharing = off\n"), 0);
	assert_int_equal(cfg.machine.given, bit("scan_vm_pps") | bit("scan_total_pps"));
	assert_int_equal(cfg.machine.tun.scan_vm_pps, 0);
	assert_int_equal(cfg.machine.tun.scan_total_pps, 0);
	assert_int_equal(cfg.machine.tun.share_scope, d.share_scope);
	expect_only_error("[machine]\nsharing = on\n", 2, -1, "line 2: sharing: 'on' is not one of off, vm, global, salted");
	assert_int_equal(cfg.machine.given, 0);

	/* a bad knob does not touch the VMs */
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\n[machine]\nsharing = on\n[vm b]\nkernel = k\nmax = 8K\n", 5, -1,
			  "line 5: sharing: 'on' is not one of off, vm, global, salted");
	assert_int_equal(vmconfig_nvalid(&cfg), 2);
}

/* Every entry of the table is a [machine] key: its default, formatted, parses back to the default. */
static void machine_tunables(void **state)
{
	static char text[8192];
	struct mm_tunables d;
	char v[TUNABLE_VALUE_MAX];
	char *p = text + sprintf(text, "[machine]\n");

	mm_tunables_default(&d);
	d.tax_pm = 500; /* and one that is not its default */
	for (unsigned i = 0; i < tunable_count; i++) {
		tunable_format(&tunable_table[i], tunable_get(&tunable_table[i], &d), v, sizeof(v));
		p += sprintf(p, "%s = %s\n", tunable_table[i].name, v);
	}
	assert_int_equal(PARSE(text), 0);
	assert_int_equal(cfg.machine.given, tunable_count == 64 ? ~0ULL : (1ULL << tunable_count) - 1);
	assert_memory_equal(&cfg.machine.tun, &d, sizeof(d));

	/* each kind of unit, and the line's number in errors */
	assert_int_equal(PARSE("[machine]\nsample_period = 2m\ntarget_period=1500ms\nballoon_grace = 45000\n"
			       "free_high = 8%\nfree_goal = 0.1\newma_fast = 0.25\nsample_pages = 50\nseed = 0x2a\n"), 0);
	assert_int_equal(cfg.machine.tun.sample_period_ms, 120000);
	assert_int_equal(cfg.machine.tun.target_period_ms, 1500);
	assert_int_equal(cfg.machine.tun.balloon_grace_ms, 45000);
	assert_int_equal(cfg.machine.tun.free_high_pm, 80);
	assert_int_equal(cfg.machine.tun.free_goal_pm, 100);
	assert_int_equal(cfg.machine.tun.ewma_fast_q16, 16384);
	assert_int_equal(cfg.machine.tun.sample_pages, 50);
	assert_int_equal(cfg.machine.tun.seed, 42);
	assert_int_equal(cfg.machine.given, bit("sample_period") | bit("target_period") | bit("balloon_grace") |
						  bit("free_high") | bit("free_goal") | bit("ewma_fast") | bit("sample_pages") |
						  bit("seed"));
	expect_only_error("[machine]\ntax = 0.5\nsample_period = 30 s\n", 3, -1,
			  "line 3: sample_period: '30 s' is not a duration (digits with ms, s, m or h; bare digits are "
			  "milliseconds)");
	assert_int_equal(cfg.machine.given, bit("tax")); /* the good line stays */
	expect_only_error("[machine]\nsample_period = 25h\n", 2, -1,
			  "line 2: sample_period: '25h' is out of range (100ms to 24h)");
	expect_only_error("[machine]\nsample_pages = 0\n", 2, -1,
			  "line 2: sample_pages: '0' is out of range (1 to 65536 pages)");
	expect_only_error("[machine]\nscan_vm_pps = -1\n", 2, -1,
			  "line 2: scan_vm_pps: '-1' is not a number (decimal digits)");
	expect_only_error("[machine]\nseed = 0xg\n", 2, -1, "line 2: seed: '0xg' is not a number (decimal, or hex after 0x)");
	expect_only_error("[machine]\nsample_pages =\n", 2, -1, "line 2: sample_pages: missing value");
	expect_only_error("[machine]\nseed = 1\nseed = 2\n", 3, -1, "line 3: duplicate key 'seed' (first at line 2)");
	assert_int_equal(cfg.machine.tun.seed, 1);

	/* share_frames is sized before the file is read: only its default is accepted */
	assert_int_equal(PARSE("[machine]\nshare_frames = 0.5\n"), 0);
	expect_only_error("[machine]\nshare_frames = 1\n", 2, -1,
			  "line 2: share_frames: sized when the memory manager starts, before this file is read (it "
			  "stays 0.5)");
	assert_int_equal(cfg.machine.given, 0);

	/* a combination that fails mm_tunables_check(): every tunable of the section is dropped, once, at its header */
	expect_only_error("[vm a]\nkernel = k\nmax = 8K\n[machine]\ntax = 0.5\nfree_soft = 7%\n", 4, -1,
			  "line 4: [machine]: free_soft (0.07) must be below free_high (0.06): defaults kept for every "
			  "tunable");
	assert_int_equal(cfg.machine.given, 0);
	assert_memory_equal(&cfg.machine.tun, &d, offsetof(struct mm_tunables, tax_pm)); /* defaults again */
	assert_int_equal(cfg.machine.tun.tax_pm, 750);
	assert_true(cfg.vm[0].valid);
	/* checked at the end of the section, so the order of the lines does not matter */
	assert_int_equal(PARSE("[machine]\nfree_high = 0.03\nfree_soft = 0.025\nfree_goal = 0.04\n[vm a]\nkernel = k\n"
			       "max = 8K\n"), 0);
	assert_int_equal(cfg.machine.tun.free_soft_pm, 25);
	expect_only_error("[machine]\nfree_goal = 0.05\n", 1, -1,
			  "line 1: [machine]: free_goal (0.05) must be at least free_high (0.06): defaults kept for every "
			  "tunable");
}

static void seconds(void **state)
{
	char why[VMCONFIG_MSG_MAX];
	unsigned s;

	assert_int_equal(vmconfig_parse_seconds("5", 1, &s, why, sizeof(why)), 0);
	assert_int_equal(s, 5);
	assert_int_equal(vmconfig_parse_seconds("5s", 2, &s, why, sizeof(why)), 0);
	assert_int_equal(s, 5);
	assert_int_equal(vmconfig_parse_seconds("2m", 2, &s, why, sizeof(why)), 0);
	assert_int_equal(s, 120);
	assert_int_equal(vmconfig_parse_seconds("0", 1, &s, why, sizeof(why)), 0);
	assert_int_equal(s, 0);
	assert_int_equal(vmconfig_parse_seconds("1441m", 5, &s, why, sizeof(why)), -ERANGE);
	assert_int_equal(vmconfig_parse_seconds("25h", 3, &s, why, sizeof(why)), -ERANGE);
	assert_int_equal(vmconfig_parse_seconds("s", 1, &s, why, sizeof(why)), -EINVAL);
	assert_int_equal(vmconfig_parse_seconds("", 0, &s, why, sizeof(why)), -EINVAL);
	assert_int_equal(vmconfig_parse_seconds("Off", 3, &s, why, sizeof(why)), -EINVAL);
}

/* ---- modules -------------------------------------------------------------------------------------------------- */

static bool have_module(const char *name, void *ctx)
{
	for (const char *const *m = ctx; *m; m++)
		if (!strcmp(*m, name))
			return true;
	return false;
}

static void check_modules(void **state)
{
	const char *text = "[vm a]\nkernel = vmlinux\ninitrd = initramfs\nmax = 8K\n" /* 1-4 */
			   "[vm b]\nkernel = bzImage\ninitrd = initramfs\nmax = 8K\n" /* 5-8 */
			   "[vm c]\nkernel = vmlinux\ninitrd = other-initrd\nmax = 8K\n" /* 9-12 */
			   "[vm d]\nkernel = vmlinux\nmax = 8K\n" /* 13-15 */
			   "[vm e]\nkernel = nothing\nmax = 8K\nbad = 1\n"; /* 16-19: already invalid */
	const char *const modules[] = { "vmlinux", "initramfs", "config", NULL };

	assert_int_equal(PARSE(text), -EINVAL);
	assert_int_equal(cfg.nerrors, 1);
	assert_int_equal(vmconfig_check_modules(&cfg, have_module, (void *)modules), -ENOENT);
	assert_int_equal(cfg.nerrors, 3);
	expect_error(1, 6, 1, "line 6: kernel: no module named 'bzImage'");
	expect_error(2, 11, 2, "line 11: initrd: no module named 'other-initrd'");
	assert_true(cfg.vm[0].valid);
	assert_false(cfg.vm[1].valid);
	assert_false(cfg.vm[2].valid);
	assert_true(cfg.vm[3].valid); /* no initrd: nothing to look for */
	assert_false(cfg.vm[4].valid);
	assert_int_equal(vmconfig_nvalid(&cfg), 2);

	const char *const all[] = { "vmlinux", "initramfs", NULL };
	assert_int_equal(PARSE("[vm a]\nkernel = vmlinux\ninitrd = initramfs\nmax = 8K\n"), 0);
	assert_int_equal(vmconfig_check_modules(&cfg, have_module, (void *)all), 0);
	assert_int_equal(cfg.nerrors, 0);
	assert_true(cfg.vm[0].valid);
}

/* [machine] swap: auto (the default), off, or the UUID of the area to use; anything else is refused by line. */
static void swap_choice(void **state)
{
	assert_int_equal(PARSE("[machine]\n"), 0);
	assert_int_equal(cfg.machine.swap, VMCONFIG_SWAP_AUTO);
	assert_int_equal(PARSE("[machine]\nswap = off\n"), 0);
	assert_int_equal(cfg.machine.swap, VMCONFIG_SWAP_OFF);
	assert_int_equal(PARSE("[machine]\nswap = auto\n"), 0);
	assert_int_equal(cfg.machine.swap, VMCONFIG_SWAP_AUTO);
	assert_int_equal(PARSE("[machine]\nswap = 7e158bde-3d17-470c-94f4-f691c3a930ae\n"), 0);
	assert_int_equal(cfg.machine.swap, VMCONFIG_SWAP_UUID);
	assert_int_equal(cfg.machine.swap_uuid[0], 0x7e);
	assert_int_equal(cfg.machine.swap_uuid[15], 0xae);
	expect_only_error("[machine]\nswap = /dev/sda\n", 2, -1,
			  "line 2: swap: '/dev/sda' is not auto, off or a swap area's UUID");
	expect_only_error("[machine]\nswap = off\nswap = auto\n", 3, -1, "line 3: duplicate key 'swap' (first at line 2)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_four_vms),
		cmocka_unit_test(example_one_vm),
		cmocka_unit_test(everything_and_defaults),
		cmocka_unit_test(line_endings),
		cmocka_unit_test(empty_files),
		cmocka_unit_test(bad_vm_leaves_others),
		cmocka_unit_test(unknown_keys_and_sections),
		cmocka_unit_test(section_headers),
		cmocka_unit_test(vm_names),
		cmocka_unit_test(duplicates),
		cmocka_unit_test(missing_keys),
		cmocka_unit_test(sizes),
		cmocka_unit_test(shares_and_salt),
		cmocka_unit_test(modules_and_cmdline),
		cmocka_unit_test(long_lines_and_control_characters),
		cmocka_unit_test(too_many_vms),
		cmocka_unit_test(error_list_is_bounded),
		cmocka_unit_test(machine_knobs),
		cmocka_unit_test(machine_tunables),
		cmocka_unit_test(seconds),
		cmocka_unit_test(check_modules),
		cmocka_unit_test(swap_choice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
