/* Host tests for what the hypervisor needs from the mm core besides guest faults: its own access to guest pages
 * (loader, hypercall batches), the operator's target and max, and admission without a swap device. */
#include "mm_test.h"

static void guest_mpn_backs_and_reads_shared_without_copy(void **state)
{
	struct fake_machine *fm = mk_machine(256, 256, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 64, 0, 1000), *b = mk_vm(fm, "b", 64, 0, 1000);
	mpn_t m1, m2;

	(void)state;
	/* An unbacked page gets a zeroed private page, as a guest's first touch would. */
	assert_int_equal(mm_guest_mpn(&fm->mm, a, PPN(3), false, &m1), 0);
	assert_int_equal(st(a, 3), PS_PRIVATE);
	assert_true(fm_mapped(fm, a, PPN(3), NULL));
	/* Identical pages in two VMs get shared; a read keeps the shared page, a write breaks copy-on-write. */
	assert_int_equal(fm_write_pattern(fm, a, PPN(5), 42), 0);
	assert_int_equal(fm_write_pattern(fm, b, PPN(6), 42), 0);
	assert_int_equal(mm_share_page(&fm->mm, a, PPN(5)), SHARE_HINTED);
	assert_int_equal(mm_share_page(&fm->mm, b, PPN(6)), SHARE_SHARED);
	assert_int_equal(st(b, 6), PS_SHARED);
	assert_int_equal(mm_guest_mpn(&fm->mm, a, PPN(5), false, &m1), 0);
	assert_int_equal(mm_guest_mpn(&fm->mm, b, PPN(6), false, &m2), 0);
	assert_true(mpn_eq(m1, m2));
	assert_int_equal(st(b, 6), PS_SHARED);
	assert_int_equal(mm_guest_mpn(&fm->mm, b, PPN(6), true, &m2), 0);
	assert_false(mpn_eq(m1, m2));
	assert_int_equal(st(b, 6), PS_PRIVATE);
	uint64_t seed = 0;
	assert_int_equal(fm_read_seed(fm, b, PPN(6), &seed), 0);
	assert_int_equal(seed, 42); /* the copy has the contents */
	/* Outside the VM: refused, nothing changes. */
	assert_int_equal(mm_guest_mpn(&fm->mm, a, PPN(64), false, &m1), -EFAULT);
	fm_vm_destroy(fm, a);
	fm_vm_destroy(fm, b);
	done_machine(fm);
}

static void target_override_wins_until_cleared(void **state)
{
	struct fake_machine *fm = mk_machine(256, 256, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 100, 10, 1000);

	(void)state;
	mm_balloon_connect(&fm->mm, a);
	assert_int_equal(mm_vm_set_target(&fm->mm, a, 101), -EINVAL); /* above max */
	assert_int_equal(mm_vm_set_target(&fm->mm, a, 60), 0);
	assert_int_equal(a->target, 60);
	assert_int_equal(mm_balloon_target(&fm->mm, a), 40); /* the balloon holds max - target */
	mm_policy_update(&fm->mm);			   /* the policy does not undo the operator */
	assert_int_equal(a->target, 60);
	assert_int_equal(mm_vm_set_target(&fm->mm, a, 0), 0); /* back to the policy: plenty free, the whole max */
	assert_int_equal(a->target, 100);
	assert_int_equal(mm_balloon_target(&fm->mm, a), 0);
	fm_vm_destroy(fm, a);
	done_machine(fm);
}

static void lowered_max_caps_target_and_inflates_balloon(void **state)
{
	struct fake_machine *fm = mk_machine(256, 256, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 100, 10, 1000);

	(void)state;
	mm_balloon_connect(&fm->mm, a);
	assert_int_equal(mm_vm_set_max(&fm->mm, a, 101), -ERANGE); /* above the RAM it booted with */
	assert_int_equal(mm_vm_set_max(&fm->mm, a, 9), -EINVAL);   /* below min */
	assert_int_equal(a->max_pages, 100);
	assert_int_equal(mm_vm_set_target(&fm->mm, a, 80), 0);
	/* Plenty of free memory, yet the policy keeps it at the new max; the operator's target is clamped to it. */
	assert_int_equal(mm_vm_set_max(&fm->mm, a, 70), 0);
	assert_int_equal(a->target, 70);
	assert_int_equal(mm_balloon_target(&fm->mm, a), 30); /* the balloon holds what the guest sees above max */
	assert_int_equal(mm_vm_set_target(&fm->mm, a, 71), -EINVAL);
	assert_int_equal(mm_vm_set_min(&fm->mm, a, 71), -EINVAL);
	assert_int_equal(mm_vm_set_target(&fm->mm, a, 0), 0);
	mm_policy_update(&fm->mm);
	assert_int_equal(a->target, 70);
	assert_int_equal(a->ram_pages, 100); /* the guest-physical size never changes */
	/* Raised back to the RAM it booted with: the balloon may empty again. */
	assert_int_equal(mm_vm_set_max(&fm->mm, a, 100), 0);
	assert_int_equal(a->target, 100);
	assert_int_equal(mm_balloon_target(&fm->mm, a), 0);
	fm_vm_destroy(fm, a);
	done_machine(fm);
}

static void no_swap_device_admits_on_min_alone(void **state)
{
	struct fake_machine *fm = mk_machine(256, 0, NULL);
	struct mm_vm *a = NULL, *b = NULL;
	struct mm_vm_config c = { .name = "a", .max_pages = 200, .min_pages = 50, .shares = 1000 };

	(void)state;
	/* Overcommitted: 2 x 200 pages on 256, min 50 each: both admitted, nothing reserved in swap. */
	assert_int_equal(fm_vm_create(fm, &c, &a), 0);
	c.name = "b";
	assert_int_equal(fm_vm_create(fm, &c, &b), 0);
	assert_int_equal(a->swap_reserved, 0);
	assert_int_equal(mm_vm_set_min(&fm->mm, a, 20), 0); /* no swap to reserve for a smaller min */
	/* A min that does not fit beside the others' is still refused. */
	c.name = "c", c.min_pages = 250, c.max_pages = 250;
	struct mm_vm *d = NULL;
	assert_int_equal(fm_vm_create(fm, &c, &d), -ENOSPC);
	fm_vm_destroy(fm, a);
	fm_vm_destroy(fm, b);
	done_machine(fm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guest_mpn_backs_and_reads_shared_without_copy),
		cmocka_unit_test(target_override_wins_until_cleared),
		cmocka_unit_test(lowered_max_caps_target_and_inflates_balloon),
		cmocka_unit_test(no_swap_device_admits_on_min_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
