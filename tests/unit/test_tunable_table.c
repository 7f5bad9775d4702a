/* Host tests for mm/tunable_table.c (names, units and bounds of struct mm_tunables), mm_tunables_why() and the
 * refusals of mm_set_tunables(). */
#include "tests/unit/mm_test.h"
#include "mm/tunable_table.h"

static char why[TUNABLE_WHY_MAX];

static const struct tunable *entry(const char *name)
{
	int i = tunable_find(name, strlen(name));
	assert_true(i >= 0);
	return &tunable_table[i];
}

/* ---- the table covers the struct ----------------------------------------------------------------------------- */

/* Every byte of struct mm_tunables that is not padding belongs to exactly one of table[0..n), and no entry lies in
 * padding or outside the struct.  Returns the first offending byte's offset, or -1 when the table covers it. */
static int first_uncovered(const struct tunable *table, unsigned n)
{
	unsigned char owner[sizeof(struct mm_tunables)] = { 0 };
	struct mm_tunables t;

	/* Padding bytes are the ones __builtin_clear_padding() zeroes: the compiler's layout, not our guess. */
	memset(&t, 0xff, sizeof(t));
	__builtin_clear_padding(&t);
	for (unsigned i = 0; i < n; i++) {
		if (table[i].offset + table[i].width > sizeof(t))
			return table[i].offset;
		for (unsigned b = table[i].offset; b < table[i].offset + table[i].width; b++)
			owner[b]++;
	}
	for (unsigned b = 0; b < sizeof(t); b++)
		if (owner[b] != (((unsigned char *)&t)[b] ? 1 : 0))
			return (int)b;
	return -1;
}

static void every_byte_has_one_entry(void **state)
{
	static struct tunable copy[TUNABLE_MAX];

	assert_true(tunable_count <= TUNABLE_MAX);
	assert_int_equal(first_uncovered(tunable_table, tunable_count), -1);

	/* The check can fail: a table that forgot a field, or names one twice. */
	memcpy(copy, tunable_table, tunable_count * sizeof(copy[0]));
	for (unsigned skip = 0; skip < tunable_count; skip++) {
		memcpy(copy, tunable_table, tunable_count * sizeof(copy[0]));
		memmove(&copy[skip], &copy[skip + 1], (tunable_count - skip - 1) * sizeof(copy[0]));
		assert_int_equal(first_uncovered(copy, tunable_count - 1), tunable_table[skip].offset);
	}
	memcpy(copy, tunable_table, tunable_count * sizeof(copy[0]));
	copy[tunable_count] = copy[0];
	assert_int_equal(first_uncovered(copy, tunable_count + 1), copy[0].offset);
}

static void entries_are_well_formed(void **state)
{
	struct mm_tunables d;
	char v[TUNABLE_VALUE_MAX];
	uint64_t x;

	mm_tunables_default(&d);
	for (unsigned i = 0; i < tunable_count; i++) {
		const struct tunable *e = &tunable_table[i];
		assert_true(e->width == 4 || e->width == 8);
		assert_true(e->offset % e->width == 0);
		assert_true(e->min <= e->max);
		assert_true(e->width == 8 || e->max <= UINT32_MAX);
		assert_true(strlen(e->desc) > 10 && strlen(e->desc) < 100 && !strchr(e->desc, '\n'));
		assert_true(e->unit != TU_COUNT || e->count_unit);
		assert_true(e->unit != TU_ENUM || e->names);
		assert_int_equal(tunable_find(e->name, strlen(e->name)), i); /* names are unique */
		/* the default is in range, and its text parses back to it */
		x = tunable_get(e, &d);
		assert_true(x >= e->min && x <= e->max);
		assert_true(tunable_format(e, x, v, sizeof(v)) < TUNABLE_VALUE_MAX);
		assert_int_equal(tunable_parse(e, v, strlen(v), &x, why, sizeof(why)), 0);
		assert_int_equal(x, tunable_get(e, &d));
	}
	/* get and put reach the field they describe, and only it */
	struct mm_tunables t = d;
	tunable_put(entry("free_soft"), &t, 33);
	assert_int_equal(t.free_soft_pm, 33);
	t.free_soft_pm = d.free_soft_pm;
	assert_memory_equal(&t, &d, sizeof(d));
	tunable_put(entry("seed"), &t, 0x123456789abcdefULL);
	assert_int_equal(t.seed, 0x123456789abcdefULL);
	assert_int_equal(tunable_get(entry("sample_period"), &d), d.sample_period_ms);
	assert_int_equal(tunable_get(entry("sharing"), &d), d.share_scope);

	assert_int_equal(tunable_find("tax", 3), tunable_find("taxes", 3)); /* n characters, not NUL-terminated */
	assert_int_equal(tunable_find("tax_pm", 6), -1);
	assert_int_equal(tunable_find("", 0), -1);
}

