/* Host tests for the machine pool, the pmap, lazy backing, hypervisor pages and the audit (mm/mpool.c, pmap.c,
 * fault.c, audit.c). */
#include "mm_test.h"

static void pool_owner_and_ranges(void **state)
{
	struct mpool p;
	struct mpn_range r[2] = { { MPN(100), 4 }, { MPN(1000), 2 } };
	struct mpn_range overlap[2] = { { MPN(100), 4 }, { MPN(102), 2 } };

	assert_int_equal(mpool_init(&p, overlap, 2), -EINVAL);
	assert_int_equal(mpool_init(&p, r, 0), -EINVAL);
	assert_int_equal(mpool_init(&p, r, 2), 0);
	assert_int_equal(mpool_free_pages(&p), 6);
	assert_int_equal(mpool_idx(&p, MPN(1001)), 5);
	assert_int_equal(mpool_idx(&p, MPN(104)), MPOOL_NONE);
	assert_int_equal(mpool_mpn(&p, 4).v, 1000);
	uint32_t got[6];
	for (int i = 0; i < 6; i++) {
		got[i] = mpool_alloc(&p, MP_VM, 3, (uint32_t)i);
		assert_int_not_equal(got[i], MPOOL_NONE);
	}
	assert_int_equal(mpool_alloc(&p, MP_HV, 0, 0), MPOOL_NONE);
	assert_int_equal(p.count[MP_VM], 6);
	mpool_retag(&p, got[2], MP_SHARED, 0, 7);
	assert_int_equal(p.count[MP_SHARED], 1);
	for (int i = 0; i < 6; i++)
		mpool_free(&p, got[i]);
	assert_int_equal(mpool_free_pages(&p), 6);
	mpool_destroy(&p);
}

static void lazy_backing_with_zeroed_pages(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 32, 0, 1000), *b = mk_vm(fm, "b", 32, 0, 1000);
	uint64_t seed = 1;
	int err;

	assert_int_equal(mm_vm_alloc(a), 0);
	assert_false(fm_mapped(fm, a, PPN(5), NULL));
	/* Dirty a machine page in b, give it back, and check a gets it zeroed. */
	assert_int_equal(fm_write_pattern(fm, b, PPN(0), 0xdead), 0);
	unsigned bad;
	mm_balloon_connect(&fm->mm, b);
	assert_int_equal(mm_balloon_lock(&fm->mm, b, &PPN(0), 1, &bad), 0);
	assert_int_equal(fm_read_seed(fm, a, PPN(5), &seed), 0);
	assert_int_equal(seed, 0);
	uint64_t *p = fm_access(fm, a, PPN(5), false, &err);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		assert_int_equal(p[i], 0);
	bool w;
	assert_true(fm_mapped(fm, a, PPN(5), &w));
	assert_true(w);
	assert_int_equal(st(a, 5), PS_PRIVATE);
	assert_int_equal(mm_vm_alloc(a), 1);
	assert_int_equal(a->stat.zero_fills, 1);
	assert_int_equal(mm_audit(&fm->mm), 0);
	done_machine(fm);
}

static void bad_ppn_and_reserved(void **state)
{
	struct fake_machine *fm = mk_machine(32, 0, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 8, 8, 1);

	assert_int_equal(mm_fault(&fm->mm, a, PPN(8), false), -EFAULT);
	assert_int_equal(mm_fault(&fm->mm, a, PPN(UINT64_MAX), true), -EFAULT);
	assert_int_equal(mm_reserve_ppn(&fm->mm, a, PPN(9)), -EFAULT);
	assert_int_equal(mm_reserve_ppn(&fm->mm, a, PPN(3)), 0);
	assert_int_equal(mm_fault(&fm->mm, a, PPN(3), false), -EPERM);
	assert_int_equal(fm_write_pattern(fm, a, PPN(4), 9), 0);
	assert_int_equal(mm_reserve_ppn(&fm->mm, a, PPN(4)), -EBUSY);
	assert_int_equal(mm_vm_alloc(a), 1);
	done_machine(fm);
}

static void out_of_machine_memory(void **state)
{
	struct fake_machine *fm = mk_machine(40, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 64, 0, 1);
	unsigned ok = 0;

	for (unsigned i = 0; i < 64; i++)
		ok += fm_write_pattern(fm, a, PPN(i), i + 1) == 0;
	assert_int_equal(ok, 40);
	assert_int_equal(mm_fault(&fm->mm, a, PPN(63), true), -ENOMEM);
	assert_int_equal(mm_free_pages(&fm->mm), 0);
	done_machine(fm);
}

