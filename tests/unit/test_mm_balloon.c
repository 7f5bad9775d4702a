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
	fm_disk_settle(b.fm);
	assert_int_equal(st(b.vm, 4), PS_SWAPPED);
	assert_int_equal(b.fm->mm.swap.used, 1);
	ppn_t one = PPN(4);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, &one, 1, NULL), 0);
	assert_int_equal(b.fm->mm.swap.used, 0);
	/* A page whose write is still in flight: the balloon takes it at once, the write's page and slot go back to
	 * the machine when the disk is done with them (it may still be reading the page). */
	assert_int_equal(mm_swap_out(&b.fm->mm, b.vm, PPN(5)), 0);
	assert_int_equal(st(b.vm, 5), PS_PAGING_OUT);
	uint32_t free_before = mm_free_pages(&b.fm->mm);
	one = PPN(5);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, &one, 1, NULL), 0);
	assert_int_equal(st(b.vm, 5), PS_BALLOONED);
	assert_int_equal(mm_free_pages(&b.fm->mm), free_before);
	assert_int_equal(mm_audit(&b.fm->mm), 0);
	assert_int_equal(fm_disk_settle(b.fm), 1);
	assert_int_equal(mm_free_pages(&b.fm->mm), free_before + 1);
	assert_int_equal(b.fm->mm.swap.used, 0);
	assert_int_equal(mm_audit(&b.fm->mm), 0);
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

/* The hypercall forms: each entry on its own status, one invalidation for the whole batch. */
static void batches_each_entry_one_flush(void **state)
{
	struct bfix b = setup();
	int32_t status[6];
	ppn_t lock[] = { PPN(1), PPN(2), PPN(1), PPN(100), PPN(60), PPN(50) }; /* dup, out of range, reserved */
	uint32_t free_before = mm_free_pages(&b.fm->mm);

	assert_int_equal(mm_reserve_ppn(&b.fm->mm, b.vm, PPN(60)), 0);
	assert_int_equal(mm_balloon_lock_each(&b.fm->mm, b.vm, lock, 1, status), 0); /* no driver */
	assert_int_equal(status[0], -EPROTO);
	mm_balloon_connect(&b.fm->mm, b.vm);
	uint64_t flushes = b.fm->flushes;
	assert_int_equal(mm_balloon_lock_each(&b.fm->mm, b.vm, lock, 6, status), 3);
	assert_int_equal(status[0], 0);
	assert_int_equal(status[1], 0);
	assert_int_equal(status[2], -EEXIST);
	assert_int_equal(status[3], -EFAULT);
	assert_int_equal(status[4], -EPERM);
	assert_int_equal(status[5], 0);
	assert_int_equal(b.fm->flushes, flushes + 1); /* two pages unmapped, one invalidation */
	assert_int_equal(b.fm->unflushed[b.vm->id], 0);
	assert_int_equal(mm_free_pages(&b.fm->mm), free_before + 2);
	assert_int_equal(mm_balloon_size(b.vm), 3);
	ppn_t unlock[] = { PPN(1), PPN(1), PPN(3), PPN(200) };
	assert_int_equal(mm_balloon_unlock_each(&b.fm->mm, b.vm, unlock, 4, status), 1);
	assert_int_equal(status[0], 0);
	assert_int_equal(status[1], -ENOENT);
	assert_int_equal(status[2], -ENOENT);
	assert_int_equal(status[3], -EFAULT);
	assert_int_equal(mm_balloon_size(b.vm), 2);
	ppn_t big[MM_BALLOON_BATCH + 1];
	assert_int_equal(mm_balloon_lock_each(&b.fm->mm, b.vm, big, MM_BALLOON_BATCH + 1, status), -E2BIG);
	done_machine(b.fm);
}

