/* Host tests for content-based sharing (mm/share.c, scan.c and the copy-on-write path of fault.c). */
#include "mm_test.h"

static void identical_pages_share_via_hint(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 16, 0, 1), *b = mk_vm(fm, "b", 16, 0, 1);
	bool w;

	assert_int_equal(fm_write_pattern(fm, a, PPN(3), 42), 0);
	assert_int_equal(fm_write_pattern(fm, b, PPN(7), 42), 0);
	assert_int_equal(mm_share_page(&fm->mm, a, PPN(3)), SHARE_HINTED);
	/* A hint does not write-protect: the page stays mapped writable. */
	assert_true(fm_mapped(fm, a, PPN(3), &w) && w);
	assert_int_equal(mm_share_page(&fm->mm, a, PPN(3)), SHARE_HINTED); /* unchanged: same hint */
	assert_int_equal(fm->mm.share.nhints, 1);
	uint32_t free_before = mm_free_pages(&fm->mm);
	assert_int_equal(mm_share_page(&fm->mm, b, PPN(7)), SHARE_SHARED);
	assert_int_equal(mm_free_pages(&fm->mm), free_before + 1);
	assert_int_equal(st(a, 3), PS_SHARED);
	assert_int_equal(st(b, 7), PS_SHARED);
	assert_true(fm_mapped(fm, a, PPN(3), &w) && !w);
	assert_true(fm_mapped(fm, b, PPN(7), &w) && !w);
	assert_int_equal(pte_obj(pmap_get(&a->pmap, PPN(3))), pte_obj(pmap_get(&b->pmap, PPN(7))));
	assert_int_equal(fm->mm.share.nhints, 0);
	assert_int_equal(fm->mm.share.nshared, 1);
	/* A third copy joins the shared frame directly after a full compare. */
	assert_int_equal(fm_write_pattern(fm, b, PPN(8), 42), 0);
	assert_int_equal(mm_share_page(&fm->mm, b, PPN(8)), SHARE_SHARED);
	uint32_t f = mpool_page(&fm->mm.pool, pte_obj(pmap_get(&a->pmap, PPN(3))))->link;
	assert_int_equal(share_count(&fm->mm.share, f), 3);
	uint64_t seed;
	assert_int_equal(fm_read_seed(fm, b, PPN(8), &seed), 0);
	assert_int_equal(seed, 42);
	done_machine(fm);
}

static void stale_hint_is_dropped(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 16, 0, 1);

	assert_int_equal(fm_write_pattern(fm, a, PPN(1), 5), 0);
	assert_int_equal(mm_share_page(&fm->mm, a, PPN(1)), SHARE_HINTED);
	assert_int_equal(fm_write_pattern(fm, a, PPN(1), 6), 0); /* changes under the hint, no fault */
	assert_int_equal(fm_write_pattern(fm, a, PPN(2), 5), 0);
	assert_int_equal(mm_share_page(&fm->mm, a, PPN(2)), SHARE_HINTED);
	assert_int_equal(fm->mm.stat.stale_hints, 1);
	assert_int_equal(st(a, 1), PS_PRIVATE);
	assert_int_equal(pte_hint(pmap_get(&a->pmap, PPN(1))), 0);
	/* Rescanning the changed page replaces nothing stale: it gets a hint under its new hash. */
	assert_int_equal(mm_share_page(&fm->mm, a, PPN(1)), SHARE_HINTED);
	assert_int_equal(fm->mm.share.nhints, 2);
	done_machine(fm);
}

static void copy_on_write(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 16, 0, 1), *b = mk_vm(fm, "b", 16, 0, 1);
	uint64_t seed;

	assert_int_equal(fm_write_pattern(fm, a, PPN(0), 9), 0);
	assert_int_equal(fm_write_pattern(fm, b, PPN(0), 9), 0);
	mm_share_page(&fm->mm, a, PPN(0));
	assert_int_equal(mm_share_page(&fm->mm, b, PPN(0)), SHARE_SHARED);
	assert_int_equal(fm_write_pattern(fm, a, PPN(0), 10), 0); /* write fault: private copy */
	assert_int_equal(a->stat.cow_breaks, 1);
	assert_int_equal(st(a, 0), PS_PRIVATE);
	assert_int_equal(fm_read_seed(fm, b, PPN(0), &seed), 0);
	assert_int_equal(seed, 9);
	assert_int_equal(fm_read_seed(fm, a, PPN(0), &seed), 0);
	assert_int_equal(seed, 10);
	/* b is the last user: its write takes the page back without a copy. */
	uint32_t free_before = mm_free_pages(&fm->mm);
	assert_int_equal(fm_write_pattern(fm, b, PPN(0), 11), 0);
	assert_int_equal(b->stat.cow_reuse, 1);
	assert_int_equal(mm_free_pages(&fm->mm), free_before);
	assert_int_equal(fm->mm.share.nshared, 0);
	done_machine(fm);
}

