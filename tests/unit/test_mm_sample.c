/* Host tests for active-memory estimation (mm/sample.c): the three estimates and the sampling protocol with both
 * ways of seeing an access (EPT entry removed, accessed bit). */
#include "mm_test.h"

#define Q16 65536u

static void estimates_rise_fast_fall_slow(void **state)
{
	struct mm_tunables t;
	struct sampler s = { 0 };
	mm_tunables_default(&t);

	assert_int_equal(sampler_active_q16(&s, &t), Q16); /* presumed active until measured */
	sampler_fold(&s, &t, 10, 100);
	assert_int_equal(s.slow_q16, s.fast_q16);
	assert_true(sampler_active_q16(&s, &t) < Q16 / 8);
	sampler_fold(&s, &t, 90, 100); /* a jump: the fast average follows within a period */
	assert_true(s.fast_q16 > Q16 / 2 - 1000 && s.slow_q16 < Q16 / 4);
	assert_int_equal(sampler_active_q16(&s, &t), s.fast_q16);
	for (int i = 0; i < 3; i++)
		sampler_fold(&s, &t, 0, 100); /* a fall: the slow average holds the estimate up */
	assert_true(s.slow_q16 > s.fast_q16);
	assert_int_equal(sampler_active_q16(&s, &t), s.slow_q16);
	assert_true(s.slow_q16 > Q16 / 10);
	/* Partial counts of the running period raise the estimate before the period ends. */
	uint32_t before = sampler_active_q16(&s, &t);
	s.n = 100, s.touched = 80;
	assert_true(sampler_active_q16(&s, &t) > before);
	assert_true(sampler_active_q16(&s, &t) > Q16 / 3);
}

static void protocol(bool abits)
{
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.sample_pages = 100;
	struct fake_machine *fm = calloc(1, sizeof(*fm));
	assert_int_equal(fm_init(fm, 0x100, 1024, 1024, &t, abits), 0);
	struct mm_vm *vm = mk_vm(fm, "s", 1000, 0, 1);
	int err;

	for (unsigned p = 0; p < 800; p++)
		assert_int_equal(fm_write_pattern(fm, vm, PPN(p), p + 1), 0);
	for (int period = 0; period < 12; period++) {
		mm_sample_period(&fm->mm);
		if (!abits)
			assert_int_equal(vm->pmap.nsampled, 100);
		for (unsigned p = 0; p < 200; p++) /* a quarter of the backed pages is the working set */
			assert_non_null(fm_access(fm, vm, PPN(p), p % 2 == 0, &err));
		assert_int_equal(mm_audit(&fm->mm), 0);
	}
	mm_sample_period(&fm->mm);
	uint32_t f = mm_vm_active_q16(&fm->mm, vm);
	assert_true(f > Q16 / 8 && f < Q16 / 2); /* 25%, with the noise of 100 samples and a slow fall */
	/* The working set grows to everything: the estimate follows within two periods. */
	for (int period = 0; period < 2; period++) {
		for (unsigned p = 0; p < 800; p++)
			assert_non_null(fm_access(fm, vm, PPN(p), false, &err));
		mm_sample_period(&fm->mm);
	}
	assert_true(mm_vm_active_q16(&fm->mm, vm) > Q16 * 8 / 10);
	done_machine(fm);
}

/* Under memory pressure: samples whose pages leave tell nothing, and a starved VM is not taken for an idle one. */
static void pressure_does_not_fake_idleness(void **state)
{
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.sample_pages = 100;
	struct fake_machine *fm = calloc(1, sizeof(*fm));
	assert_int_equal(fm_init(fm, 0x100, 1024, 0, &t, true), 0);
	struct mm_vm *vm = mk_vm(fm, "p", 1000, 0, 1);
	int err;

	for (unsigned p = 0; p < 400; p++)
		assert_int_equal(fm_write_pattern(fm, vm, PPN(p), p + 1), 0);
	mm_balloon_connect(&fm->mm, vm);
	for (int period = 0; period < 4; period++) { /* everything it holds is in use */
		mm_sample_period(&fm->mm);
		for (unsigned p = 0; p < 400; p++)
			assert_non_null(fm_access(fm, vm, PPN(p), false, &err));
	}
	mm_sample_period(&fm->mm);
	uint32_t busy = mm_vm_active_q16(&fm->mm, vm);
	assert_true(busy > Q16 * 9 / 10);
	/* Its guest gives half its pages to the balloon during the period and touches the rest: still all active. */
	for (unsigned p = 0; p < 400; p += 2) {
		ppn_t one = PPN(p);
		assert_int_equal(mm_balloon_lock(&fm->mm, vm, &one, 1, NULL), 0);
	}
	for (unsigned p = 1; p < 400; p += 2)
		assert_non_null(fm_access(fm, vm, PPN(p), false, &err));
	assert_true(vm->sampler.released > 20);
	mm_sample_period(&fm->mm);
	assert_true(mm_vm_active_q16(&fm->mm, vm) > Q16 * 9 / 10);
	/* A period in which it waited for machine memory and touched nothing does not lower the estimate... */
	vm->stat.refused_faults++;
	mm_sample_period(&fm->mm);
	assert_true(mm_vm_active_q16(&fm->mm, vm) > Q16 * 9 / 10);
	/* ...nor does one in which its guest paged its working set back in from its own swap... */
	mm_guest_stats(&fm->mm, vm, 0, 0, vm->guest.swapins + 100);
	mm_sample_period(&fm->mm);
	assert_true(mm_vm_active_q16(&fm->mm, vm) > Q16 * 9 / 10);
	/* ...but periods of the same idleness without waiting do (slowly: the slow average holds it up). */
	for (int period = 0; period < 3; period++)
		mm_sample_period(&fm->mm);
	assert_true(mm_vm_active_q16(&fm->mm, vm) < Q16 * 8 / 10);
	done_machine(fm);
}

static void protocol_by_unmapping(void **state)
{
	protocol(false);
}

static void protocol_by_accessed_bits(void **state)
{
	protocol(true);
}

static void samples_survive_reclaim(void **state)
{
	struct fake_machine *fm = mk_machine(256, 256, NULL);
	struct mm_vm *vm = mk_vm(fm, "s", 200, 0, 1);
	ppn_t all[100];

	for (unsigned p = 0; p < 100; p++) {
		assert_int_equal(fm_write_pattern(fm, vm, PPN(p), 0), 0);
		all[p] = PPN(p);
	}
	mm_sample_period(&fm->mm); /* arms all 100 */
	assert_int_equal(vm->pmap.nsampled, 100);
	mm_balloon_connect(&fm->mm, vm);
	assert_int_equal(mm_balloon_lock(&fm->mm, vm, all, 50, NULL), 0); /* sampled pages given away */
	assert_int_equal(vm->pmap.nsampled, 50);
	assert_int_equal(mm_audit(&fm->mm), 0);
	mm_sample_period(&fm->mm);
	assert_int_equal(vm->sampler.last_q16, 0); /* released samples count as untouched */
	done_machine(fm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(estimates_rise_fast_fall_slow),
		cmocka_unit_test(pressure_does_not_fake_idleness),
		cmocka_unit_test(protocol_by_unmapping),
		cmocka_unit_test(protocol_by_accessed_bits),
		cmocka_unit_test(samples_survive_reclaim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
