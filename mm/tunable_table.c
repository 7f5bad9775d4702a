/*
 * The table of tunables (tunable_table.h): names, units and bounds of every field of struct mm_tunables, and the
 * parsing and formatting of their values.  Pure C like the rest of mm/: no allocation, fixed point only.
 *
 * Bounds are each field's own sanity range; the rules that tie fields together (thresholds decreasing, the goal at
 * or above the high threshold) are mm_tunables_why()'s, checked on the whole struct after a change.
 */
#include <ballast/compiler.h>
#include <ballast/digits.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "mm/tunable_table.h"

#define MS_MAX (24u * 3600 * 1000) /* a day: the longest period any knob needs */
#define Q16_ONE 65536u

#define FIELD(f) .offset = offsetof(struct mm_tunables, f), .width = sizeof(((struct mm_tunables *)0)->f)

static const char *const scope_names[] = { [SHARE_GLOBAL] = "global", [SHARE_PER_VM] = "vm",
					    [SHARE_SALTED] = "salted" };

const struct tunable tunable_table[] = {
	{ "sample_pages", "pages sampled per VM per period (paper: 100; running VMs keep their sample set's size)",
	  TU_COUNT, "pages", FIELD(sample_pages), 1, 65536, NULL, false },
	{ "sample_period", "length of one active-memory sampling period (paper: 30s)", TU_MS, NULL,
	  FIELD(sample_period_ms), 100, MS_MAX, NULL, false },
	{ "ewma_slow", "gain of the slow moving average of active memory per period", TU_Q16, NULL,
	  FIELD(ewma_slow_q16), 1, Q16_ONE, NULL, false },
	{ "ewma_fast", "gain of the fast moving average of active memory per period", TU_Q16, NULL,
	  FIELD(ewma_fast_q16), 1, Q16_ONE, NULL, false },
	{ "tax", "idle-memory tax rate (paper: 0.75, k = 4)", TU_PM, NULL, FIELD(tax_pm), 0, 990, NULL, false },
	{ "target_period", "recompute allocation targets at least this often", TU_MS, NULL, FIELD(target_period_ms),
	  100, MS_MAX, NULL, false },
	{ "free_goal", "when reclaiming, aim targets at this much free memory (at least free_high)", TU_PM, NULL,
	  FIELD(free_goal_pm), 0, 999, NULL, false },
	{ "free_high", "free memory at or above which nothing is reclaimed (paper: 6%)", TU_PM, NULL,
	  FIELD(free_high_pm), 0, 999, NULL, false },
	{ "free_soft", "below it: soft state, balloon toward targets (paper: 4%)", TU_PM, NULL, FIELD(free_soft_pm), 0,
	  999, NULL, false },
	{ "free_hard", "below it: hard state, swap to reach targets (paper: 2%)", TU_PM, NULL, FIELD(free_hard_pm), 0,
	  999, NULL, false },
	{ "free_low", "below it: low state, swap and block VMs above target (paper: 1%)", TU_PM, NULL,
	  FIELD(free_low_pm), 0, 999, NULL, false },
	{ "scan_vm_pps", "pages scanned for sharing per second per VM (0: none)", TU_COUNT, "pages/s",
	  FIELD(scan_vm_pps), 0, 1000000, NULL, false },
	{ "scan_total_pps", "pages scanned for sharing per second over all VMs (0: none)", TU_COUNT, "pages/s",
	  FIELD(scan_total_pps), 0, 10000000, NULL, false },
	{ "sharing", "page sharing scope: global, vm (within each VM), salted (same salt)", TU_ENUM, NULL,
	  FIELD(share_scope), SHARE_GLOBAL, SHARE_SALTED, scope_names, false },
	{ "share_frames", "sharing-table frames per machine page (sized at boot)", TU_PM, NULL,
	  FIELD(share_frames_pm), 1, 1000, NULL, true },
	{ "balloon_max", "largest balloon as a fraction of the VM's max (ESXi: 65%)", TU_PM, NULL,
	  FIELD(balloon_max_pm), 0, 1000, NULL, false },
	{ "balloon_grace", "a balloon not moving toward its target this long is distrusted", TU_MS, NULL,
	  FIELD(balloon_grace_ms), 100, MS_MAX, NULL, false },
	{ "balloon_touch_limit", "ballooned pages a guest may touch before its balloon is distrusted", TU_COUNT,
	  "pages", FIELD(balloon_touch_limit), 0, 1000000, NULL, false },
	{ "inflate_reserve_pages", "free pages kept so that a VM stuck on a fault can still inflate its balloon",
	  TU_COUNT, "pages", FIELD(inflate_reserve_pages), 0, 1u << 20, NULL, false },
	{ "inflate_credit_pages", "pages of that reserve a VM may owe, borrowed while its driver inflates",
	  TU_COUNT, "pages", FIELD(inflate_credit_pages), 0, 1u << 20, NULL, false },
	{ "swap_out_pps", "hypervisor swap-out rate cap per VM", TU_COUNT, "pages/s", FIELD(swap_out_pps), 0, 1000000,
	  NULL, false },
	{ "overhead_dev_pages", "per-VM device and VMCS pages counted as overhead at admission", TU_COUNT, "pages",
	  FIELD(overhead_dev_pages), 0, 4096, NULL, false },
	{ "seed", "seed of the pseudo-random generator (scan, sample and swap victims); a change reseeds it", TU_U64,
	  NULL, FIELD(seed), 0, UINT64_MAX, NULL, false },
};
const unsigned tunable_count = ARRAY_SIZE(tunable_table);
_Static_assert(ARRAY_SIZE(tunable_table) <= TUNABLE_MAX, "one bit per entry in a uint64_t");

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

