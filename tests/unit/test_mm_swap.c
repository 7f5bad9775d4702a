/* Host tests for swap slots and hypervisor swapping (mm/swap.c, swapper.c), memstat lines (mm/memstat.c). */
#include "mm_test.h"

static void slots(void **state)
{
	struct swap_area s;
	assert_int_equal(swap_init(&s, 70), 0);
	assert_int_equal(swap_reserve(&s, 60), 0);
	assert_int_equal(swap_reserve(&s, 11), -ENOSPC);
	for (unsigned i = 0; i < 70; i++)
		assert_int_not_equal(swap_slot_alloc(&s), SWAP_NONE);
	assert_int_equal(swap_slot_alloc(&s), SWAP_NONE);
	swap_slot_free(&s, 69);
	assert_int_equal(swap_slot_alloc(&s), 69);
	swap_unreserve(&s, 60);
	swap_destroy(&s);
}

static void out_and_in_keeps_contents(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 32, 16, 1);
	uint64_t seed;

	for (unsigned p = 0; p < 20; p++)
		assert_int_equal(fm_write_pattern(fm, a, PPN(p), 1000 + p), 0);
	uint32_t free_before = mm_free_pages(&fm->mm);
	for (unsigned p = 0; p < 16; p++)
		assert_int_equal(mm_swap_out(&fm->mm, a, PPN(p)), 0);
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(16)), -ENOSPC); /* max - min = 16 slots reserved */
	/* Queued, not written: the pages stay until the disk is done, and nothing was written under the lock. */
	assert_int_equal(a->pmap.count[PS_PAGING_OUT], 16);
	assert_int_equal(mm_free_pages(&fm->mm), free_before);
	assert_int_equal(fm->swap_writes, 0);
	assert_int_equal(mm_swap_inflight(&fm->mm), 16);
	assert_int_equal(mm_audit(&fm->mm), 0);
	assert_int_equal(fm_disk_settle(fm), 16);
	assert_int_equal(mm_free_pages(&fm->mm), free_before + 16);
	assert_int_equal(a->pmap.count[PS_SWAPPED], 16);
	assert_int_equal(mm_audit(&fm->mm), 0);
	assert_false(fm_mapped(fm, a, PPN(3), NULL));
	assert_int_equal(fm_read_seed(fm, a, PPN(3), &seed), 0); /* swap-in on the fault */
	assert_int_equal(seed, 1003);
	assert_int_equal(a->stat.swap_ins, 1);
	assert_int_equal(fm->mm.swap.used, 15);
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(40)), -EFAULT);
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(25)), -EINVAL); /* never backed */
	done_machine(fm);
}

static void share_before_swap(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 32, 0, 1);

	assert_int_equal(fm_write_pattern(fm, a, PPN(0), 5), 0);
	assert_int_equal(fm_write_pattern(fm, a, PPN(1), 5), 0);
	assert_int_equal(fm_write_pattern(fm, a, PPN(2), 0), 0);
	assert_int_equal(mm_share_page(&fm->mm, a, PPN(0)), SHARE_HINTED);
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(1)), 1); /* shared instead of written out */
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(2)), 1); /* the zero page too */
	assert_int_equal(fm->swap_writes, 0);
	assert_int_equal(st(a, 1), PS_SHARED);
	done_machine(fm);
}

