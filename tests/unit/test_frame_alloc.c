/* Host tests for mm/frame_alloc.c over firmware-shaped memory maps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include "mm/frame_alloc.h"

struct fixture {
	struct memmap map;
	struct frame_alloc fa;
	uint64_t *bitmap;
};

static struct fixture *setup_map(void (*fill)(struct memmap *))
{
	struct fixture *f = calloc(1, sizeof(*f));
	memmap_init(&f->map);
	fill(&f->map);
	memmap_build(&f->map);
	f->bitmap = malloc(frame_alloc_bitmap_bytes(&f->map));
	frame_alloc_init(&f->fa, &f->map, f->bitmap);
	return f;
}

static void teardown(struct fixture *f)
{
	free(f->bitmap);
	free(f);
}

/* 0-640K usable, 1M-16M usable with a module at 4M-5M, a hole, then 32M-33M usable. */
static void small_machine(struct memmap *m)
{
	memmap_add_e820(m, 0, 0xa0000, 1);
	memmap_add_e820(m, 0x100000, 0xf00000, 1);
	memmap_add_e820(m, 0x2000000, 0x100000, 1);
	memmap_reserve(m, 0, 0x100000);
	memmap_reserve(m, 0x400000, 0x100000);
}

static bool in_usable(const struct memmap *m, mpn_t p)
{
	uint64_t a = mpn_to_maddr(p);
	for (unsigned i = 0; i < m->n; i++)
		if (m->region[i].type == MEM_USABLE && a >= m->region[i].base && a < m->region[i].base + m->region[i].len)
			return true;
	return false;
}

static void counts_match_map(void **state)
{
	struct fixture *f = setup_map(small_machine);
	assert_int_equal(f->fa.total_pages, (0xf00000 - 0x100000 + 0x100000) / 4096);
	assert_int_equal(f->fa.free_pages, f->fa.total_pages);
	assert_int_equal(f->fa.npages % 64, 0);
	assert_true(f->fa.npages >= 0x2100000 / 4096);
	teardown(f);
}

/* Exhaustion: every usable page is handed out exactly once, never a reserved or hole page, then MPN_INVALID. */
static void exhaustion_hands_out_each_page_once(void **state)
{
	struct fixture *f = setup_map(small_machine);
	uint64_t total = f->fa.total_pages;
	uint8_t *seen = calloc(f->fa.npages, 1);

	for (uint64_t i = 0; i < total; i++) {
		mpn_t p = frame_alloc_page(&f->fa);
		assert_true(mpn_valid(p));
		assert_true(in_usable(&f->map, p));
		assert_int_equal(seen[p.v], 0);
		seen[p.v] = 1;
	}
	assert_int_equal(f->fa.free_pages, 0);
	assert_false(mpn_valid(frame_alloc_page(&f->fa)));
	assert_false(mpn_valid(frame_alloc_run(&f->fa, 2, 1)));
	/* free one, get the same one back */
	assert_int_equal(frame_free_page(&f->fa, MPN(0x500)), 0);
	assert_int_equal(frame_alloc_page(&f->fa).v, 0x500);
	free(seen);
	teardown(f);
}

static void double_free_and_wild_free_refused(void **state)
{
	struct fixture *f = setup_map(small_machine);
	mpn_t p = frame_alloc_page(&f->fa);
	uint64_t free_before = f->fa.free_pages;

	assert_int_equal(frame_free_page(&f->fa, p), 0);
	assert_int_equal(frame_free_page(&f->fa, p), -22);
	assert_int_equal(frame_free_page(&f->fa, MPN(0x400)), -22);	    /* the module: never allocated */
	assert_int_equal(frame_free_page(&f->fa, MPN(0x1800)), -22);   /* a hole between RAM ranges */
	assert_int_equal(frame_free_page(&f->fa, MPN(0x10)), -22);	    /* reserved low memory */
	assert_int_equal(frame_free_page(&f->fa, MPN(1ULL << 40)), -22); /* beyond the bitmap */
	assert_int_equal(frame_free_run(&f->fa, MPN(0x100), 0), -22);
	assert_int_equal(f->fa.free_pages, free_before + 1);
	teardown(f);
}

