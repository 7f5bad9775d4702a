/*
 * Machine frame allocator over a bitmap (see frame_alloc.h for why a bitmap).
 * Invariant: free_pages equals the number of clear bits; a clear bit always names a usable page of the memory map.
 */
#include <stdbool.h>
#include <ballast/compiler.h>
#include <ballast/errno.h>
#include <ballast/string.h>
#include "mm/frame_alloc.h"

static inline bool test_bit(const uint64_t *bm, uint64_t i) { return bm[i / 64] & BIT(i % 64); }
static inline void set_bit(uint64_t *bm, uint64_t i) { bm[i / 64] |= BIT(i % 64); }
static inline void clear_bit(uint64_t *bm, uint64_t i) { bm[i / 64] &= ~BIT(i % 64); }

static uint64_t bitmap_pages(const struct memmap *map)
{
	return align_up(memmap_highest_usable(map) >> PAGE_SHIFT, 64);
}

uint64_t frame_alloc_bitmap_bytes(const struct memmap *map)
{
	return bitmap_pages(map) / 8;
}

void frame_alloc_init(struct frame_alloc *fa, const struct memmap *map, uint64_t *bitmap)
{
	fa->bitmap = bitmap;
	fa->npages = bitmap_pages(map);
	fa->total_pages = fa->free_pages = 0;
	fa->hint = 0;
	fa->map = map;
	/* Everything starts unavailable; only the map's usable ranges are opened, so holes can never be handed out. */
	memset(bitmap, 0xff, fa->npages / 8);
	for (unsigned i = 0; i < map->n; i++) {
		const struct mem_region *r = &map->region[i];
		if (r->type != MEM_USABLE)
			continue;
		for (uint64_t p = r->base >> PAGE_SHIFT; p < (r->base + r->len) >> PAGE_SHIFT; p++)
			clear_bit(bitmap, p);
		fa->total_pages += r->len >> PAGE_SHIFT;
	}
	fa->free_pages = fa->total_pages;
}

mpn_t frame_alloc_page(struct frame_alloc *fa)
{
	uint64_t words = fa->npages / 64;

	if (!fa->free_pages)
		return MPN_INVALID;
	for (uint64_t n = 0; n < words; n++) {
		uint64_t w = (fa->hint + n) % words;
		if (fa->bitmap[w] == ~0ULL)
			continue;
		uint64_t bit = __builtin_ctzll(~fa->bitmap[w]);
		uint64_t page = w * 64 + bit;
		set_bit(fa->bitmap, page);
		fa->free_pages--;
		fa->hint = w;
		return MPN(page);
	}
	return MPN_INVALID; /* free_pages said otherwise: cannot happen while the invariant holds */
}

mpn_t frame_alloc_run(struct frame_alloc *fa, uint64_t npages, uint64_t align)
{
	if (npages == 0 || align == 0 || (align & (align - 1)) || npages > fa->free_pages)
		return MPN_INVALID;
	if (npages == 1 && align == 1)
		return frame_alloc_page(fa);
	/* First fit from the bottom: long runs are rare (boot, VM creation), so simplicity beats speed here. */
	for (uint64_t start = 0; start + npages <= fa->npages;) {
		uint64_t i;
		for (i = 0; i < npages; i++)
			if (test_bit(fa->bitmap, start + i))
				break;
		if (i == npages) {
			for (i = 0; i < npages; i++)
				set_bit(fa->bitmap, start + i);
			fa->free_pages -= npages;
			return MPN(start);
		}
		start = align_up(start + i + 1, align); /* skip past the used page that broke the run */
	}
	return MPN_INVALID;
}

static bool is_usable(const struct memmap *map, uint64_t first, uint64_t npages)
{
	uint64_t base = first << PAGE_SHIFT, end = (first + npages) << PAGE_SHIFT;

	for (unsigned i = 0; i < map->n; i++) {
		const struct mem_region *r = &map->region[i];
		if (r->type == MEM_USABLE && r->base <= base && end <= r->base + r->len)
			return true;
	}
	return false;
}

int frame_free_run(struct frame_alloc *fa, mpn_t first, uint64_t npages)
{
	if (first.v >= fa->npages || npages == 0 || npages > fa->npages - first.v)
		return -EINVAL;
	/* A run that spans two adjacent usable regions is refused: allocations never merge them after build. */
	if (!is_usable(fa->map, first.v, npages))
		return -EINVAL;
	for (uint64_t i = 0; i < npages; i++)
		if (!test_bit(fa->bitmap, first.v + i))
			return -EINVAL; /* double free: refuse the whole run, change nothing */
	for (uint64_t i = 0; i < npages; i++)
		clear_bit(fa->bitmap, first.v + i);
	fa->free_pages += npages;
	return 0;
}

int frame_free_page(struct frame_alloc *fa, mpn_t mpn)
{
	return frame_free_run(fa, mpn, 1);
}

bool frame_is_allocated(const struct frame_alloc *fa, mpn_t mpn)
{
	return mpn.v < fa->npages && test_bit(fa->bitmap, mpn.v);
}