/* A failed write keeps the page; a failed read (or a wrong page from the disk) maps nothing and stops the VM. */
static void io_errors_lose_nothing(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 32, 0, 1), *b = mk_vm(fm, "b", 32, 0, 1);
	uint64_t seed;

	assert_int_equal(fm_write_pattern(fm, a, PPN(0), 5), 0);
	fm->fail_swap_io = 1;
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(0)), 0);
	assert_int_equal(fm_disk_settle(fm), 1);
	assert_int_equal(st(a, 0), PS_PRIVATE);
	assert_int_equal(fm->mm.swap.used, 0);
	assert_int_equal(fm->mm.stat.swap_errors, 1);
	assert_int_equal(fm_read_seed(fm, a, PPN(0), &seed), 0);
	assert_int_equal(seed, 5);
	fm->fail_swap_io = 0;
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(0)), 0);
	fm_disk_settle(fm);
	assert_int_equal(st(a, 0), PS_SWAPPED);
	/* The read fails: the page stays in its slot, nothing is mapped, the VM is reported and its faults refused. */
	fm->fail_swap_io = 1;
	fm->disk_manual = true;
	assert_int_equal(mm_fault(&fm->mm, a, PPN(0), false), -EAGAIN);
	assert_int_equal(st(a, 0), PS_PAGING_IN);
	assert_int_equal(mm_fault(&fm->mm, a, PPN(0), false), -EAGAIN); /* still in flight: wait again */
	assert_int_equal(fm_disk_settle(fm), 1);
	assert_int_equal(fm->swap_failures, 1);
	assert_int_equal(fm->last_failure.vm, a->id);
	assert_int_equal(fm->last_failure.ppn.v, 0);
	assert_string_equal(fm->last_failure.why, "read error");
	assert_int_equal(st(a, 0), PS_SWAPPED);
	assert_false(fm_mapped(fm, a, PPN(0), NULL));
	assert_int_equal(mm_fault(&fm->mm, a, PPN(0), false), -EIO);
	assert_int_equal(mm_audit(&fm->mm), 0);
	/* A disk that returns another page without an error: the checksum catches it. */
	fm->fail_swap_io = 0;
	fm->corrupt_reads = true;
	assert_int_equal(fm_write_pattern(fm, b, PPN(3), 77), 0);
	assert_int_equal(mm_swap_out(&fm->mm, b, PPN(3)), 0);
	fm_disk_settle(fm);
	assert_int_equal(mm_fault(&fm->mm, b, PPN(3), true), -EAGAIN);
	fm_disk_settle(fm);
	assert_int_equal(fm->swap_failures, 2);
	assert_string_equal(fm->last_failure.why, "checksum mismatch");
	assert_int_equal(fm->last_failure.vm, b->id);
	assert_int_equal(st(b, 3), PS_SWAPPED);
	assert_int_equal(mm_audit(&fm->mm), 0);
	/* Stopping the failed VMs frees their slots. */
	fm_vm_destroy(fm, a);
	fm_vm_destroy(fm, b);
	assert_int_equal(fm->mm.swap.used, 0);
	done_machine(fm);
}

/* A guest touching a page whose write is in flight gets it back from memory at once; the write's slot is freed
 * when the write ends.  A page being read in waits; a swap-in that arrives after the page was ballooned only frees. */