static void runs_are_contiguous_aligned_and_skip_reservations(void **state)
{
	struct fixture *f = setup_map(small_machine);
	/* 2 MiB aligned run of 512 pages: the first candidate is 0x200000 (1M is not 2M aligned). */
	mpn_t r = frame_alloc_run(&f->fa, 512, 512);
	assert_int_equal(r.v, 0x200);
	/* The next 2 MiB run cannot cross the module at 4M-5M: the first fit is 6M. */
	mpn_t r2 = frame_alloc_run(&f->fa, 512, 512);
	assert_int_equal(r2.v, 0x600);
	for (uint64_t i = 0; i < 512; i++) {
		assert_true(frame_is_allocated(&f->fa, MPN(r.v + i)));
		assert_true(in_usable(&f->map, MPN(r2.v + i)));
	}
	/* a run longer than any free range fails, and changes nothing */
	uint64_t before = f->fa.free_pages;
	assert_false(mpn_valid(frame_alloc_run(&f->fa, 0x1000, 1)));
	assert_int_equal(f->fa.free_pages, before);
	/* bad alignment arguments */
	assert_false(mpn_valid(frame_alloc_run(&f->fa, 4, 3)));
	assert_false(mpn_valid(frame_alloc_run(&f->fa, 0, 1)));
	/* free the run all-or-nothing: a run overlapping a free page is refused whole */
	assert_int_equal(frame_free_run(&f->fa, MPN(r.v), 513), -22);
	assert_int_equal(frame_free_run(&f->fa, r, 512), 0);
	assert_int_equal(f->fa.free_pages, before + 512);
	teardown(f);
}

static void above_4g_machine(struct memmap *m)
{
	memmap_add_e820(m, 0x100000, 0x7ff00000, 1);
	memmap_add_e820(m, 0x100000000ULL, 0x80000000ULL, 1);
}

static void memory_above_4g(void **state)
{
	struct fixture *f = setup_map(above_4g_machine);
	assert_int_equal(f->fa.total_pages, (0x7ff00000ULL + 0x80000000ULL) / 4096);
	assert_int_equal(frame_alloc_bitmap_bytes(&f->map), 0x180000000ULL / 4096 / 8);
	mpn_t r = frame_alloc_run(&f->fa, 0x80000, 1); /* 2 GiB: only fits above 4 GiB */
	assert_int_equal(r.v, 0x100000);
	teardown(f);
}

/* Randomised alloc/free checked against a shadow set. */
static void random_alloc_free_matches_shadow(void **state)
{
	struct fixture *f = setup_map(small_machine);
	uint8_t *shadow = calloc(f->fa.npages, 1);
	mpn_t *held = calloc(f->fa.total_pages, sizeof(*held));
	uint64_t nheld = 0;
	srand(1234);
	for (int step = 0; step < 20000; step++) {
		if (nheld && rand() % 3 == 0) {
			uint64_t i = rand() % nheld;
			assert_int_equal(frame_free_page(&f->fa, held[i]), 0);
			shadow[held[i].v] = 0;
			held[i] = held[--nheld];
		} else {
			mpn_t p = frame_alloc_page(&f->fa);
			if (!mpn_valid(p)) {
				assert_int_equal(nheld, f->fa.total_pages);
				continue;
			}
			assert_int_equal(shadow[p.v], 0);
			shadow[p.v] = 1;
			held[nheld++] = p;
		}
		assert_int_equal(f->fa.free_pages, f->fa.total_pages - nheld);
	}
	free(shadow);
	free(held);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_match_map),
		cmocka_unit_test(exhaustion_hands_out_each_page_once),
		cmocka_unit_test(double_free_and_wild_free_refused),
		cmocka_unit_test(runs_are_contiguous_aligned_and_skip_reservations),
		cmocka_unit_test(memory_above_4g),
		cmocka_unit_test(random_alloc_free_matches_shadow),
	};
	return cmocka_run_group_tests_name("frame_alloc", tests, NULL, NULL);
}
