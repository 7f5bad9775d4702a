/*
 * Defaults and validation of struct mm_tunables (see tunables.h for the meaning of each field).
 */
#include <ballast/errno.h>
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
		.swap_out_pps = 2560,
		.overhead_dev_pages = 8,
		.seed = 0x62616c6c617374ULL, /* "ballast" */
	};
}

int mm_tunables_check(const struct mm_tunables *t)
{
	if (t->sample_pages == 0 || t->sample_period_ms == 0 || t->target_period_ms == 0)
		return -EINVAL;
	if (t->ewma_slow_q16 == 0 || t->ewma_slow_q16 > 65536 || t->ewma_fast_q16 == 0 || t->ewma_fast_q16 > 65536)
		return -EINVAL;
	if (t->tax_pm > 990) /* k = 1/(1-tau) must stay finite and small enough for 64-bit arithmetic */
		return -EINVAL;
	if (!(t->free_high_pm > t->free_soft_pm && t->free_soft_pm > t->free_hard_pm && t->free_hard_pm > t->free_low_pm))
		return -EINVAL;
	if (t->free_goal_pm < t->free_high_pm || t->free_goal_pm >= 1000)
		return -EINVAL;
	if (t->share_scope > SHARE_SALTED || t->share_frames_pm == 0 || t->balloon_max_pm > 1000)
		return -EINVAL;
	return 0;
}

uint64_t mm_tax_k_q16(const struct mm_tunables *t)
{
	return (1000ULL << 16) / (1000 - t->tax_pm);
}