int tunable_find(const char *name, size_t n)
{
	for (unsigned i = 0; i < tunable_count; i++)
		if (eq(name, n, tunable_table[i].name))
			return (int)i;
	return -1;
}

uint64_t tunable_get(const struct tunable *e, const struct mm_tunables *t)
{
	const char *p = (const char *)t + e->offset;
	uint32_t v32;
	uint64_t v64;

	if (e->width == sizeof(v32)) {
		memcpy(&v32, p, sizeof(v32));
		return v32;
	}
	memcpy(&v64, p, sizeof(v64));
	return v64;
}

void tunable_put(const struct tunable *e, struct mm_tunables *t, uint64_t v)
{
	char *p = (char *)t + e->offset;
	uint32_t v32 = (uint32_t)v;

	if (e->width == sizeof(v32))
		memcpy(p, &v32, sizeof(v32));
	else
		memcpy(p, &v, sizeof(v));
}

static int find_lit(const char *name)
{
	return tunable_find(name, strlen(name));
}

/* ---- parsing ------------------------------------------------------------------------------------------------- */

static uint64_t ten_to(unsigned n)
{
	uint64_t p = 1;

	while (n--)
		p *= 10;
	return p;
}

/* A fraction ("0.75", maxdec decimals) or a percentage ("75%", pctdec decimals) of one, rounded to the nearest.
 * -EINVAL not of that form; *big when the number is far beyond any bound (it is then out of range). */
static int parse_fraction(const char *s, size_t n, uint64_t one, unsigned maxdec, unsigned pctdec, uint64_t *v,
			  bool *big)
{
	bool percent = n && s[n - 1] == '%', overflow;
	size_t m = n - percent, i, ndec = 0;
	unsigned limit = percent ? pctdec : maxdec;
	uint64_t ip, frac = 0, den;

	i = parse_digits(s, m, &ip, &overflow);
	if (i && i < m && s[i] == '.') {
		for (i++; i < m && is_digit(s[i]) && ndec < limit; i++, ndec++)
			frac = frac * 10 + (uint64_t)(s[i] - '0');
		if (!ndec)
			i = 0; /* "1." */
	}
	if (!i || i != m)
		return -EINVAL;
	*big = overflow || ip > 1000000;
	if (*big)
		return 0;
	den = ten_to((unsigned)ndec) * (percent ? 100 : 1);
	*v = ((ip * ten_to((unsigned)ndec) + frac) * one + den / 2) / den;
	return 0;
}

/* A duration: digits with ms, s, m or h, bare digits being milliseconds. */
static int parse_ms(const char *s, size_t n, uint64_t *v, bool *big)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	bool overflow;
	size_t i = parse_digits(s, n, v, &overflow);

	if (!i)
		return -EINVAL;
	for (unsigned u = 0; u < ARRAY_SIZE(units); u++) {
		if (!eq(s + i, n - i, units[u].suffix))
			continue;
		*big = overflow || *v > UINT64_MAX / units[u].ms;
		if (!*big)
			*v *= units[u].ms;
		return 0;
	}
	return -EINVAL;
}

static int parse_u64(const char *s, size_t n, uint64_t *v, bool *big)
{
	size_t i;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		*v = 0;
		*big = n - 2 > 16;
		for (i = 2; i < n; i++) {
			char c = s[i];
			unsigned d = is_digit(c) ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
				   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
			if (d == 16)
				return -EINVAL;
			*v = (*v << 4) | d;
		}
		return 0;
	}
	return n && parse_digits(s, n, v, big) == n ? 0 : -EINVAL;
}