static void in_flight_pages(void **state)
{
	struct fake_machine *fm = mk_machine(64, 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 32, 0, 1);
	uint64_t seed;

	fm->disk_manual = true;
	mm_balloon_connect(&fm->mm, a);
	for (unsigned p = 0; p < 4; p++)
		assert_int_equal(fm_write_pattern(fm, a, PPN(p), 40 + p), 0);
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(0)), 0);
	assert_false(fm_mapped(fm, a, PPN(0), NULL));
	assert_int_equal(fm_write_pattern(fm, a, PPN(0), 99), 0); /* taken back, written */
	assert_int_equal(st(a, 0), PS_PRIVATE);
	assert_int_equal(a->stat.swap_cancels, 1);
	assert_int_equal(fm->mm.swap.used, 1); /* the write's slot, until the write ends */
	assert_int_equal(mm_audit(&fm->mm), 0);
	assert_int_equal(fm_disk_settle(fm), 1);
	assert_int_equal(fm->mm.swap.used, 0);
	assert_int_equal(st(a, 0), PS_PRIVATE);
	assert_int_equal(fm_read_seed(fm, a, PPN(0), &seed), 0);
	assert_int_equal(seed, 99);
	/* Swap-in in flight, then the guest balloons that page: the read's page and slot go back when it ends. */
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(1)), 0);
	fm_disk_settle(fm);
	uint32_t free_before = mm_free_pages(&fm->mm);
	assert_int_equal(mm_fault(&fm->mm, a, PPN(1), false), -EAGAIN);
	assert_int_equal(mm_vm_alloc(a), 4);
	ppn_t one = PPN(1);
	assert_int_equal(mm_balloon_lock(&fm->mm, a, &one, 1, NULL), 0);
	assert_int_equal(st(a, 1), PS_BALLOONED);
	assert_int_equal(mm_audit(&fm->mm), 0);
	fm_disk_settle(fm);
	assert_int_equal(mm_free_pages(&fm->mm), free_before);
	assert_int_equal(fm->mm.swap.used, 0);
	assert_int_equal(fm->swap_failures, 0);
	/* A VM destroyed with I/O in flight: everything comes back once the disk is done. */
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(2)), 0);
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(3)), 0);
	fm_disk_complete(fm, 1);
	assert_int_equal(mm_fault(&fm->mm, a, PPN(2), false), -EAGAIN);
	fm_vm_destroy(fm, a);
	assert_int_equal(mm_audit(&fm->mm), 0);
	assert_int_equal(fm_disk_settle(fm), 2);
	assert_int_equal(mm_free_pages(&fm->mm), 64);
	assert_int_equal(fm->mm.swap.used, 0);
	assert_int_equal(mm_audit(&fm->mm), 0);
	done_machine(fm);
}

/* Swapping pauses when every I/O entry is in flight, and goes on as they complete. */
static void io_table_full(void **state)
{
	struct fake_machine *fm = mk_machine(MM_SWAP_IO_MAX + 64, MM_SWAP_IO_MAX + 64, NULL);
	struct mm_vm *a = mk_vm(fm, "a", MM_SWAP_IO_MAX + 32, 0, 1);

	fm->disk_manual = true;
	for (unsigned p = 0; p < MM_SWAP_IO_MAX + 8; p++)
		assert_int_equal(fm_write_pattern(fm, a, PPN(p), p + 1), 0);
	assert_int_equal(mm_swap_victims(&fm->mm, a, MM_SWAP_IO_MAX + 8), MM_SWAP_IO_MAX);
	assert_int_equal(mm_swap_out(&fm->mm, a, PPN(MM_SWAP_IO_MAX + 7)) == -EAGAIN ||
			 st(a, MM_SWAP_IO_MAX + 7) != PS_PRIVATE, 1);
	fm_disk_complete(fm, 8);
	assert_int_equal(mm_swap_victims(&fm->mm, a, 8), 8);
	assert_int_equal(mm_audit(&fm->mm), 0);
	fm_disk_settle(fm);
	assert_int_equal(a->pmap.count[PS_SWAPPED], MM_SWAP_IO_MAX + 8);
	done_machine(fm);
}

static void hard_state_swaps_to_target(void **state)
{
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.swap_out_pps = 100000;
	struct fake_machine *fm = mk_machine(1000, 2000, &t);
	struct mm_vm *a = mk_vm(fm, "a", 1000, 100, 1000), *b = mk_vm(fm, "b", 1000, 100, 1000);

	for (unsigned p = 0; p < 491; p++) {
		assert_int_equal(fm_write_pattern(fm, a, PPN(p), p + 1), 0);
		assert_int_equal(fm_write_pattern(fm, b, PPN(p), 5000 + p), 0);
	}
	/* 2% free: hard.  Neither balloon is connected, so swapping does the reclaiming. */
	mm_tick(&fm->mm, 1000);
	assert_int_equal(fm->mm.state, MS_HARD);
	assert_true(a->target < 491 && b->target < 491);
	for (uint64_t t = 2000; t <= 5000; t += 1000) { /* at most MM_SWAP_IO_MAX writes in flight per tick */
		mm_tick(&fm->mm, t);
		fm_disk_settle(fm);
	}
	assert_true(mm_vm_alloc(a) <= a->target + 1 && mm_vm_alloc(b) <= b->target + 1);
	assert_true(mm_free_pages(&fm->mm) >= 60);
	char line[256];
	mm_memstat_vm(&fm->mm, a, line, sizeof(line));
	assert_non_null(strstr(line, "memstat t=5000 vm=a max=3 min=0 shares=1000 alloc="));
	assert_non_null(strstr(line, " swapped="));
	assert_non_null(strstr(line, " state="));
	done_machine(fm);
}

