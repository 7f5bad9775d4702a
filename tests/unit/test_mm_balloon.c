/* Host tests for balloon accounting (mm/balloon.c): validation of every reported PPN, release, distrust. */
#include "mm_test.h"

struct bfix {
	struct fake_machine *fm;
	struct mm_vm *vm;
};

static struct bfix setup(void)
{
	struct bfix b;
	b.fm = mk_machine(256, 256, NULL);
	b.vm = mk_vm(b.fm, "g", 100, 10, 1000);
	for (unsigned i = 0; i < 20; i++)
		assert_int_equal(fm_write_pattern(b.fm, b.vm, PPN(i), i + 1), 0);
	return b;
}

static void lock_frees_machine_pages(void **state)
{
	struct bfix b = setup();
	ppn_t batch[] = { PPN(1), PPN(2), PPN(50) }; /* two backed, one never touched */
	uint32_t free_before = mm_free_pages(&b.fm->mm);

	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, batch, 3, NULL), -EPROTO); /* no driver yet */
	mm_balloon_connect(&b.fm->mm, b.vm);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, batch, 3, NULL), 0);
	assert_int_equal(mm_balloon_size(b.vm), 3);
	assert_int_equal(mm_free_pages(&b.fm->mm), free_before + 2);
	assert_false(fm_mapped(b.fm, b.vm, PPN(1), NULL));
	assert_int_equal(mm_vm_alloc(b.vm), 18);
	/* Release: back to the guest, backed (zeroed) lazily on the next touch. */
	assert_int_equal(mm_balloon_unlock(&b.fm->mm, b.vm, batch, 2, NULL), 0);
	assert_int_equal(mm_balloon_size(b.vm), 1);
	assert_int_equal(st(b.vm, 1), PS_UNBACKED);
	uint64_t seed = 99;
	assert_int_equal(fm_read_seed(b.fm, b.vm, PPN(1), &seed), 0);
	assert_int_equal(seed, 0);
	done_machine(b.fm);
}

static void bad_ppns_change_nothing(void **state)
{
	struct bfix b = setup();
	unsigned bad = 99;
	mm_balloon_connect(&b.fm->mm, b.vm);
	assert_int_equal(mm_reserve_ppn(&b.fm->mm, b.vm, PPN(60)), 0);
	ppn_t out_of_range[] = { PPN(3), PPN(100) };
	ppn_t reserved[] = { PPN(3), PPN(4), PPN(60) };
	ppn_t dup[] = { PPN(3), PPN(5), PPN(3) };
	ppn_t ok[] = { PPN(7) };
	ppn_t twice[] = { PPN(7) };
	ppn_t never[] = { PPN(8) };

	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, out_of_range, 2, &bad), -EFAULT);
	assert_int_equal(bad, 1);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, reserved, 3, &bad), -EPERM);
	assert_int_equal(bad, 2);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, dup, 3, &bad), -EEXIST);
	assert_int_equal(bad, 2);
	assert_int_equal(mm_balloon_size(b.vm), 0);
	assert_int_equal(st(b.vm, 3), PS_PRIVATE); /* the valid page before the bad one was not taken */
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, ok, 1, &bad), 0);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, twice, 1, &bad), -EEXIST); /* double balloon */
	assert_int_equal(mm_balloon_unlock(&b.fm->mm, b.vm, never, 1, &bad), -ENOENT); /* never ballooned */
	ppn_t mixed[] = { PPN(7), PPN(8) };
	assert_int_equal(mm_balloon_unlock(&b.fm->mm, b.vm, mixed, 2, &bad), -ENOENT);
	assert_int_equal(bad, 1);
	assert_int_equal(st(b.vm, 7), PS_BALLOONED); /* all or nothing */
	ppn_t oor[] = { PPN(1000) };
	assert_int_equal(mm_balloon_unlock(&b.fm->mm, b.vm, oor, 1, &bad), -EFAULT);
	ppn_t big[MM_BALLOON_BATCH + 1];
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, big, MM_BALLOON_BATCH + 1, &bad), -E2BIG);
	assert_int_equal(b.vm->balloon.nrefused, 7);
	done_machine(b.fm);
}

static void cap_at_65_percent(void **state)
{
	struct bfix b = setup();
	ppn_t batch[66];
	mm_balloon_connect(&b.fm->mm, b.vm);
	for (unsigned i = 0; i < 66; i++)
		batch[i] = PPN(i);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, batch, 66, NULL), -ENOSPC);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, batch, 65, NULL), 0);
	/* The target never asks for more than the cap either. */
	b.vm->target = 0;
	balloon_set_target(&b.fm->mm, b.vm);
	assert_int_equal(mm_balloon_target(&b.fm->mm, b.vm), 65);
	done_machine(b.fm);
}