/* The value quoted in a message: at most QUOTE characters of it. */
#define QUOTE 32
static void quote(char *q, const char *s, size_t n)
{
	n = MIN(n, (size_t)QUOTE);
	memcpy(q, s, n);
	q[n] = '\0';
}

int tunable_parse(const struct tunable *e, const char *s, size_t n, uint64_t *v, char *why, size_t whylen)
{
	char q[QUOTE + 1], range[TUNABLE_WHY_MAX];
	bool big = false;
	uint64_t x = 0;
	int err;

	quote(q, s, n);
	switch (e->unit) {
	case TU_COUNT:
		err = n && parse_digits(s, n, &x, &big) == n ? 0 : -EINVAL;
		if (err)
			fmt_snprintf(why, whylen, "'%s' is not a number (decimal digits)", q);
		break;
	case TU_MS:
		err = parse_ms(s, n, &x, &big);
		if (err)
			fmt_snprintf(why, whylen, "'%s' is not a duration (digits with ms, s, m or h; bare digits are "
				     "milliseconds)", q);
		break;
	case TU_PM:
	case TU_Q16: {
		bool q16 = e->unit == TU_Q16, percent = n && s[n - 1] == '%';
		err = parse_fraction(s, n, q16 ? Q16_ONE : 1000, q16 ? 5 : 3, q16 ? 3 : 1, &x, &big);
		if (err)
			fmt_snprintf(why, whylen, "'%s' is not a fraction (such as %s, or a percentage such as %s, %s "
				     "decimal%s at most)", q, q16 ? "0.5" : "0.75", q16 ? "50%" : "75%",
				     percent ? (q16 ? "three" : "one") : (q16 ? "five" : "three"),
				     percent && !q16 ? "" : "s");
		break;
	}
	case TU_ENUM:
		err = -EINVAL;
		for (uint64_t i = e->min; i <= e->max; i++)
			if (eq(s, n, e->names[i])) {
				x = i;
				err = 0;
			}
		if (err) {
			tunable_format_range(e, range, sizeof(range));
			fmt_snprintf(why, whylen, "'%s' is not one of %s", q, range);
		}
		break;
	case TU_U64:
		err = parse_u64(s, n, &x, &big);
		if (err)
			fmt_snprintf(why, whylen, "'%s' is not a number (decimal, or hex after 0x)", q);
		break;
	default:
		err = -EINVAL;
		fmt_snprintf(why, whylen, "'%s': this tunable has no parser", q);
		break;
	}
	if (err)
		return err;
	if (big || x < e->min || x > e->max) {
		tunable_format_range(e, range, sizeof(range));
		fmt_snprintf(why, whylen, "'%s' is out of range (%s)", q, range);
		return -ERANGE;
	}
	*v = x;
	return 0;
}

/* ---- formatting ---------------------------------------------------------------------------------------------- */

int tunable_format_fraction(uint64_t v, uint64_t one, unsigned ndec, char *buf, size_t n)
{
	uint64_t scale = ten_to(ndec), r = (v * scale + one / 2) / one, ip = r / scale, fr = r % scale;
	char dec[24];
	unsigned nd = ndec;

	if (!fr)
		return fmt_snprintf(buf, n, "%llu", (unsigned long long)ip);
	while (fr % 10 == 0) {
		fr /= 10;
		nd--;
	}
	dec[nd] = '\0';
	for (unsigned i = nd; i--; fr /= 10)
		dec[i] = (char)('0' + fr % 10);
	return fmt_snprintf(buf, n, "%llu.%s", (unsigned long long)ip, dec);
}

static int format_ms(uint64_t v, char *buf, size_t n)
{
	static const struct { uint64_t ms; char suffix; } units[] = { { 3600000, 'h' }, { 60000, 'm' }, { 1000, 's' } };

	if (!v)
		return fmt_snprintf(buf, n, "0");
	for (unsigned i = 0; i < ARRAY_SIZE(units); i++)
		if (v % units[i].ms == 0)
			return fmt_snprintf(buf, n, "%llu%c", (unsigned long long)(v / units[i].ms), units[i].suffix);
	return fmt_snprintf(buf, n, "%llums", (unsigned long long)v);
}

