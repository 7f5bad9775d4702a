/* Host tests for the allocation policy (mm/policy.c): idle-tax cost, min-funding victim choice, targets agreeing
 * with page-by-page revocation, admission control and bad parameters. */
#include "mm_test.h"

#define Q16 65536u

static uint64_t k_of(uint32_t tax_pm)
{
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.tax_pm = tax_pm;
	return mm_tax_k_q16(&t);
}

static void cost_and_k(void **state)
{
	assert_int_equal(k_of(750), 4 * Q16);
	assert_int_equal(k_of(0), Q16);
	assert_int_equal(policy_cost_q16(4 * Q16, Q16), Q16);	  /* all active: 1 */
	assert_int_equal(policy_cost_q16(4 * Q16, 0), 4 * Q16);	  /* all idle: k */
	assert_int_equal(policy_cost_q16(4 * Q16, Q16 / 2), 163840); /* 0.5 + 4 * 0.5 = 2.5 */
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.tax_pm = 1000;
	assert_int_equal(mm_tunables_check(&t), -EINVAL);
	mm_tunables_default(&t);
	t.free_soft_pm = t.free_high_pm;
	assert_int_equal(mm_tunables_check(&t), -EINVAL);
}

static void victim_is_lowest_adjusted_ratio(void **state)
{
	struct policy_vm v[3] = {
		{ .min = 0, .max = 2000, .shares = 1000, .alloc = 1000, .active_q16 = Q16 },
		{ .min = 0, .max = 2000, .shares = 1000, .alloc = 1000, .active_q16 = 0 },
		{ .min = 1000, .max = 2000, .shares = 1, .alloc = 1000, .active_q16 = 0 }, /* at min: never a victim */
	};
	assert_int_equal(policy_pick_victim(k_of(750), v, 3), 1); /* idle pays the tax */
	assert_int_equal(policy_pick_victim(k_of(0), v, 3), 0);	  /* tau = 0: a tie, first wins */
	v[0].shares = 500; /* fewer shares per page: victim even though active */
	assert_int_equal(policy_pick_victim(k_of(0), v, 3), 0);
	v[0].alloc = v[1].alloc = 0;
	assert_int_equal(policy_pick_victim(k_of(750), v, 3), -1);
}

