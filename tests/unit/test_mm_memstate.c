/* Host tests for the free-memory state machine (mm/memstate.c): thresholds, actions, hysteresis. */
#include "mm_test.h"

static void thresholds_and_hysteresis(void **state)
{
	struct mm_tunables t;
	mm_tunables_default(&t); /* 6 / 4 / 2 / 1 % */
	enum memstate s = MS_HIGH;
	const uint64_t T = 10000;
	struct {
		uint64_t free;
		enum memstate expect;
	} seq[] = {
		{ 700, MS_HIGH }, { 500, MS_HIGH }, /* 5%: between soft and high, still high */
		{ 399, MS_SOFT }, { 500, MS_SOFT }, /* back to 5%: stays soft until 6% */
		{ 599, MS_SOFT }, { 600, MS_HIGH }, { 150, MS_HARD }, /* straight past soft */
		{ 300, MS_HARD }, { 400, MS_SOFT }, { 50, MS_LOW },   { 150, MS_LOW }, /* 1.5%: low until 2% */
		{ 200, MS_HARD }, { 10, MS_LOW },   { 1000, MS_HIGH }, /* a big release climbs all the way */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(seq); i++) {
		s = memstate_next(&t, s, seq[i].free, T);
		if (s != seq[i].expect)
			fail_msg("step %u free %lu: %s, expected %s", i, (unsigned long)seq[i].free, memstate_name(s),
				 memstate_name(seq[i].expect));
	}
}

static void actions(void **state)
{
	assert_int_equal(memstate_actions(MS_HIGH), MSA_NONE);
	assert_int_equal(memstate_actions(MS_SOFT), MSA_BALLOON);
	assert_true(memstate_actions(MS_HARD) & MSA_SWAP);
	assert_false(memstate_actions(MS_HARD) & MSA_BLOCK);
	assert_true(memstate_actions(MS_LOW) & MSA_BLOCK);
	assert_string_equal(memstate_name(MS_LOW), "low");
}

static void machine_changes_state_and_retargets(void **state)
{
	struct fake_machine *fm = mk_machine(1000, 2000, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 1000, 0, 1);

	for (unsigned p = 0; p < 995; p++)
		assert_int_equal(fm_write_pattern(fm, a, PPN(p), p + 1), 0);
	uint64_t updates = fm->mm.stat.target_updates;
	mm_tick(&fm->mm, 1000);
	assert_int_equal(fm->mm.state, MS_LOW); /* 0.5% free */
	assert_true(fm->mm.stat.target_updates > updates);
	assert_true(a->target < 995);
	assert_true(a->blocked);
	assert_int_equal(mm_fault(&fm->mm, a, PPN(998), true), -EBUSY);
	assert_non_null(strstr(mm_env_last_log, "state"));
	char line[256];
	mm_memstat_machine(&fm->mm, line, sizeof(line));
	assert_non_null(strstr(line, "state=low"));
	done_machine(fm);
}

/* Without swap, low blocks nobody: only the VM's own guest (its balloon) can free its memory, and must run to. */
static void low_without_swap_blocks_nobody(void **state)
{
	struct fake_machine *fm = mk_machine(1000, 0, NULL);
	struct mm_vm *a = mk_vm(fm, "a", 1000, 0, 1);

	for (unsigned p = 0; p < 995; p++)
		assert_int_equal(fm_write_pattern(fm, a, PPN(p), p + 1), 0);
	mm_tick(&fm->mm, 1000);
	assert_int_equal(fm->mm.state, MS_LOW);
	assert_true(a->target < 995);
	assert_false(a->blocked);
	done_machine(fm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(thresholds_and_hysteresis),
		cmocka_unit_test(actions),
		cmocka_unit_test(machine_changes_state_and_retargets),
		cmocka_unit_test(low_without_swap_blocks_nobody),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