int tunable_format(const struct tunable *e, uint64_t v, char *buf, size_t n)
{
	switch (e->unit) {
	case TU_MS:
		return format_ms(v, buf, n);
	case TU_PM:
		return tunable_format_fraction(v, 1000, 3, buf, n);
	case TU_Q16:
		return tunable_format_fraction(v, Q16_ONE, 5, buf, n);
	case TU_ENUM:
		if (v >= e->min && v <= e->max)
			return fmt_snprintf(buf, n, "%s", e->names[v]);
		return fmt_snprintf(buf, n, "%llu", (unsigned long long)v); /* not a valid value: show the number */
	case TU_U64:
		return fmt_snprintf(buf, n, "0x%llx", (unsigned long long)v);
	case TU_COUNT:
	default:
		return fmt_snprintf(buf, n, "%llu", (unsigned long long)v);
	}
}

int tunable_format_range(const struct tunable *e, char *buf, size_t n)
{
	char lo[TUNABLE_VALUE_MAX], hi[TUNABLE_VALUE_MAX], plo[TUNABLE_VALUE_MAX], phi[TUNABLE_VALUE_MAX];
	uint64_t one = e->unit == TU_Q16 ? Q16_ONE : 1000;
	unsigned ndec = e->unit == TU_Q16 ? 5 : 3, pdec = e->unit == TU_Q16 ? 3 : 1;
	int len = 0;

	switch (e->unit) {
	case TU_COUNT:
		return fmt_snprintf(buf, n, "%llu to %llu %s", (unsigned long long)e->min, (unsigned long long)e->max,
				    e->count_unit);
	case TU_PM:
	case TU_Q16:
		tunable_format_fraction(e->min, one, ndec, lo, sizeof(lo));
		tunable_format_fraction(e->max, one, ndec, hi, sizeof(hi));
		tunable_format_fraction(e->min * 100, one, pdec, plo, sizeof(plo));
		tunable_format_fraction(e->max * 100, one, pdec, phi, sizeof(phi));
		return fmt_snprintf(buf, n, "%s to %s, or %s%% to %s%%", lo, hi, plo, phi);
	case TU_ENUM:
		if (n)
			buf[0] = '\0';
		for (uint64_t i = e->min; i <= e->max; i++)
			len += fmt_snprintf(buf + MIN((size_t)len, n), n - MIN((size_t)len, n), "%s%s",
					    i == e->min ? "" : ", ", e->names[i]);
		return len;
	default:
		tunable_format(e, e->min, lo, sizeof(lo));
		tunable_format(e, e->max, hi, sizeof(hi));
		return fmt_snprintf(buf, n, "%s to %s", lo, hi);
	}
}

/* ---- setting ------------------------------------------------------------------------------------------------- */

int tunable_parse_into(struct mm_tunables *t, const char *name, size_t nn, const char *value, size_t vn,
		       uint64_t *given, char *why, size_t whylen)
{
	char q[QUOTE + 1];
	int i = tunable_find(name, nn), err;
	uint64_t v;

	if (i < 0) {
		quote(q, name, nn);
		fmt_snprintf(why, whylen, "unknown tunable '%s' (see ~ tune)", q);
		return -ENOENT;
	}
	const struct tunable *e = &tunable_table[i];
	if (e->unit == TU_ENUM && e->offset == offsetof(struct mm_tunables, share_scope) && eq(value, vn, "off")) {
		/* The configuration file's "sharing = off" predates the table: no scanning, the scope unchanged. */
		t->scan_vm_pps = t->scan_total_pps = 0;
		*given |= BIT(find_lit("scan_vm_pps")) | BIT(find_lit("scan_total_pps"));
		return 0;
	}
	err = tunable_parse(e, value, vn, &v, why, whylen);
	if (err == -EINVAL && e->unit == TU_ENUM && e->offset == offsetof(struct mm_tunables, share_scope)) {
		quote(q, value, vn);
		fmt_snprintf(why, whylen, "'%s' is not one of off, vm, global, salted", q);
	}
	if (err)
		return err;
	tunable_put(e, t, v);
	*given |= BIT(i);
	return 0;
}

int tunable_set(struct mm_tunables *t, const char *name, size_t nn, const char *value, size_t vn, uint64_t *given,
		char *why, size_t whylen)
{
	struct mm_tunables c = *t;
	uint64_t bits = 0;
	int err = tunable_parse_into(&c, name, nn, value, vn, &bits, why, whylen);

	if (err)
		return err;
	if ((err = mm_tunables_why(&c, why, whylen)) < 0)
		return err;
	*t = c;
	*given |= bits;
	return 0;
}
