/*
 * Metadata overhead per machine page (paper §4.2: the sharing table costs < 0.5% of memory).  Counts the bytes
 * mm_init() and mm_vm_create() take from the metadata allocator for a 2 GiB machine (Bochs' maximum, SPEC §5)
 * with guests adding up to 1x and 2x machine memory, and splits them by structure.
 */
#include <stdio.h>
#include "mm/mm.h"
#include "tests/env/host_env.h"

static void *no_page(void *ctx, mpn_t m)
{
	return NULL;
}
static void no_map(void *ctx, unsigned vm, ppn_t p, mpn_t m, bool w)
{
}
static void no_unmap(void *ctx, unsigned vm, ppn_t p)
{
}
static void no_io(void *ctx, const struct mm_swap_req *req)
{
}
static const struct mm_ops ops = { .page_ptr = no_page, .map = no_map, .unmap = no_unmap, .swap_submit = no_io };

int main(void)
{
	const uint64_t machine = 2ULL << 30 >> 12; /* pages */
	struct mpn_range r = { MPN(0x100000), machine };
	static struct mm mm;
	struct mm_tunables t;

	mm_tunables_default(&t);
	printf("bench-overhead: metadata per machine page, 2 GiB machine (%lu pages), share_frames_pm=%u\n",
	       (unsigned long)machine, t.share_frames_pm);
	for (int over = 1; over <= 2; over++) {
		size_t before = mm_env_allocated;
		if (mm_init(&mm, &t, &ops, NULL, &r, 1, over * machine) < 0)
			return 1;
		size_t after_init = mm_env_allocated;
		uint64_t pool = (uint64_t)mm.pool.npages * sizeof(struct mpage);
		uint64_t share = (uint64_t)mm.share.nframes * sizeof(struct share_frame) +
				 ((uint64_t)4 << mm.share.bucket_bits) + mm.share.novf_cap * sizeof(struct share_ovf);
		struct mm_vm *vm[8];
		for (int i = 0; i < 4 * over; i++) { /* guests of machine/4 pages each: 1x or 2x overcommit */
			char name[4] = { 'a' + i, 0 };
			struct mm_vm_config c = { .name = name, .max_pages = machine / 4, .min_pages = 0, .shares = 1 };
			if (mm_vm_create(&mm, &c, &vm[i]) < 0)
				return 1;
		}
		uint64_t vms = mm_env_allocated - after_init, pmap = over * machine * sizeof(pte_t);
		double mb = machine * 4096.0;
		printf("  guests = %dx machine memory:\n", over);
		printf("    pmap             %7.3f%%  (%lu B per guest page)\n", 100.0 * pmap / mb, sizeof(pte_t));
		printf("    sharing frames   %7.3f%%  (%u frames of 16 B + %u buckets of 4 B)\n", 100.0 * share / mb,
		       mm.share.nframes, 1u << mm.share.bucket_bits);
		printf("    pmap + sharing   %7.3f%%  (paper: table < 0.5%%)\n", 100.0 * (pmap + share) / mb);
		printf("    owner records    %7.3f%%  (8 B per machine page)\n", 100.0 * pool / mb);
		printf("    everything       %7.3f%%  (incl. swap bitmap, samplers, VM structs: %lu B)\n",
		       100.0 * (mm_env_allocated - before) / mb, (unsigned long)(mm_env_allocated - before));
		(void)vms;
		for (int i = 0; i < 4 * over; i++)
			mm_vm_destroy(&mm, vm[i]);
		mm_destroy(&mm);
	}
	return 0;
}
