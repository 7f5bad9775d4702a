/* Host tests for lib/monitor_cmd.c: the serial-console monitor's line classification and command parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <ballast/errno.h>
#include <ballast/monitor_cmd.h>
#include "mm/tunable_table.h"

static struct monitor_cmd cmd;
static char why[128];

static void good(const char *line, enum monitor_cmd_kind kind, const char *vm, uint64_t value, bool auto_)
{
	assert_int_equal(monitor_cmd_parse(line, &cmd, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(cmd.kind, kind);
	assert_string_equal(cmd.vm, vm);
	assert_int_equal(cmd.value, value);
	assert_int_equal(cmd.auto_, auto_);
}

static void bad(const char *line, const char *reason)
{
	memset(&cmd, 0xa5, sizeof(cmd));
	assert_int_equal(monitor_cmd_parse(line, &cmd, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, reason);
	assert_int_equal(cmd.kind, MONITOR_NONE); /* never half filled */
	assert_string_equal(cmd.vm, "");
}

static void classify(void **state)
{
	const char *text;

	assert_int_equal(monitor_classify("~ list", &text), MONITOR_LINE_COMMAND);
	assert_string_equal(text, "list");
	assert_int_equal(monitor_classify("~list", &text), MONITOR_LINE_COMMAND);
	assert_string_equal(text, "list");
	assert_int_equal(monitor_classify("~ \t set vm1 min 1G", &text), MONITOR_LINE_COMMAND);
	assert_string_equal(text, "set vm1 min 1G");
	assert_int_equal(monitor_classify("~", &text), MONITOR_LINE_COMMAND);
	assert_string_equal(text, "");
	assert_int_equal(monitor_classify("ls -l", &text), MONITOR_LINE_CONSOLE);
	assert_string_equal(text, "ls -l");
	assert_int_equal(monitor_classify(" ~ list", &text), MONITOR_LINE_CONSOLE); /* only the first character */
	assert_string_equal(text, " ~ list");
	assert_int_equal(monitor_classify("~~/bin/x", &text), MONITOR_LINE_CONSOLE);
	assert_string_equal(text, "~/bin/x");
	assert_int_equal(monitor_classify("", &text), MONITOR_LINE_CONSOLE);
	assert_string_equal(text, "");
}

static void simple_commands(void **state)
{
	good("help", MONITOR_HELP, "", 0, false);
	good("list", MONITOR_LIST, "", 0, false);
	good("  mem  ", MONITOR_MEM, "", 0, false);
	good("audit\r\n", MONITOR_AUDIT, "", 0, false);
	good("", MONITOR_NONE, "", 0, false);
	good(" \t ", MONITOR_NONE, "", 0, false);
	good("stop vm1", MONITOR_STOP, "vm1", 0, false);
	good("console\tweb-1", MONITOR_CONSOLE, "web-1", 0, false);
	good("memstat 5", MONITOR_MEMSTAT, "", 5, false);
	good("memstat 2m", MONITOR_MEMSTAT, "", 120, false);
	good("memstat off", MONITOR_MEMSTAT, "", 0, false);
	good("memstat 0", MONITOR_MEMSTAT, "", 0, false);
	good("memstat 86400", MONITOR_MEMSTAT, "", 86400, false);
}

static void set_commands(void **state)
{
	good("set vm1 shares 2000", MONITOR_SET_SHARES, "vm1", 2000, false);
	good("set vm1 shares 1", MONITOR_SET_SHARES, "vm1", 1, false);
	good("set vm1 shares 1000000", MONITOR_SET_SHARES, "vm1", 1000000, false);
	good("set vm2 min 64M", MONITOR_SET_MIN, "vm2", 64ULL << 20, false);
	good("set vm2 min 0", MONITOR_SET_MIN, "vm2", 0, false);
	good("set vm3 max 1G", MONITOR_SET_MAX, "vm3", 1ULL << 30, false);
	good("set vm3 max 4k", MONITOR_SET_MAX, "vm3", 4096, false);
	good("set vm4 target 100M", MONITOR_SET_TARGET, "vm4", 100ULL << 20, false);
	good("set vm4 target 1024G", MONITOR_SET_TARGET, "vm4", 1ULL << 40, false);
	good("set vm4 target auto", MONITOR_SET_TARGET, "vm4", 0, true);
	good("set abcdefghijklmno target 8192", MONITOR_SET_TARGET, "abcdefghijklmno", 8192, false);
}