static void overhead_pages_are_owned(void **state)
{
	struct fake_machine *fm = mk_machine(32, 0, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 8, 8, 1);
	mpn_t ept = mm_alloc_overhead(&fm->mm, a), hv = mm_alloc_hv(&fm->mm);

	assert_true(mpn_valid(ept) && mpn_valid(hv));
	assert_int_equal(fm->mm.pool.count[MP_HV_VM], 1);
	assert_int_equal(fm->mm.pool.count[MP_HV], 1);
	assert_int_equal(mm_audit(&fm->mm), 0);
	mm_free_overhead(&fm->mm, ept);
	mm_free_overhead(&fm->mm, hv);
	assert_int_equal(mm_free_pages(&fm->mm), 32);
	done_machine(fm);
}

static void audit_catches_corruption(void **state)
{
	struct fake_machine *fm = mk_machine(32, 8, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 8, 0, 1);

	assert_int_equal(fm_write_pattern(fm, a, PPN(1), 5), 0);
	assert_int_equal(fm_write_pattern(fm, a, PPN(2), 6), 0);
	pte_t e1 = pmap_get(&a->pmap, PPN(1)), e2 = pmap_get(&a->pmap, PPN(2));
	/* Two PPNs naming one machine page: the audit must say so. */
	a->pmap.e[2] = e1;
	assert_int_equal(mm_audit(&fm->mm), -EINVAL);
	a->pmap.e[2] = e2;
	/* A page with a wrong owner. */
	fm->mm.pool.meta[pte_obj(e1)].id = 7;
	assert_int_equal(mm_audit(&fm->mm), -EINVAL);
	fm->mm.pool.meta[pte_obj(e1)].id = a->id;
	/* A state counter off by one. */
	a->pmap.count[PS_PRIVATE]++;
	assert_int_equal(mm_audit(&fm->mm), -EINVAL);
	a->pmap.count[PS_PRIVATE]--;
	assert_int_equal(mm_audit(&fm->mm), 0);
	/* The EPT and the pmap disagree: a page in flight to swap still mapped, then a mapping to another page. */
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(1)), 0);
	fm->ept[a->id]->flags[1] = FEPT_PRESENT | FEPT_WRITE;
	assert_int_equal(mm_audit(&fm->mm), -EINVAL);
	assert_non_null(strstr(mm_env_last_log, "the EPT maps"));
	fm->ept[a->id]->flags[1] = 0;
	fm_disk_settle(fm);
	assert_int_equal(mm_audit(&fm->mm), 0);
	fm->ept[a->id]->mpn_off[2] ^= 1;
	assert_int_equal(mm_audit(&fm->mm), -EINVAL);
	fm->ept[a->id]->mpn_off[2] ^= 1;
	assert_int_equal(mm_audit(&fm->mm), 0);
	done_machine(fm);
}

static void destroy_returns_everything(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 32, 0, 1), *b = mk_vm(fm, "b", 32, 0, 1);

	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(fm_write_pattern(fm, a, PPN(i), i % 4 + 1), 0);
		assert_int_equal(fm_write_pattern(fm, b, PPN(i), i % 4 + 1), 0);
	}
	for (unsigned i = 0; i < 16; i++) {
		mm_share_page(&fm->mm, a, PPN(i));
		mm_share_page(&fm->mm, b, PPN(i));
	}
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(20)), -EINVAL);
	assert_int_equal(fm_write_pattern(fm, a, PPN(20), 777), 0);
	mm_share_page(&fm->mm, a, PPN(20)); /* leaves a hint */
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(20)), 0);
	assert_int_equal(mm_audit(&fm->mm), 0);
	fm_vm_destroy(fm, a);
	assert_int_equal(mm_audit(&fm->mm), 0);
	fm_vm_destroy(fm, b);
	assert_int_equal(fm_disk_settle(fm), 1); /* a's write was in flight: its page and slot come back now */
	assert_int_equal(mm_audit(&fm->mm), 0);
	assert_int_equal(mm_free_pages(&fm->mm), 64);
	assert_int_equal(fm->mm.share.nshared + fm->mm.share.nhints, 0);
	assert_int_equal(fm->mm.swap.used, 0);
	done_machine(fm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_owner_and_ranges),
		cmocka_unit_test(lazy_backing_with_zeroed_pages),
		cmocka_unit_test(bad_ppn_and_reserved),
		cmocka_unit_test(out_of_machine_memory),
		cmocka_unit_test(overhead_pages_are_owned),
		cmocka_unit_test(audit_catches_corruption),
		cmocka_unit_test(destroy_returns_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