static void report_runs(void **state)
{
	struct bfix b = setup();
	mm_balloon_connect(&b.fm->mm, b.vm);
	ppn_t one = PPN(12);
	assert_int_equal(mm_balloon_lock(&b.fm->mm, b.vm, &one, 1, NULL), 0);
	assert_int_equal(mm_reserve_ppn(&b.fm->mm, b.vm, PPN(70)), 0);
	struct mm_ppn_run runs[] = {
		{ PPN(0), 8, 1 },   /* pages 0-7, all backed */
		{ PPN(4), 8, 1 },   /* overlaps: 4-7 already released, 8-11 backed */
		{ PPN(10), 4, 1 },  /* holds ballooned page 12 */
		{ PPN(96), 8, 1 },  /* runs past the VM's 100 pages */
		{ PPN(68), 4, 1 },  /* holds reserved page 70 */
		{ PPN(30), 0, 1 },  /* empty */
		{ PPN(30), MM_REPORT_RUN_MAX + 1, 1 },
		{ PPN(40), 20, 1 }, /* never touched: nothing to release */
	};
	uint32_t free_before = mm_free_pages(&b.fm->mm);
	uint64_t flushes = b.fm->flushes;

	assert_int_equal(mm_balloon_report_runs(&b.fm->mm, b.vm, runs, 8), 12);
	int want[] = { 0, 0, -EEXIST, -EFAULT, -EPERM, -EINVAL, -EINVAL, 0 };
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(runs[i].status, want[i]);
	assert_int_equal(mm_free_pages(&b.fm->mm), free_before + 12);
	assert_int_equal(b.fm->flushes, flushes + 1);
	assert_int_equal(st(b.vm, 13), PS_PRIVATE); /* the refused run 10-13 changed nothing */
	assert_int_equal(st(b.vm, 11), PS_UNBACKED);
	assert_int_equal(b.vm->stat.reported, 12);
	uint64_t seed = 1;
	assert_int_equal(fm_read_seed(b.fm, b.vm, PPN(3), &seed), 0); /* backed again, zeroed, on the next touch */
	assert_int_equal(seed, 0);
	assert_int_equal(b.vm->stat.balloon_touches, 0);
	done_machine(b.fm);
}

/* SPEC §2.6 "No deadlock": what the reserve lends, to whom, and what repays it. */
static void inflate_reserve_and_credit(void **state)
{
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.inflate_reserve_pages = 8;
	t.inflate_credit_pages = 4;
	struct fake_machine *fm = mk_machine_as(256, 0, &t);
	struct mm_vm *a = mk_vm(fm, "a", 400, 0, 1000), *bvm = mk_vm(fm, "b", 400, 0, 1000);
	int err = 0;
	uint64_t p = 0;

	/* Ordinary faults stop at the reserve; then a borrows its credit from the reserve's upper three quarters, and
	 * waits. */
	while ((err = fm_write_pattern(fm, a, PPN(p), p + 1)) == 0)
		p++;
	assert_int_equal(err, -ENOMEM);
	assert_int_equal(mm_free_pages(&fm->mm), 4);
	assert_int_equal(a->balloon.borrowed, 4);
	assert_int_equal(a->stat.reserve_faults, 4);
	assert_int_equal(a->stat.refused_faults, 1);
	/* b's driver polls a target it must inflate toward: its window borrows from the whole reserve, the last
	 * quarter too, but no more than its credit. */
	mm_balloon_connect(&fm->mm, bvm);
	bvm->balloon.target = 50;
	assert_int_equal(mm_balloon_target(&fm->mm, bvm), 50);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(fm_write_pattern(fm, bvm, PPN(i), 7), 0);
	assert_int_equal(mm_free_pages(&fm->mm), 0);
	assert_int_equal(fm_write_pattern(fm, bvm, PPN(4), 7), -ENOMEM);
	assert_int_equal(bvm->stat.reserve_faults, 4);
	/* Polling again forgives nothing: a driver polling ten times a second while its workload spends the loan
	 * must not drain the reserve. */
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(mm_balloon_target(&fm->mm, bvm), 50);
		assert_int_equal(fm_write_pattern(fm, bvm, PPN(4), 7), -ENOMEM);
	}
	assert_int_equal(bvm->balloon.borrowed, 4);
	/* b's LOCK releases those 4 machine pages: its debt is repaid and its inflate goes on.  A LOCK of a page
	 * that was never backed releases nothing and repays nothing. */
	ppn_t got[] = { PPN(0), PPN(1), PPN(2), PPN(3) };
	assert_int_equal(mm_balloon_lock(&fm->mm, bvm, got, 4, NULL), 0);
	assert_int_equal(mm_free_pages(&fm->mm), 4);
	assert_int_equal(bvm->balloon.borrowed, 0);
	assert_int_equal(fm_write_pattern(fm, bvm, PPN(5), 7), 0);
	assert_int_equal(bvm->balloon.borrowed, 1);
	ppn_t never[] = { PPN(300) };
	assert_int_equal(mm_balloon_lock(&fm->mm, bvm, never, 1, NULL), 0);
	assert_int_equal(bvm->balloon.borrowed, 1);
	/* Blocked in the low state, a VM still borrows in its window, and nothing more. */
	bvm->blocked = true;
	for (unsigned i = 6; i < 9; i++)
		assert_int_equal(fm_write_pattern(fm, bvm, PPN(i), 7), 0);
	assert_int_equal(fm_write_pattern(fm, bvm, PPN(9), 7), -EBUSY);
	assert_int_equal(fm->unflushed[bvm->id], 0);
	/* Its LOCK of those four repays them; once the window has closed (its driver stopped inflating) it borrows
	 * only from the upper three quarters, like any VM at the reserve. */
	ppn_t more[] = { PPN(5), PPN(6), PPN(7), PPN(8) };
	bvm->blocked = false;
	assert_int_equal(mm_balloon_lock(&fm->mm, bvm, more, 4, NULL), 0);
	assert_int_equal(mm_free_pages(&fm->mm), 4);
	assert_int_equal(bvm->balloon.borrowed, 0);
	fm->mm.now_ms = 300;
	assert_int_equal(fm_write_pattern(fm, bvm, PPN(10), 7), 0);
	assert_int_equal(fm_write_pattern(fm, bvm, PPN(11), 7), 0);
	assert_int_equal(mm_free_pages(&fm->mm), 2);
	assert_int_equal(fm_write_pattern(fm, bvm, PPN(12), 7), -ENOMEM);
	/* a waits in a fault, owing all it may: once a second it is granted a few pages from the upper three
	 * quarters whatever it owes, so that a fault in a section its guest cannot leave gets through. */
	ppn_t two[] = { PPN(10), PPN(11) };
	assert_int_equal(mm_balloon_lock(&fm->mm, bvm, two, 2, NULL), 0);
	assert_int_equal(mm_free_pages(&fm->mm), 4);
	mm_balloon_connect(&fm->mm, a);
	a->balloon.target = 100;
	fm->mm.now_ms = 1500;
	assert_int_equal(fm_write_pattern(fm, a, PPN(p), 1), -ENOMEM);
	balloon_check(&fm->mm, a);
	assert_int_equal(a->balloon.wait_credit, 16);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(fm_write_pattern(fm, a, PPN(p + i), 1), 0);
	assert_int_equal(fm_write_pattern(fm, a, PPN(p + 2), 1), -ENOMEM); /* the last quarter stays for inflates */
	assert_int_equal(mm_free_pages(&fm->mm), 2);
	assert_int_equal(a->balloon.wait_credit, 14);
	fm->mm.now_ms = 2400;
	balloon_check(&fm->mm, a);
	assert_int_equal(a->balloon.wait_credit, 14); /* not renewed before a second has passed */
	fm->mm.now_ms = 2500;
	a->balloon.wait_credit = 0;
	assert_int_equal(fm_write_pattern(fm, a, PPN(p + 2), 1), -ENOMEM); /* still waiting */
	balloon_check(&fm->mm, a);
	assert_int_equal(a->balloon.wait_credit, 16);
	done_machine(fm);
}