/* ---- round trips per unit ------------------------------------------------------------------------------------ */

static void good(const char *name, const char *text, uint64_t v, const char *formatted)
{
	const struct tunable *e = entry(name);
	char out[TUNABLE_VALUE_MAX];
	uint64_t x = ~0ULL;

	why[0] = '\0';
	assert_int_equal(tunable_parse(e, text, strlen(text), &x, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(x, v);
	tunable_format(e, v, out, sizeof(out));
	assert_string_equal(out, formatted);
}

static void bad(const char *name, const char *text, int err, const char *reason)
{
	uint64_t x = 77;

	assert_int_equal(tunable_parse(entry(name), text, strlen(text), &x, why, sizeof(why)), err);
	assert_string_equal(why, reason);
	assert_int_equal(x, 77);
}

static void counts(void **state)
{
	good("sample_pages", "100", 100, "100");
	good("sample_pages", "1", 1, "1");
	good("sample_pages", "65536", 65536, "65536");
	good("scan_vm_pps", "0", 0, "0");
	good("swap_out_pps", "0002560", 2560, "2560");
	bad("sample_pages", "0", -ERANGE, "'0' is out of range (1 to 65536 pages)");
	bad("scan_total_pps", "10000001", -ERANGE, "'10000001' is out of range (0 to 10000000 pages/s)");
	bad("scan_vm_pps", "99999999999999999999999", -ERANGE,
	    "'99999999999999999999999' is out of range (0 to 1000000 pages/s)");
	bad("sample_pages", "", -EINVAL, "'' is not a number (decimal digits)");
	bad("sample_pages", "1e3", -EINVAL, "'1e3' is not a number (decimal digits)");
	bad("sample_pages", "+5", -EINVAL, "'+5' is not a number (decimal digits)");
}

static void durations(void **state)
{
	good("sample_period", "30s", 30000, "30s");
	good("sample_period", "30000", 30000, "30s"); /* bare digits are milliseconds */
	good("sample_period", "500ms", 500, "500ms");
	good("sample_period", "1500ms", 1500, "1500ms");
	good("target_period", "2m", 120000, "2m");
	good("target_period", "90s", 90000, "90s");
	good("balloon_grace", "1h", 3600000, "1h");
	good("balloon_grace", "24h", 86400000, "24h");
	good("balloon_grace", "100ms", 100, "100ms");
	bad("sample_period", "99ms", -ERANGE, "'99ms' is out of range (100ms to 24h)");
	bad("sample_period", "1441m", -ERANGE, "'1441m' is out of range (100ms to 24h)");
	bad("sample_period", "99999999999999999h", -ERANGE, "'99999999999999999h' is out of range (100ms to 24h)");
	bad("sample_period", "1.5s", -EINVAL,
	    "'1.5s' is not a duration (digits with ms, s, m or h; bare digits are milliseconds)");
	bad("sample_period", "30 s", -EINVAL,
	    "'30 s' is not a duration (digits with ms, s, m or h; bare digits are milliseconds)");
	bad("sample_period", "s", -EINVAL, "'s' is not a duration (digits with ms, s, m or h; bare digits are milliseconds)");
	bad("sample_period", "5d", -EINVAL, "'5d' is not a duration (digits with ms, s, m or h; bare digits are milliseconds)");

	/* every duration a day holds in whole ms formats to a text that parses back to it (a sample of them) */
	const struct tunable *e = entry("balloon_grace");
	char v[TUNABLE_VALUE_MAX];
	uint64_t x;
	for (uint64_t ms = 100; ms <= 86400000; ms += ms / 7 + 1) {
		tunable_format(e, ms, v, sizeof(v));
		assert_int_equal(tunable_parse(e, v, strlen(v), &x, why, sizeof(why)), 0);
		assert_int_equal(x, ms);
	}
}

static void fractions(void **state)
{
	good("tax", "0.75", 750, "0.75");
	good("tax", "75%", 750, "0.75");
	good("tax", "62.5%", 625, "0.625");
	good("tax", "0", 0, "0");
	good("tax", "0.99", 990, "0.99");
	good("balloon_max", "1", 1000, "1");
	good("balloon_max", "100%", 1000, "1");
	good("free_low", "0.005", 5, "0.005");
	bad("tax", "0.991", -ERANGE, "'0.991' is out of range (0 to 0.99, or 0% to 99%)");
	bad("free_high", "1", -ERANGE, "'1' is out of range (0 to 0.999, or 0% to 99.9%)");
	bad("share_frames", "0", -ERANGE, "'0' is out of range (0.001 to 1, or 0.1% to 100%)");
	bad("tax", "0.7505", -EINVAL,
	    "'0.7505' is not a fraction (such as 0.75, or a percentage such as 75%, three decimals at most)");
	bad("tax", "62.55%", -EINVAL,
	    "'62.55%' is not a fraction (such as 0.75, or a percentage such as 75%, one decimal at most)");
	bad("tax", ".5", -EINVAL, "'.5' is not a fraction (such as 0.75, or a percentage such as 75%, three decimals at most)");
	bad("tax", "1.", -EINVAL, "'1.' is not a fraction (such as 0.75, or a percentage such as 75%, three decimals at most)");
	bad("tax", "%", -EINVAL, "'%' is not a fraction (such as 0.75, or a percentage such as 75%, one decimal at most)");
	bad("tax", "750pm", -EINVAL,
	    "'750pm' is not a fraction (such as 0.75, or a percentage such as 75%, three decimals at most)");

	/* Q16: five decimals, or three in a percentage, rounded to the nearest 1/65536 */
	good("ewma_slow", "0.125", 8192, "0.125");
	good("ewma_slow", "12.5%", 8192, "0.125");
	good("ewma_fast", "0.5", 32768, "0.5");
	good("ewma_fast", "1", 65536, "1");
	good("ewma_fast", "0.33333", 21845, "0.33333");
	good("ewma_fast", "0.00002", 1, "0.00002");
	bad("ewma_fast", "0", -ERANGE, "'0' is out of range (0.00002 to 1, or 0.002% to 100%)");
	bad("ewma_fast", "0.000001", -EINVAL,
	    "'0.000001' is not a fraction (such as 0.5, or a percentage such as 50%, five decimals at most)");
	bad("ewma_fast", "1.5", -ERANGE, "'1.5' is out of range (0.00002 to 1, or 0.002% to 100%)");

	/* every per-mille and every Q16 value survives format then parse */
	char v[TUNABLE_VALUE_MAX];
	uint64_t x;
	for (uint64_t pm = 0; pm <= 1000; pm++) {
		tunable_format(entry("balloon_max"), pm, v, sizeof(v));
		assert_int_equal(tunable_parse(entry("balloon_max"), v, strlen(v), &x, why, sizeof(why)), 0);
		assert_int_equal(x, pm);
	}
	for (uint64_t q = 1; q <= 65536; q++) {
		tunable_format(entry("ewma_slow"), q, v, sizeof(v));
		assert_int_equal(tunable_parse(entry("ewma_slow"), v, strlen(v), &x, why, sizeof(why)), 0);
		assert_int_equal(x, q);
	}
}

static void names_and_seed(void **state)
{
	good("sharing", "global", SHARE_GLOBAL, "global");
	good("sharing", "vm", SHARE_PER_VM, "vm");
	good("sharing", "salted", SHARE_SALTED, "salted");
	bad("sharing", "Global", -EINVAL, "'Global' is not one of global, vm, salted");
	bad("sharing", "", -EINVAL, "'' is not one of global, vm, salted");

	good("seed", "0x62616c6c617374", 0x62616c6c617374ULL, "0x62616c6c617374");
	good("seed", "0XFF", 255, "0xff");
	good("seed", "18446744073709551615", UINT64_MAX, "0xffffffffffffffff");
	good("seed", "0", 0, "0x0");
	bad("seed", "18446744073709551616", -ERANGE, "'18446744073709551616' is out of range (0x0 to 0xffffffffffffffff)");
	bad("seed", "0x10000000000000000", -ERANGE, "'0x10000000000000000' is out of range (0x0 to 0xffffffffffffffff)");
	bad("seed", "0x", -EINVAL, "'0x' is not a number (decimal, or hex after 0x)");
	bad("seed", "12ab", -EINVAL, "'12ab' is not a number (decimal, or hex after 0x)");

	/* a long value is quoted cut short */
	bad("seed", "0x123456789012345678901234567890123456789", -ERANGE,
	    "'0x123456789012345678901234567890' is out of range (0x0 to 0xffffffffffffffff)");

	char r[TUNABLE_WHY_MAX];
	tunable_format_range(entry("sharing"), r, sizeof(r));
	assert_string_equal(r, "global, vm, salted");
	assert_int_equal(tunable_format_range(entry("sharing"), r, 8), 18); /* cut, with the full length returned */
	assert_string_equal(r, "global,");
}

/* ---- setting: one field, then the whole struct --------------------------------------------------------------- */

static int set(struct mm_tunables *t, const char *name, const char *value, uint64_t *given)
{
	return tunable_set(t, name, strlen(name), value, strlen(value), given, why, sizeof(why));
}

static void set_checks_the_whole_struct(void **state)
{
	struct mm_tunables t, d;
	uint64_t given = 0;

	mm_tunables_default(&d);
	t = d;
	assert_int_equal(set(&t, "tax", "0.5", &given), 0);
	assert_int_equal(t.tax_pm, 500);
	assert_int_equal(given, 1ULL << tunable_find("tax", 3));

	/* a value in its own range that breaks the order of the thresholds: refused, nothing changed */
	t = d;
	given = 0;
	assert_int_equal(set(&t, "free_soft", "0.07", &given), -EINVAL);
	assert_string_equal(why, "free_soft (0.07) must be below free_high (0.06)");
	assert_memory_equal(&t, &d, sizeof(d));
	assert_int_equal(given, 0);
	assert_int_equal(set(&t, "free_high", "0.03", &given), -EINVAL);
	assert_string_equal(why, "free_soft (0.04) must be below free_high (0.03)");
	assert_int_equal(set(&t, "free_goal", "5%", &given), -EINVAL);
	assert_string_equal(why, "free_goal (0.05) must be at least free_high (0.06)");
	/* in the right order it works */
	assert_int_equal(set(&t, "free_low", "0.5%", &given), 0);
	assert_int_equal(set(&t, "free_hard", "1%", &given), 0);
	assert_int_equal(set(&t, "free_soft", "2%", &given), 0);
	assert_int_equal(set(&t, "free_high", "3%", &given), 0);
	assert_int_equal(t.free_low_pm, 5);
	assert_int_equal(t.free_high_pm, 30);

	assert_int_equal(set(&t, "free_hight", "3%", &given), -ENOENT);
	assert_string_equal(why, "unknown tunable 'free_hight' (see ~ tune)");
	assert_int_equal(set(&t, "tax", "2", &given), -ERANGE);
	assert_string_equal(why, "'2' is out of range (0 to 0.99, or 0% to 99%)");

	/* sharing = off: no scanning, the scope unchanged */
	t = d;
	given = 0;
	assert_int_equal(set(&t, "sharing", "off", &given), 0);
	assert_int_equal(t.scan_vm_pps, 0);
	assert_int_equal(t.scan_total_pps, 0);
	assert_int_equal(t.share_scope, d.share_scope);
	assert_int_equal(given, (1ULL << tunable_find("scan_vm_pps", 11)) | (1ULL << tunable_find("scan_total_pps", 14)));
	assert_int_equal(set(&t, "sharing", "on", &given), -EINVAL);
	assert_string_equal(why, "'on' is not one of off, vm, global, salted");
}

static void check_reasons(void **state)
{
	static const struct {
		const char *name, *value, *reason;
	} cases[] = {
		{ "free_hard", "0.01", "free_low (0.01) must be below free_hard (0.01)" },
		{ "free_soft", "0.02", "free_hard (0.02) must be below free_soft (0.02)" },
		{ "free_high", "0.999", "free_goal (0.07) must be at least free_high (0.999)" },
	};
	struct mm_tunables t, d;

	mm_tunables_default(&d);
	assert_int_equal(mm_tunables_why(&d, why, sizeof(why)), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t given = 0;
		t = d;
		assert_int_equal(set(&t, cases[i].name, cases[i].value, &given), -EINVAL);
		assert_string_equal(why, cases[i].reason);
	}
	/* the rules a field's own range cannot break still have reasons (and mm_tunables_check() agrees) */
	static const struct {
		size_t off;
		uint64_t v;
		const char *reason;
	} raw[] = {
		{ offsetof(struct mm_tunables, sample_pages), 0, "sample_pages must be at least 1" },
		{ offsetof(struct mm_tunables, sample_period_ms), 0, "sample_period must be longer than 0" },
		{ offsetof(struct mm_tunables, target_period_ms), 0, "target_period must be longer than 0" },
		{ offsetof(struct mm_tunables, ewma_slow_q16), 65537, "ewma_slow must be above 0 and at most 1" },
		{ offsetof(struct mm_tunables, ewma_fast_q16), 0, "ewma_fast must be above 0 and at most 1" },
		{ offsetof(struct mm_tunables, tax_pm), 995, "tax (0.995) must be at most 0.99" },
		{ offsetof(struct mm_tunables, free_goal_pm), 1000, "free_goal (1) must be below 1" },
		{ offsetof(struct mm_tunables, share_scope), 3, "sharing (3) is not global, vm or salted" },
		{ offsetof(struct mm_tunables, share_frames_pm), 0, "share_frames must be above 0" },
		{ offsetof(struct mm_tunables, balloon_max_pm), 1001, "balloon_max (1.001) must be at most 1" },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(raw); i++) {
		uint32_t v = (uint32_t)raw[i].v;
		t = d;
		memcpy((char *)&t + raw[i].off, &v, sizeof(v));
		assert_int_equal(mm_tunables_why(&t, why, sizeof(why)), -EINVAL);
		assert_string_equal(why, raw[i].reason);
		assert_int_equal(mm_tunables_check(&t), -EINVAL);
		assert_int_equal(mm_tunables_why(&t, NULL, 0), -EINVAL);
	}
}

/* ---- mm_set_tunables: sized fields are refused, not clamped --------------------------------------------------- */

static void live_refusals(void **state)
{
	struct fake_machine *fm = mk_machine(4096, 0, NULL);
	struct mm_tunables t = fm->mm.tun;

	t.share_frames_pm = 600;
	assert_int_equal(mm_set_tunables(&fm->mm, &t), -ERANGE);
	assert_int_equal(fm->mm.tun.share_frames_pm, 500);

	/* before any VM, the sample size is free; after, it may not exceed the sets the VMs were created with */
	t = fm->mm.tun;
	t.sample_pages = 200;
	assert_int_equal(mm_set_tunables(&fm->mm, &t), 0);
	struct mm_vm *vm = mk_vm(fm, "a", 256, 0, 1000);
	assert_int_equal(vm->sampler.cap, 200);
	t.sample_pages = 50;
	assert_int_equal(mm_set_tunables(&fm->mm, &t), 0);
	assert_int_equal(fm->mm.tun.sample_pages, 50);
	t.sample_pages = 200;
	assert_int_equal(mm_set_tunables(&fm->mm, &t), 0); /* back up to the VM's own set */
	t.sample_pages = 201;
	assert_int_equal(mm_set_tunables(&fm->mm, &t), -ERANGE);
	assert_int_equal(fm->mm.tun.sample_pages, 200);

	/* a new seed starts the generator again; the same seed leaves it alone */
	t = fm->mm.tun;
	t.seed = 42;
	assert_int_equal(mm_set_tunables(&fm->mm, &t), 0);
	assert_int_equal(fm->mm.rng.s, 42);
	rng_next(&fm->mm.rng);
	uint64_t s = fm->mm.rng.s;
	t.tax_pm = 100;
	assert_int_equal(mm_set_tunables(&fm->mm, &t), 0);
	assert_int_equal(fm->mm.rng.s, s);

	/* an invalid set is refused whole */
	t.free_soft_pm = t.free_high_pm;
	assert_int_equal(mm_set_tunables(&fm->mm, &t), -EINVAL);
	assert_int_equal(fm->mm.tun.tax_pm, 100);
	done_machine(fm);
}

/* guests/configs/README.md lists every tunable as a [machine] key, with its default as the table formats it. */
static void readme_lists_every_tunable(void **state)
{
	static char text[65536];
	FILE *f = fopen("guests/configs/README.md", "rb");
	struct mm_tunables d;
	char row[160], v[TUNABLE_VALUE_MAX];

	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	assert_true(n < sizeof(text) - 1);
	text[n] = '\0';
	mm_tunables_default(&d);
	for (unsigned i = 0; i < tunable_count; i++) {
		const struct tunable *e = &tunable_table[i];
		snprintf(row, sizeof(row), "\n| `%s` | ", e->name);
		const char *at = strstr(text, row);
		assert_non_null(at);
		tunable_format(e, tunable_get(e, &d), v, sizeof(v));
		snprintf(row, sizeof(row), "| `%s` |", v);
		const char *end = strchr(at + 1, '\n');
		const char *def = strstr(at, row);
		assert_true(def && def < end);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_byte_has_one_entry),
		cmocka_unit_test(entries_are_well_formed),
		cmocka_unit_test(counts),
		cmocka_unit_test(durations),
		cmocka_unit_test(fractions),
		cmocka_unit_test(names_and_seed),
		cmocka_unit_test(set_checks_the_whole_struct),
		cmocka_unit_test(check_reasons),
		cmocka_unit_test(live_refusals),
		cmocka_unit_test(readme_lists_every_tunable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
