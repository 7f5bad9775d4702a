/*
 * The machine frame allocator: hands out 4 KiB machine pages, singly or as aligned contiguous runs.
 *
 * Structure: one bit per machine page from MPN 0 to the highest usable page (1 = in use or not RAM).  Chosen
 * because (a) its cost is fixed and tiny, 32 KiB per GiB (0.003%), and it needs no memory from itself; (b) it
 * answers contiguous, aligned requests (VMCS, EPT tables, guest images, 2 MiB runs) by a plain scan, which a free
 * list cannot; (c) a double free or a free of a never-allocated page is caught exactly, which a buddy allocator's
 * merged blocks make harder.  Single-page allocations scan 64 pages per step from a rotating hint, so the cost is
 * proportional to how full memory is, not to its size.  Per-page ownership (which VM, shared, hypervisor) is not
 * kept here: the memory manager core (mm/) takes pages from this allocator and accounts for every one of them.
 */
#ifndef MM_FRAME_ALLOC_H
#define MM_FRAME_ALLOC_H

#include <stdint.h>
#include <ballast/page.h>
#include "mm/memmap.h"

struct frame_alloc {
	uint64_t *bitmap;     /* bit set = page unavailable */
	uint64_t npages;      /* pages covered by the bitmap: MPN 0 .. npages-1 */
	uint64_t total_pages; /* usable pages in the memory map */
	uint64_t free_pages;
	uint64_t hint;	      /* bitmap word where the next single-page search starts */
	const struct memmap *map; /* kept to refuse frees of pages that were never RAM */
};

/* Bytes of bitmap needed for map (call after memmap_build()). */
uint64_t frame_alloc_bitmap_bytes(const struct memmap *map);
/* Initialise over map's usable ranges using bitmap storage of frame_alloc_bitmap_bytes() bytes.  The caller must
 * already have reserved the bitmap's own memory in map (memmap_reserve + memmap_build).  map must outlive fa. */
void frame_alloc_init(struct frame_alloc *fa, const struct memmap *map, uint64_t *bitmap);

mpn_t frame_alloc_page(struct frame_alloc *fa);				 /* MPN_INVALID when exhausted */
mpn_t frame_alloc_run(struct frame_alloc *fa, uint64_t npages, uint64_t align); /* align in pages, power of 2 */
int frame_free_page(struct frame_alloc *fa, mpn_t mpn);			 /* -EINVAL: not allocated */
int frame_free_run(struct frame_alloc *fa, mpn_t first, uint64_t npages); /* all-or-nothing */
bool frame_is_allocated(const struct frame_alloc *fa, mpn_t mpn);

#endif