static void touching_ballooned_pages_distrusts(void **state)
{
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.balloon_touch_limit = 3;
	struct fake_machine *fm = mk_machine(256, 256, &t);
	struct mm_vm *vm = mk_vm(fm, "g", 100, 10, 1000);
	ppn_t batch[5] = { PPN(0), PPN(1), PPN(2), PPN(3), PPN(4) };

	mm_balloon_connect(&fm->mm, vm);
	assert_int_equal(mm_balloon_lock(&fm->mm, vm, batch, 5, NULL), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(fm_write_pattern(fm, vm, PPN(i), 5), 0); /* backed again, counted */
	assert_int_equal(mm_balloon_size(vm), 1);
	assert_int_equal(vm->stat.balloon_touches, 4);
	assert_true(vm->balloon.distrusted);
	assert_false(balloon_usable(vm));
	mm_balloon_connect(&fm->mm, vm); /* a reloaded driver is trusted again */
	assert_true(balloon_usable(vm));
	done_machine(fm);
}

static void lagging_balloon_distrusted(void **state)
{
	struct fake_machine *fm = mk_machine(256, 256, NULL);
	struct mm_vm *lazy = mk_vm(fm, "lazy", 100, 10, 1000), *good = mk_vm(fm, "good", 100, 10, 1000);
	struct mm_vm *none = mk_vm(fm, "none", 20, 10, 1000);

	mm_balloon_connect(&fm->mm, lazy);
	mm_balloon_connect(&fm->mm, good);
	lazy->balloon.target = good->balloon.target = none->balloon.target = 10;
	for (uint64_t t = 1000, p = 0; t <= 40000; t += 1000) {
		if (p < 10) { /* good follows one page a second */
			ppn_t one = PPN(p++);
			assert_int_equal(mm_balloon_lock(&fm->mm, good, &one, 1, NULL), 0);
		}
		fm->mm.now_ms = t;
		balloon_check(&fm->mm, lazy);
		balloon_check(&fm->mm, good);
		balloon_check(&fm->mm, none);
	}
	assert_true(lazy->balloon.distrusted);
	assert_true(none->balloon.distrusted);
	assert_false(good->balloon.distrusted);
	done_machine(fm);
}

static void swapped_page_ballooned_frees_slot(void **state)
{
	struct bfix b = setup();
	mm_balloon_connect(&b.fm->mm, b.vm);
	assert_int_equal(mm_swap_out(&b.fm->mm, b.vm, PPN(4)), 0);
	assert_int_equal(b.fm->mm.swap.used, 1);
	ppn_t one = PPN(4);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, &one, 1, NULL), 0);
	assert_int_equal(b.fm->mm.swap.used, 0);
	done_machine(b.fm);
}

static void free_page_reporting(void **state)
{
	struct bfix b = setup();
	ppn_t batch[] = { PPN(1), PPN(2), PPN(90) };
	ppn_t bad_batch[] = { PPN(3), PPN(100) };
	unsigned bad;
	uint32_t free_before = mm_free_pages(&b.fm->mm);
	uint64_t seed = 1;

	assert_int_equal(mm_balloon_report_free(&b.fm->mm, b.vm, batch, 3, &bad), -EPROTO);
	mm_balloon_connect(&b.fm->mm, b.vm);
	assert_int_equal(mm_balloon_report_free(&b.fm->mm, b.vm, bad_batch, 2, &bad), -EFAULT);
	assert_int_equal(bad, 1);
	assert_int_equal(st(b.vm, 3), PS_PRIVATE);
	assert_int_equal(mm_balloon_report_free(&b.fm->mm, b.vm, batch, 3, &bad), 0);
	assert_int_equal(mm_free_pages(&b.fm->mm), free_before + 2);
	assert_int_equal(mm_balloon_size(b.vm), 0); /* not ballooned: still the guest's */
	assert_int_equal(st(b.vm, 1), PS_UNBACKED);
	assert_int_equal(fm_read_seed(b.fm, b.vm, PPN(1), &seed), 0);
	assert_int_equal(seed, 0);
	assert_int_equal(b.vm->stat.balloon_touches, 0);
	done_machine(b.fm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lock_frees_machine_pages),
		cmocka_unit_test(bad_ppns_change_nothing),
		cmocka_unit_test(cap_at_65_percent),
		cmocka_unit_test(touching_ballooned_pages_distrusts),
		cmocka_unit_test(lagging_balloon_distrusted),
		cmocka_unit_test(swapped_page_ballooned_frees_slot),
		cmocka_unit_test(free_page_reporting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
