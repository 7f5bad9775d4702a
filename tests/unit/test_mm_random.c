/*
 * A long randomized sequence of operations (guest writes and reads, sharing, copy-on-write, balloon lock/unlock,
 * swap out/in, sampling periods, policy ticks, VM destroy/create) checked after every step against a reference
 * model of what each guest page must contain, and against mm_audit().  The model is deliberately trivial: a guest
 * page holds the last seed written to it, or zeros if it was never written or was given to the balloon.
 */
#include "mm_test.h"

#define NVM 3
#define GPAGES 48
#define STEPS 20000

struct model {
	uint64_t seed[NVM][GPAGES]; /* expected content: 0 = zeros */
	bool ballooned[NVM][GPAGES];
	uint64_t cow, swapin; /* counts of VMs that were restarted */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_page(struct fake_machine *fm, struct mm_vm *vm, struct model *m, unsigned v, unsigned p)
{
	int err = 0;
	uint64_t *page = fm_access(fm, vm, PPN(p), false, &err);
	uint64_t expect[PAGE_SIZE / 8];

	if (!page) {
		assert_int_equal(err, -ENOMEM); /* only a full machine may refuse a read */
		return;
	}
	fm_fill_pattern(expect, m->seed[v][p]);
	assert_memory_equal(page, expect, PAGE_SIZE);
	m->ballooned[v][p] = false; /* a touched ballooned page is backed again */
}

static void run(uint64_t s, bool abits)
{
	struct mm_tunables t;
	struct fake_machine *fm = calloc(1, sizeof(*fm));
	struct mm_vm *vm[NVM];
	struct model *m = calloc(1, sizeof(*m));
	char name[8];
	uint64_t now = 0;

	mm_tunables_default(&t);
	t.seed = s;
	t.sample_pages = 8;
	t.balloon_touch_limit = 1u << 30;
	t.overhead_dev_pages = 0;
	assert_int_equal(fm_init(fm, 0x5000, 100, NVM * GPAGES, &t, abits), 0);
	for (unsigned v = 0; v < NVM; v++) {
		snprintf(name, sizeof(name), "r%u", v);
		vm[v] = mk_vm(fm, name, GPAGES, 0, 100 * (v + 1));
		mm_balloon_connect(&fm->mm, vm[v]);
	}
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned v = rnd(&s) % NVM, p = rnd(&s) % GPAGES, op = rnd(&s) % 100;
		struct mm_vm *x = vm[v];
		int rc;
		if (op < 30) { /* write one of few seeds, so that pages often match */
			uint64_t seed = rnd(&s) % 24;
			rc = fm_write_pattern(fm, x, PPN(p), seed);
			assert_true(rc == 0 || rc == -ENOMEM);
			if (rc == 0)
				m->seed[v][p] = seed, m->ballooned[v][p] = false;
		} else if (op < 45) {
			check_page(fm, x, m, v, p);
		} else if (op < 65) {
			rc = mm_share_page(&fm->mm, x, PPN(p));
			assert_true(rc >= SHARE_SKIPPED && rc <= SHARE_FULL);
		} else if (op < 72) {
			ppn_t batch[4];
			unsigned n = 1 + rnd(&s) % 4, bad = 99;
			for (unsigned i = 0; i < n; i++)
				batch[i] = PPN((p + i * 7) % GPAGES);
			bool valid = true;
			for (unsigned i = 0; i < n; i++)
				valid &= !m->ballooned[v][batch[i].v];
			uint64_t before = mm_balloon_size(x);
			rc = mm_balloon_lock(&fm->mm, x, batch, n, &bad);
			if (valid && before + n <= GPAGES * 650 / 1000) {
				assert_int_equal(rc, 0);
				for (unsigned i = 0; i < n; i++)
					m->ballooned[v][batch[i].v] = true, m->seed[v][batch[i].v] = 0;
			} else {
				assert_true(rc == -EEXIST || rc == -ENOSPC);
				assert_int_equal(mm_balloon_size(x), before); /* nothing changed */
			}
		} else if (op < 78) {
			ppn_t one = PPN(p);
			rc = mm_balloon_unlock(&fm->mm, x, &one, 1, NULL);
			assert_int_equal(rc, m->ballooned[v][p] ? 0 : -ENOENT);
			m->ballooned[v][p] = false;
		} else if (op < 86) {
			rc = mm_swap_out(&fm->mm, x, PPN(p));
			/* -ENOSPC: the slots of writes whose pages were ballooned meanwhile are not back yet */
			assert_true(rc == 0 || rc == 1 || rc == -EINVAL || rc == -EAGAIN || rc == -ENOSPC);
		} else if (op < 90) {
			mm_swap_victims(&fm->mm, x, 1 + rnd(&s) % 4);
		} else if (op < 95) {
			now += 1000 + rnd(&s) % 20000;
			mm_tick(&fm->mm, now);
			fm_disk_complete(fm, rnd(&s) % 8); /* the disk finishes some I/O; the rest stays in flight */
		} else if (op < 97) {
			mm_sample_period(&fm->mm);
		} else if (op < 98) {
			for (unsigned q = 0; q < GPAGES; q++) /* full content check of one VM */
				check_page(fm, x, m, v, q);
		} else if (op == 98 && rnd(&s) % 8 == 0) { /* VM restart */
			snprintf(name, sizeof(name), "r%u", v);
			m->cow += x->stat.cow_breaks + x->stat.cow_reuse, m->swapin += x->stat.swap_ins;
			fm_vm_destroy(fm, x);
			vm[v] = mk_vm(fm, name, GPAGES, 0, 100 * (v + 1));
			mm_balloon_connect(&fm->mm, vm[v]);
			memset(m->seed[v], 0, sizeof(m->seed[v]));
			memset(m->ballooned[v], 0, sizeof(m->ballooned[v]));
		}
		if (mm_audit(&fm->mm) != 0)
			fail_msg("audit failed at step %u (op %u): %s", step, op, mm_env_last_log);
		for (unsigned q = 0; q < GPAGES; q++) /* the pmap agrees with the model about the balloon */
			assert_int_equal(st(vm[v], q) == PS_BALLOONED, m->ballooned[v][q]);
	}
	for (unsigned v = 0; v < NVM; v++)
		for (unsigned q = 0; q < GPAGES; q++)
			check_page(fm, vm[v], m, v, q);
	/* The sequence must actually have exercised every mechanism. */
	uint64_t cow = m->cow, swapin = m->swapin;
	for (unsigned v = 0; v < NVM; v++)
		cow += vm[v]->stat.cow_breaks + vm[v]->stat.cow_reuse, swapin += vm[v]->stat.swap_ins;
	assert_true(fm->mm.stat.shared > 100 && fm->mm.stat.zero_shared > 100 && fm->mm.stat.stale_hints > 0);
	assert_true(cow > 50 && swapin > 10 && fm->swap_writes > 50);
	done_machine(fm);
	free(m);
}

static void random_sequence_unmap_sampling(void **state)
{
	run(0x1234567, false);
}

static void random_sequence_abit_sampling(void **state)
{
	run(0xfeedbeef, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_sequence_unmap_sampling),
		cmocka_unit_test(random_sequence_abit_sampling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