/* A balloon whose VM waits for memory is not lagging: it cannot run. */
static void waiting_vm_balloon_not_distrusted(void **state)
{
	struct fake_machine *fm = mk_machine(256, 0, NULL);
	struct mm_vm *vm = mk_vm(fm, "w", 100, 10, 1000);

	mm_balloon_connect(&fm->mm, vm);
	vm->balloon.target = 10;
	for (uint64_t t = 1000; t <= 60000; t += 1000) {
		fm->mm.now_ms = t;
		vm->stat.refused_faults++; /* its faults keep waiting */
		vm->last_refused_ms = t - 500;
		balloon_check(&fm->mm, vm);
	}
	assert_false(vm->balloon.distrusted);
	for (uint64_t t = 61000; t <= 100000; t += 1000) { /* runs again, and still does not follow */
		fm->mm.now_ms = t;
		balloon_check(&fm->mm, vm);
	}
	assert_true(vm->balloon.distrusted);
	/* A reloaded driver whose guest keeps saying it has almost nothing available is not lagging either. */
	mm_balloon_connect(&fm->mm, vm);
	for (uint64_t t = 101000; t <= 160000; t += 1000) {
		fm->mm.now_ms = t;
		mm_guest_stats(&fm->mm, vm, 1, 1, 0);
		balloon_check(&fm->mm, vm);
	}
	assert_false(vm->balloon.distrusted);
	done_machine(fm);
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
		cmocka_unit_test(batches_each_entry_one_flush),
		cmocka_unit_test(report_runs),
		cmocka_unit_test(inflate_reserve_and_credit),
		cmocka_unit_test(waiting_vm_balloon_not_distrusted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
