/*
 * Cost of the allocation policy as the number of VMs grows (paper §5): computing every VM's target by
 * min-funding revocation (policy_targets), picking one victim (policy_pick_victim), and the whole
 * mm_policy_update() on a fake machine (gathering the estimates, the targets, the balloon targets).
 */
#include <stdio.h>
#include "bench/bench_util.h"
#include "mm/mm.h"
#include "tests/env/fake_machine.h"

int main(void)
{
	static struct policy_vm v[MM_MAX_VMS];
	struct mm_rng r = { 7 };
	uint64_t k = 4 << 16;

	printf("bench-policy: time per computation (best of 5 x 200)\n");
	printf("  %6s %14s %14s %18s\n", "VMs", "targets (us)", "victim (us)", "policy update (us)");
	for (unsigned n = 8; n <= MM_MAX_VMS; n *= 2) {
		uint64_t total = 0;
		for (unsigned i = 0; i < n; i++) {
			v[i].max = 65536 + rng_below(&r, 4 * 65536);
			v[i].min = rng_below(&r, v[i].max / 4);
			v[i].alloc = v[i].min + rng_below(&r, v[i].max - v[i].min);
			v[i].demand = v[i].alloc;
			v[i].shares = 1 + (uint32_t)rng_below(&r, 10000);
			v[i].active_q16 = (uint32_t)rng_below(&r, 65537);
			total += v[i].alloc;
		}
		double best_t = 1e30, best_v = 1e30;
		for (int rep = 0; rep < 5; rep++) {
			double t0 = now_ns();
			for (int i = 0; i < 200; i++)
				bench_sink += policy_targets(k, v, n, total - total / 10);
			double t1 = now_ns();
			for (int i = 0; i < 200; i++)
				bench_sink += (uint64_t)policy_pick_victim(k, v, n);
			double t2 = now_ns();
			best_t = (t1 - t0) / 200 < best_t ? (t1 - t0) / 200 : best_t;
			best_v = (t2 - t1) / 200 < best_v ? (t2 - t1) / 200 : best_v;
		}
		/* The full update on a machine with n small VMs. */
		static struct fake_machine fm;
		struct mm_tunables t;
		mm_tunables_default(&t);
		if (fm_init(&fm, 0x1000, 64 * n + 1024, 64 * n, &t, false) < 0)
			return 1;
		for (unsigned i = 0; i < n; i++) {
			char name[8];
			snprintf(name, sizeof(name), "v%u", i);
			struct mm_vm_config c = { .name = name, .max_pages = 64, .min_pages = 0, .shares = 1 + i };
			struct mm_vm *vm;
			if (fm_vm_create(&fm, &c, &vm) < 0)
				return 1;
			for (unsigned p = 0; p < 60; p++)
				fm_write_pattern(&fm, vm, PPN(p), p + 1);
		}
		double best_u = 1e30;
		for (int rep = 0; rep < 5; rep++) {
			double t0 = now_ns();
			for (int i = 0; i < 200; i++)
				mm_policy_update(&fm.mm);
			double u = (now_ns() - t0) / 200;
			best_u = u < best_u ? u : best_u;
		}
		fm_destroy(&fm);
		printf("  %6u %14.2f %14.2f %18.2f\n", n, best_t / 1000, best_v / 1000, best_u / 1000);
	}
	return 0;
}
