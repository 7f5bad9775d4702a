/*
 * Min-funding revocation with the idle-memory tax, targets and admission (see policy.h for the derivation).
 */
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/page.h>
#include "mm/mm_env.h"
#include "mm/policy.h"

#define Q16 65536ULL

uint64_t policy_cost_q16(uint64_t k_q16, uint32_t active_q16)
{
	uint64_t f = active_q16 > Q16 ? Q16 : active_q16;

	/* f + k (1 - f): an idle page costs k times an active one, so idle memory is taxed at rate tau. */
	return f + ((k_q16 * (Q16 - f)) >> 16);
}

int policy_rho_cmp(uint64_t k_q16, const struct policy_vm *a, const struct policy_vm *b)
{
	/* rho_a < rho_b  <=>  S_a * P_b * c_b < S_b * P_a * c_a; at most 2^20 * 2^32 * 2^23 = 2^75, so 128 bits. */
	unsigned __int128 lhs = (unsigned __int128)a->shares * b->alloc * policy_cost_q16(k_q16, b->active_q16);
	unsigned __int128 rhs = (unsigned __int128)b->shares * a->alloc * policy_cost_q16(k_q16, a->active_q16);

	return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

int policy_pick_victim(uint64_t k_q16, const struct policy_vm *v, unsigned n)
{
	int best = -1;

	for (unsigned i = 0; i < n; i++) {
		if (v[i].alloc <= v[i].min) /* never reclaimed below min */
			continue;
		if (best < 0 || policy_rho_cmp(k_q16, &v[i], &v[best]) < 0)
			best = (int)i;
	}
	return best;
}

/* T_i(X) = clamp(X * w_i, min_i, max_i), with w_i = (S_i << 32) / c_i. */
static inline uint64_t level_target(const struct policy_vm *v, uint64_t x)
{
	unsigned __int128 t = ((unsigned __int128)x * v->weight) >> 32;

	if (t > v->max)
		return v->max;
	return t < v->min ? v->min : (uint64_t)t;
}

/* What the VMs would hold at level x: a VM below its level holds its demand. */
static uint64_t kept_at(const struct policy_vm *v, unsigned n, uint64_t x)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t t = level_target(&v[i], x);
		sum += t < v[i].demand ? t : v[i].demand;
	}
	return sum;
}

uint64_t policy_targets(uint64_t k_q16, struct policy_vm *v, unsigned n, uint64_t budget)
{
	uint64_t lo = 0, hi = 1, kept;

	for (unsigned i = 0; i < n; i++) {
		MM_ASSERT(v[i].shares >= 1 && v[i].shares <= POLICY_MAX_SHARES && v[i].min <= v[i].max);
		if (v[i].demand < v[i].alloc)
			v[i].demand = v[i].alloc;
		v[i].weight = ((uint64_t)v[i].shares << 32) / policy_cost_q16(k_q16, v[i].active_q16);
		v[i].weight += v[i].weight == 0;
	}
	/* Largest X with kept(X) <= budget.  kept() is monotone in X; hi doubles until it is past every max. */
	while (kept_at(v, n, hi) <= budget && hi < (1ULL << 62))
		hi <<= 1;
	if (kept_at(v, n, hi) <= budget) { /* everything fits: everyone may use up to max */
		for (unsigned i = 0; i < n; i++)
			v[i].target = v[i].max;
		return 0;
	}
	while (lo + 1 < hi) { /* invariant: kept(lo) <= budget < kept(hi), or kept(lo) is the floor of all mins */
		uint64_t mid = lo + (hi - lo) / 2;
		if (kept_at(v, n, mid) <= budget)
			lo = mid;
		else
			hi = mid;
	}
	for (unsigned i = 0; i < n; i++)
		v[i].target = level_target(&v[i], lo);
	kept = kept_at(v, n, lo);
	return kept > budget ? kept - budget : 0;
}

uint64_t policy_overhead_pages(const struct mm_tunables *t, uint64_t max_pages)
{
	uint64_t pmap = (max_pages * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t ept = 0, level = max_pages;

	for (int i = 0; i < 4; i++) { /* one table page per 512 entries at each of the four EPT levels */
		level = (level + 511) / 512;
		ept += level;
	}
	return pmap + ept + t->overhead_dev_pages;
}

int policy_admit(uint64_t total, uint64_t reserved, uint64_t swap_free, uint64_t min, uint64_t max, uint64_t overhead,
		 char *why, size_t whylen)
{
	uint64_t need = min + overhead, have = total > reserved ? total - reserved : 0;

	if (need > have) {
		fmt_snprintf(why, whylen,
			     "min %lu KB + overhead %lu KB exceeds unreserved machine memory %lu KB by %lu KB",
			     (unsigned long)min * 4, (unsigned long)overhead * 4, (unsigned long)have * 4,
			     (unsigned long)(need - have) * 4);
		return -ENOSPC;
	}
	if (max - min > swap_free) {
		fmt_snprintf(why, whylen, "max - min %lu KB exceeds unreserved swap %lu KB by %lu KB",
			     (unsigned long)(max - min) * 4, (unsigned long)swap_free * 4,
			     (unsigned long)(max - min - swap_free) * 4);
		return -ENOSPC;
	}
	return 0;
}
