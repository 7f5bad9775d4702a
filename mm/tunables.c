/*
 * Defaults and validation of struct mm_tunables (see tunables.h for the meaning of each field).
 */
#include <stddef.h>
#include <ballast/compiler.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include "mm/tunable_table.h"
#include "mm/tunables.h"

void mm_tunables_default(struct mm_tunables *t)
{
	*t = (struct mm_tunables){
		.sample_pages = 100,
		.sample_period_ms = 30000,
		.ewma_slow_q16 = 65536 / 8,
		.ewma_fast_q16 = 65536 / 2,
		.tax_pm = 750,
		.target_period_ms = 15000,
		.free_goal_pm = 70,
		.free_high_pm = 60,
		.free_soft_pm = 40,
		.free_hard_pm = 20,
		.free_low_pm = 10,
		.scan_vm_pps = 50,
		.scan_total_pps = 200,
		.share_scope = SHARE_GLOBAL,
		.share_frames_pm = 500,
		.balloon_max_pm = 650,
		.balloon_grace_ms = 30000,
		.balloon_touch_limit = 64,
		.inflate_reserve_pages = 2048, /* 8 MiB: a few 64-page inflate batches per VM, and waiting VMs' grants */
		.inflate_credit_pages = 128,   /* two of the driver's inflate batches (64 pages) in flight */
		.swap_out_pps = 2560,
		.overhead_dev_pages = 8,
		.seed = 0x62616c6c617374ULL, /* "ballast" */
	};
}

/* In mm_tunables_why(): one reason into why (if there is room for one), and -EINVAL. */
#define REFUSE(...)                                             \
	do {                                                    \
		if (whylen)                                     \
			fmt_snprintf(why, whylen, __VA_ARGS__); \
		return -EINVAL;                                 \
	} while (0)

/* A per-mille value as a fraction, for reasons. */
struct pm_text {
	char s[TUNABLE_VALUE_MAX];
};
static struct pm_text pm(uint32_t v)
{
	struct pm_text t;

	tunable_format_fraction(v, 1000, 3, t.s, sizeof(t.s));
	return t;
}

/* The rules between fields; each field's own range is also the table's (mm/tunable_table.c).  The names in the
 * reasons are the table's. */
int mm_tunables_why(const struct mm_tunables *t, char *why, size_t whylen)
{
	static const struct { uint16_t off; const char *name; } free_pm[] = {
		{ offsetof(struct mm_tunables, free_high_pm), "free_high" },
		{ offsetof(struct mm_tunables, free_soft_pm), "free_soft" },
		{ offsetof(struct mm_tunables, free_hard_pm), "free_hard" },
		{ offsetof(struct mm_tunables, free_low_pm), "free_low" },
	};

	if (t->sample_pages == 0)
		REFUSE("sample_pages must be at least 1");
	if (t->sample_period_ms == 0 || t->target_period_ms == 0)
		REFUSE("%s must be longer than 0", t->sample_period_ms ? "target_period" : "sample_period");
	if (t->ewma_slow_q16 == 0 || t->ewma_slow_q16 > 65536 || t->ewma_fast_q16 == 0 || t->ewma_fast_q16 > 65536)
		REFUSE("%s must be above 0 and at most 1",
		       t->ewma_slow_q16 == 0 || t->ewma_slow_q16 > 65536 ? "ewma_slow" : "ewma_fast");
	if (t->tax_pm > 990) /* k = 1/(1-tau) must stay finite and small enough for 64-bit arithmetic */
		REFUSE("tax (%s) must be at most 0.99", pm(t->tax_pm).s);
	for (unsigned i = 0; i + 1 < ARRAY_SIZE(free_pm); i++) { /* free-memory thresholds strictly decreasing */
		uint32_t above = *(const uint32_t *)((const char *)t + free_pm[i].off);
		uint32_t below = *(const uint32_t *)((const char *)t + free_pm[i + 1].off);
		if (below >= above)
			REFUSE("%s (%s) must be below %s (%s)", free_pm[i + 1].name, pm(below).s, free_pm[i].name,
			       pm(above).s);
	}
	if (t->free_goal_pm < t->free_high_pm)
		REFUSE("free_goal (%s) must be at least free_high (%s)", pm(t->free_goal_pm).s, pm(t->free_high_pm).s);
	if (t->free_goal_pm >= 1000)
		REFUSE("free_goal (%s) must be below 1", pm(t->free_goal_pm).s);
	if (t->share_scope > SHARE_SALTED)
		REFUSE("sharing (%u) is not global, vm or salted", t->share_scope);
	if (t->share_frames_pm == 0)
		REFUSE("share_frames must be above 0");
	if (t->balloon_max_pm > 1000)
		REFUSE("balloon_max (%s) must be at most 1", pm(t->balloon_max_pm).s);
	return 0;
}

int mm_tunables_check(const struct mm_tunables *t)
{
	return mm_tunables_why(t, NULL, 0);
}

uint64_t mm_tax_k_q16(const struct mm_tunables *t)
{
	return (1000ULL << 16) / (1000 - t->tax_pm);
}