static void zero_pages_fast_path(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 16, 0, 1), *b = mk_vm(fm, "b", 16, 0, 1);

	for (unsigned i = 0; i < 10; i++) {
		struct mm_vm *v = i % 2 ? a : b;
		assert_int_equal(fm_write_pattern(fm, v, PPN(i), 0), 0);
		assert_int_equal(mm_share_page(&fm->mm, v, PPN(i)), SHARE_ZERO);
	}
	assert_int_equal(fm->mm.pool.count[MP_SHARED], 1);
	assert_int_equal(fm->mm.pool.count[MP_VM], 0);
	assert_int_equal(fm->mm.share.nhints, 0);
	assert_int_equal(fm->mm.stat.zero_shared, 10);
	assert_int_equal(fm_write_pattern(fm, a, PPN(1), 3), 0);
	assert_int_equal(fm->mm.pool.count[MP_VM], 1);
	done_machine(fm);
}

static void refcount_overflow(void **state)
{
	enum { N = 70000 };
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.overhead_dev_pages = 0;
	struct fake_machine *fm = mk_machine(600, N, &t);
	struct mm_vm *a = mk_vm(fm, "a", N, 0, 1);
	int err;

	for (unsigned i = 0; i < N; i++) {
		assert_non_null(fm_access(fm, a, PPN(i), false, &err));
		assert_int_equal(mm_share_page(&fm->mm, a, PPN(i)), SHARE_ZERO);
	}
	uint32_t f = mpool_page(&fm->mm.pool, pte_obj(pmap_get(&a->pmap, PPN(0))))->link;
	assert_int_equal(share_count(&fm->mm.share, f), N);
	assert_int_equal((uint16_t)fm->mm.share.frame[f].key, SF_COUNT_OVF);
	assert_int_equal(mm_audit(&fm->mm), 0);
	/* Ballooning 5000 of them drops the count back under 0xffff: the overflow slot is given back. */
	mm_balloon_connect(&fm->mm, a);
	for (unsigned i = 0; i < 5000; i += 500) {
		ppn_t batch[500];
		for (unsigned j = 0; j < 500; j++)
			batch[j] = PPN(i + j);
		assert_int_equal(mm_balloon_lock(&fm->mm, a, batch, 500, NULL), 0);
	}
	assert_int_equal(fm_write_pattern(fm, a, PPN(6000), 1), 0); /* and copy-on-write still works */
	f = mpool_page(&fm->mm.pool, pte_obj(pmap_get(&a->pmap, PPN(7000))))->link;
	assert_int_equal(share_count(&fm->mm.share, f), N - 5001);
	assert_int_equal(fm->mm.share.ovf[0].frame, 0);
	done_machine(fm);
}