static void distrusted_balloon_is_swapped_in_soft(void **state)
{
	struct fake_machine *fm = mk_machine(1000, 2000, NULL);
	struct mm_vm *good = mk_vm(fm, "good", 1000, 0, 1000), *stuck = mk_vm(fm, "stuck", 1000, 0, 1000);

	mm_balloon_connect(&fm->mm, good);
	mm_balloon_connect(&fm->mm, stuck); /* connects, then never inflates */
	for (unsigned p = 0; p < 485; p++) {
		assert_int_equal(fm_write_pattern(fm, good, PPN(p), p + 1), 0);
		assert_int_equal(fm_write_pattern(fm, stuck, PPN(p), 5000 + p), 0);
	}
	mm_tick(&fm->mm, 1000); /* 3% free: soft, both above target, ballooning asked for */
	assert_int_equal(fm->mm.state, MS_SOFT);
	assert_true(mm_balloon_target(&fm->mm, stuck) > 0);
	assert_int_equal(stuck->pmap.count[PS_SWAPPED], 0); /* soft: balloon first */
	uint64_t next = 999;
	for (uint64_t t = 2000; t <= 40000; t += 1000) {
		while (mm_balloon_size(good) < mm_balloon_target(&fm->mm, good)) { /* good's driver follows */
			ppn_t p = PPN(next--);
			assert_int_equal(mm_balloon_lock(&fm->mm, good, &p, 1, NULL), 0);
		}
		mm_tick(&fm->mm, t);
		fm_disk_settle(fm);
	}
	assert_true(stuck->balloon.distrusted);
	assert_false(good->balloon.distrusted);
	assert_true(stuck->pmap.count[PS_SWAPPED] > 0); /* the panic button, for this VM only */
	assert_int_equal(good->pmap.count[PS_SWAPPED], 0);
	done_machine(fm);
}

/* An operator lowers the max of a VM without a balloon driver: swapping brings it down in any state. */
static void lowered_max_is_swapped_down(void **state)
{
	struct fake_machine *fm = mk_machine(1000, 1000, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 400, 16, 1000);

	for (unsigned p = 0; p < 300; p++)
		assert_int_equal(fm_write_pattern(fm, a, PPN(p), p + 1), 0);
	assert_int_equal(mm_vm_set_max(&fm->mm, a, 100), 0);
	for (uint64_t t = 1000; t <= 4000; t += 1000) {
		mm_tick(&fm->mm, t);
		fm_disk_settle(fm);
	}
	assert_int_equal(fm->mm.state, MS_HIGH);
	assert_true(mm_vm_alloc(a) <= 100);
	assert_true(a->pmap.count[PS_SWAPPED] >= 200);
	for (unsigned p = 0; p < 300; p++) { /* every page comes back as it was */
		uint64_t seed;
		assert_int_equal(fm_read_seed(fm, a, PPN(p), &seed), 0);
		assert_int_equal(seed, p + 1);
	}
	assert_int_equal(mm_audit(&fm->mm), 0);
	done_machine(fm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slots),
		cmocka_unit_test(out_and_in_keeps_contents),
		cmocka_unit_test(share_before_swap),
		cmocka_unit_test(io_errors_lose_nothing),
		cmocka_unit_test(in_flight_pages),
		cmocka_unit_test(io_table_full),
		cmocka_unit_test(lowered_max_is_swapped_down),
		cmocka_unit_test(hard_state_swaps_to_target),
		cmocka_unit_test(distrusted_balloon_is_swapped_in_soft),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