/* "set tune NAME VALUE" names the tunable and keeps the value's text for the executor. */
static void good_tune(const char *line, const char *name, const char *value)
{
	assert_int_equal(monitor_cmd_parse(line, &cmd, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(cmd.kind, MONITOR_SET_TUNE);
	assert_string_equal(tunable_table[cmd.tunable].name, name);
	assert_string_equal(cmd.tune_value, value);
	assert_string_equal(cmd.vm, "");
}

static void tune_commands(void **state)
{
	good("tune", MONITOR_TUNE, "", 0, false);
	good_tune("set tune tax 0.5", "tax", "0.5");
	good_tune("set  tune\tsample_period 30s\r\n", "sample_period", "30s");
	good_tune("set tune sharing salted", "sharing", "salted");
	good_tune("set tune sharing off", "sharing", "off");
	good_tune("set tune seed 0x2a", "seed", "0x2a");
	good_tune("set tune ewma_fast 50%", "ewma_fast", "50%");
	/* the parser checks each value on its own; the set as a whole is the executor's check */
	good_tune("set tune free_soft 0.07", "free_soft", "0.07");
	/* the VM settings still mean a VM called "tune" */
	good("set tune shares 2000", MONITOR_SET_SHARES, "tune", 2000, false);
	good("set tune max 1G", MONITOR_SET_MAX, "tune", 1ULL << 30, false);

	bad("tune tax", "tune: unexpected 'tax' after the command (usage: tune)");
	bad("set tune tax", "set: missing argument (usage: set VM shares|min|max|target VALUE, or set tune NAME VALUE)");
	bad("set tune taxes 0.5", "set tune taxes 0.5: unknown tunable 'taxes' (see ~ tune)");
	bad("set tune tax 2", "set tune tax 2: '2' is out of range (0 to 0.99, or 0% to 99%)");
	bad("set tune tax 75", "set tune tax 75: '75' is out of range (0 to 0.99, or 0% to 99%)");
	bad("set tune sharing on", "set tune sharing on: 'on' is not one of off, vm, global, salted");
	bad("set tune sample_period 5d",
	    "set tune sample_period 5d: '5d' is not a duration (digits with ms, s, m or h; bare digits are milliseconds)");
	bad("set tune sample_pages 0", "set tune sample_pages 0: '0' is out of range (1 to 65536 pages)");
	bad("set tune seed 00000000000000000000000000000000042",
	    "set tune seed 00000000000000000000000000000000: longer than 32 characters");
}

static void errors(void **state)
{
	bad("lst", "unknown command 'lst' (try help)");
	bad("LIST", "unknown command 'LIST' (try help)");
	bad("list all", "list: unexpected 'all' after the command (usage: list)");
	bad("help me now", "help: unexpected 'me' after the command (usage: help)");
	bad("stop", "stop: missing argument (usage: stop VM)");
	bad("stop vm1 now", "stop: unexpected 'now' after the command (usage: stop VM)");
	bad("console", "console: missing argument (usage: console VM)");
	bad("memstat", "memstat: missing argument (usage: memstat SECONDS|off)");
	bad("memstat five", "memstat: 'five' is not a duration (seconds, with an optional s, m or h, or off)");
	bad("memstat 86401", "memstat: '86401' is too long (at most 86400s)");
	bad("set", "set: missing argument (usage: set VM shares|min|max|target VALUE, or set tune NAME VALUE)");
	bad("set vm1", "set: missing argument (usage: set VM shares|min|max|target VALUE, or set tune NAME VALUE)");
	bad("set vm1 shares", "set: missing argument (usage: set VM shares|min|max|target VALUE, or set tune NAME VALUE)");
	bad("set vm1 shares 10 20", "set: unexpected '20' after the command (usage: set VM shares|min|max|target VALUE, or set tune NAME VALUE)");
	bad("set vm1 weight 10", "set: unknown setting 'weight' (shares, min, max, target)");
	bad("set vm1 shares 0", "set shares: '0' is out of range (1..1000000)");
	bad("set vm1 shares 1000001", "set shares: '1000001' is out of range (1..1000000)");
	bad("set vm1 shares 18446744073709551616", "set shares: '18446744073709551616' is out of range (1..1000000)");
	bad("set vm1 shares lots", "set shares: 'lots' is not a number");
	bad("set vm1 shares 12x", "set shares: '12x' is not a number");
	bad("set vm1 min 1000", "set min: '1000' is not a whole number of 4 KiB pages (a bare number is bytes)");
	bad("set vm1 min 2T", "set min: '2T' is not a size (a number with an optional K, M or G)");
	bad("set vm1 max 0", "set max: must be at least 4K");
	bad("set vm1 max 2048G", "set max: '2048G' is too large (at most 1024G)");
	bad("set vm1 target 0", "set target: must be at least 4K (auto gives the target back to the policy)");
	bad("set vm1 target automatic", "set target: 'automatic' is not a size (a number with an optional K, M or G)");
	bad("set vm1 min auto", "set min: 'auto' is not a size (a number with an optional K, M or G)");
	bad("set vm.1 min 1G", "bad VM name 'vm.1' (1 to 15 of A-Z a-z 0-9 _ -)");
	bad("stop abcdefghijklmnop", "bad VM name 'abcdefghijklmnop' (1 to 15 of A-Z a-z 0-9 _ -)");
	bad("console a/b", "bad VM name 'a/b' (1 to 15 of A-Z a-z 0-9 _ -)");
	/* the VM name is checked before the setting */
	bad("set ../x weight 1", "bad VM name '../x' (1 to 15 of A-Z a-z 0-9 _ -)");
}

static void small_reason_buffer(void **state)
{
	char small[8];

	assert_int_equal(monitor_cmd_parse("frobnicate", &cmd, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "unknown");
	assert_int_equal(monitor_cmd_parse("frobnicate", &cmd, NULL, 0), -EINVAL);
	assert_int_equal(monitor_cmd_parse("list", &cmd, NULL, 0), 0);
}

static void help_names_every_command(void **state)
{
	static const char *const names[] = { "~ help", "~ list", "~ mem", "~ set VM shares", "~ set VM min",
					     "~ set VM max", "~ set VM target", "~ stop VM", "~ console VM",
					     "~ memstat", "~ audit", "~ tune", "~ set tune NAME VALUE" };

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_non_null(strstr(monitor_cmd_help, names[i]));
	assert_int_equal(monitor_cmd_help[strlen(monitor_cmd_help) - 1], '\n');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classify),
		cmocka_unit_test(simple_commands),
		cmocka_unit_test(set_commands),
		cmocka_unit_test(tune_commands),
		cmocka_unit_test(errors),
		cmocka_unit_test(small_reason_buffer),
		cmocka_unit_test(help_names_every_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