static void scope_policies(void **state)
{
	static const unsigned scopes[] = { SHARE_GLOBAL, SHARE_PER_VM, SHARE_SALTED };
	for (unsigned s = 0; s < 3; s++) {
		struct mm_tunables t;
		mm_tunables_default(&t);
		t.share_scope = scopes[s];
		struct fake_machine *fm = mk_machine(64, 64, &t);
		struct mm_vm_config c = { .name = "a", .max_pages = 16, .shares = 1, .salt = 7 };
		struct mm_vm *a, *b, *c2;
		assert_int_equal(fm_vm_create(fm, &c, &a), 0);
		c.name = "b";
		assert_int_equal(fm_vm_create(fm, &c, &b), 0); /* same salt as a */
		c.name = "c", c.salt = 8;
		assert_int_equal(fm_vm_create(fm, &c, &c2), 0);
		for (unsigned p = 0; p < 3; p++) {
			assert_int_equal(fm_write_pattern(fm, a, PPN(p), 77), 0);
			assert_int_equal(fm_write_pattern(fm, b, PPN(p), 77), 0);
			assert_int_equal(fm_write_pattern(fm, c2, PPN(p), 77), 0);
			assert_int_equal(fm_write_pattern(fm, a, PPN(10 + p), 0), 0);
			assert_int_equal(fm_write_pattern(fm, c2, PPN(10 + p), 0), 0);
		}
		for (unsigned p = 0; p < 3; p++) {
			mm_share_page(&fm->mm, a, PPN(p));
			mm_share_page(&fm->mm, b, PPN(p));
			mm_share_page(&fm->mm, c2, PPN(p));
			mm_share_page(&fm->mm, a, PPN(10 + p));
			mm_share_page(&fm->mm, c2, PPN(10 + p));
		}
		uint32_t oa = pte_obj(pmap_get(&a->pmap, PPN(0))), ob = pte_obj(pmap_get(&b->pmap, PPN(1)));
		uint32_t oc = pte_obj(pmap_get(&c2->pmap, PPN(2)));
		/* Within one VM pages always share; across VMs only as the scope allows. */
		assert_int_equal(st(a, 1), PS_SHARED);
		assert_int_equal(pte_obj(pmap_get(&a->pmap, PPN(1))), oa);
		if (scopes[s] == SHARE_GLOBAL) {
			assert_true(oa == ob && ob == oc);
			assert_int_equal(fm->mm.pool.count[MP_SHARED], 2); /* the 77 page and the zero page */
		} else if (scopes[s] == SHARE_PER_VM) {
			assert_true(oa != ob && ob != oc && oa != oc);
			assert_int_equal(fm->mm.pool.count[MP_SHARED], 5);
		} else {
			assert_true(oa == ob && oa != oc);
			assert_int_equal(fm->mm.pool.count[MP_SHARED], 4);
		}
		done_machine(fm);
	}
}

static void scanner_rate_caps(void **state)
{
	struct fake_machine *fm = mk_machine(4096, 4096, NULL);
	struct mm_vm *v[8];
	char name[8];

	for (unsigned i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "v%u", i);
		v[i] = mk_vm(fm, name, 256, 0, 1);
	}
	mm_scan_step(&fm->mm, 1000); /* one second: 200 pages in total, at most 50 per VM */
	assert_int_equal(fm->mm.stat.scanned, 200);
	for (unsigned i = 0; i < 8; i++)
		assert_true(v[i]->stat.scanned <= 50 && v[i]->stat.scanned >= 20);
	for (unsigned i = 2; i < 8; i++)
		fm_vm_destroy(fm, v[i]);
	fm->mm.stat.scanned = 0;
	mm_scan_step(&fm->mm, 1000); /* two VMs: the per-VM cap binds */
	assert_int_equal(fm->mm.stat.scanned, 100);
	fm->mm.stat.scanned = 0;
	mm_scan_step(&fm->mm, 10); /* short ticks accumulate credit */
	mm_scan_step(&fm->mm, 10);
	assert_int_equal(fm->mm.stat.scanned, 2);
	done_machine(fm);
}

static void table_full_leaves_pages_private(void **state)
{
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.share_frames_pm = 1; /* 64 pages -> 2 usable frames */
	struct fake_machine *fm = mk_machine(64, 64, &t);
	struct mm_vm *a = mk_vm(fm, "a", 48, 0, 1);
	unsigned full = 0;

	for (unsigned i = 0; i < 40; i++) { /* two chains, one frame: a new hint lands in the old one's chain half the time */
		assert_int_equal(fm_write_pattern(fm, a, PPN(i), 100 + i), 0);
		full += mm_share_page(&fm->mm, a, PPN(i)) == SHARE_FULL;
		assert_true(fm->mm.share.nhints <= 1);
	}
	/* A full table either replaces a hint in the same chain or leaves the page private. */
	assert_int_equal(full + fm->mm.stat.hint_evictions, 39);
	assert_true(fm->mm.stat.hint_evictions > 0);
	done_machine(fm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identical_pages_share_via_hint),
		cmocka_unit_test(stale_hint_is_dropped),
		cmocka_unit_test(copy_on_write),
		cmocka_unit_test(zero_pages_fast_path),
		cmocka_unit_test(refcount_overflow),
		cmocka_unit_test(scope_policies),
		cmocka_unit_test(scanner_rate_caps),
		cmocka_unit_test(table_full_leaves_pages_private),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