static void idle_tax_two_vms(void **state)
{
	struct policy_vm v[2] = {
		{ .min = 100, .max = 2000, .shares = 1000, .alloc = 1000, .active_q16 = Q16 },
		{ .min = 100, .max = 2000, .shares = 1000, .alloc = 1000, .active_q16 = 0 },
	};
	assert_int_equal(policy_targets(k_of(0), v, 2, 1500), 0);
	assert_true(v[0].target >= 749 && v[0].target <= 751); /* pure proportional share: 250 each */
	assert_true(v[1].target >= 749 && v[1].target <= 751);
	assert_int_equal(policy_targets(k_of(750), v, 2, 1500), 0);
	assert_true(v[1].target >= 499 && v[1].target <= 501); /* the idle VM gives all 500 */
	assert_true(v[0].target >= 1000);		       /* the active one may even grow */
	/* Nothing to reclaim: everyone may go to max. */
	policy_targets(k_of(750), v, 2, 2000);
	assert_int_equal(v[0].target, 2000);
	assert_int_equal(v[1].target, 2000);
	/* Demand beyond the allocation (a ballooned active VM) is served by the same rule: the 500 pages it wants
	 * beyond the budget come out of the idle VM. */
	v[0].demand = 1800;
	policy_targets(k_of(750), v, 2, 2300);
	assert_true(v[0].target >= 1998 && v[0].target <= 2000);
	assert_true(v[1].target >= 499 && v[1].target <= 501);
	v[0].demand = 0;
	/* More than can be had: everyone at min, the shortfall reported. */
	assert_int_equal(policy_targets(k_of(750), v, 2, 100), 100);
	assert_int_equal(v[0].target, 100);
	assert_int_equal(v[1].target, 100);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void targets_match_page_by_page_revocation(void **state)
{
	uint64_t s = 88172645463325252ULL;
	for (unsigned round = 0; round < 200; round++) {
		unsigned n = 1 + rnd(&s) % 12;
		struct policy_vm v[12], it[12];
		uint64_t total = 0, reclaim;
		uint64_t k = k_of(rnd(&s) % 2 ? 750 : (uint32_t)(rnd(&s) % 900));
		for (unsigned i = 0; i < n; i++) {
			v[i].max = 500 + rnd(&s) % 4000;
			v[i].min = rnd(&s) % (v[i].max / 2 + 1);
			v[i].alloc = rnd(&s) % (v[i].max + 1);
			v[i].shares = 1 + rnd(&s) % 5000;
			v[i].active_q16 = rnd(&s) % (Q16 + 1);
			total += v[i].alloc;
		}
		reclaim = rnd(&s) % (total / 2 + 1);
		memcpy(it, v, sizeof(v));
		for (unsigned i = 0; i < n; i++)
			v[i].demand = v[i].alloc;
		policy_targets(k, v, n, total - reclaim);
		/* The definition: take one page at a time from the lowest rho (f held fixed). */
		for (uint64_t r = 0; r < reclaim; r++) {
			int i = policy_pick_victim(k, it, n);
			if (i < 0)
				break;
			it[i].alloc--;
		}
		for (unsigned i = 0; i < n; i++) {
			uint64_t kept = MIN(v[i].alloc, v[i].target);
			uint64_t diff = kept > it[i].alloc ? kept - it[i].alloc : it[i].alloc - kept;
			assert_true(v[i].target >= v[i].min && v[i].target <= v[i].max);
			if (diff > 2 + n)
				fail_msg("round %u vm %u: formula keeps %lu, revocation %lu", round, i,
					 (unsigned long)kept, (unsigned long)it[i].alloc);
		}
	}
}

static void thousand_vms(void **state)
{
	static struct policy_vm v[1024];
	for (unsigned i = 0; i < 1024; i++)
		v[i] = (struct policy_vm){ .min = 10, .max = 1000, .shares = 1 + i, .alloc = 500, .active_q16 = Q16 / 2 };
	assert_int_equal(policy_targets(k_of(750), v, 1024, 1024 * 500 - 100000), 0);
	assert_true(v[0].target < v[1023].target); /* more shares, more memory */
}

static void admission_and_bad_parameters(void **state)
{
	struct fake_machine *fm = mk_machine(1000, 1000, NULL);
	struct mm_vm_config c = { .name = "a", .max_pages = 400, .min_pages = 300, .shares = 0 };
	struct mm_vm *a, *b;

	assert_int_equal(fm_vm_create(fm, &c, &a), -EINVAL); /* shares = 0 */
	c.shares = 1, c.min_pages = 500;
	assert_int_equal(fm_vm_create(fm, &c, &a), -EINVAL); /* min > max */
	c.min_pages = 300, c.name = "";
	assert_int_equal(fm_vm_create(fm, &c, &a), -EINVAL);
	c.name = "a";
	assert_int_equal(fm_vm_create(fm, &c, &a), 0);
	c.name = "b";
	assert_int_equal(fm_vm_create(fm, &c, &b), 0);
	c.name = "c";
	assert_int_equal(fm_vm_create(fm, &c, &b), 0);
	c.name = "d"; /* sum of mins above machine memory */
	assert_int_equal(fm_vm_create(fm, &c, &b), -ENOSPC);
	assert_non_null(strstr(mm_env_last_log, "vm d refused: min 1200 KB"));
	assert_non_null(strstr(mm_env_last_log, "exceeds unreserved machine memory"));
	c.min_pages = 0, c.max_pages = 800; /* fits in memory, not in swap */
	assert_int_equal(fm_vm_create(fm, &c, &b), -ENOSPC);
	assert_non_null(strstr(mm_env_last_log, "exceeds unreserved swap"));
	assert_int_equal(mm_vm_set_shares(&fm->mm, a, 0), -EINVAL);
	assert_int_equal(mm_vm_set_shares(&fm->mm, a, 5), 0);
	assert_int_equal(mm_vm_set_min(&fm->mm, a, 401), -EINVAL);
	assert_int_equal(mm_vm_set_min(&fm->mm, a, 370), -ENOSPC); /* the other two mins already hold the rest */
	assert_int_equal(mm_vm_set_min(&fm->mm, a, 100), 0);
	assert_int_equal(a->swap_reserved, 300);
	done_machine(fm);
}

static void overhead_estimate(void **state)
{
	struct mm_tunables t;
	mm_tunables_default(&t);
	/* 1 GiB guest: 512 pmap pages + 512 + 1 + 1 + 1 EPT pages + 8 device pages. */
	assert_int_equal(policy_overhead_pages(&t, 262144), 512 + 515 + 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cost_and_k),
		cmocka_unit_test(victim_is_lowest_adjusted_ratio),
		cmocka_unit_test(idle_tax_two_vms),
		cmocka_unit_test(targets_match_page_by_page_revocation),
		cmocka_unit_test(thousand_vms),
		cmocka_unit_test(admission_and_bad_parameters),
		cmocka_unit_test(overhead_estimate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
