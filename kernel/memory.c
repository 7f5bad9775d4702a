#include <ballast/compiler.h>
#include "arch/x86_64/paging.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

extern char _image_start[], _end[];

struct memmap machine_map;
struct frame_alloc frames;

#define LOW_MEMORY_END 0x100000 /* real-mode IVT, BIOS data, EBDA, option ROMs: never handed out */

void memory_init(const struct boot_info *bi)
{
	struct memmap *m = &machine_map;

	memmap_reserve(m, 0, LOW_MEMORY_END);
	memmap_reserve(m, (uint64_t)_image_start, (uint64_t)(_end - _image_start));
	for (unsigned i = 0; i < bi->nmodules; i++)
		memmap_reserve(m, bi->module[i].start, bi->module[i].end - bi->module[i].start);
	for (unsigned i = 0; i < bi->ninfo_ranges; i++)
		memmap_reserve(m, bi->info_range[i].start, bi->info_range[i].end - bi->info_range[i].start);
	memmap_build(m);

	/* The allocator's bitmap lives in the first usable memory large enough (below 4 GiB: mapped by boot). */
	uint64_t bytes = align_up(frame_alloc_bitmap_bytes(m), PAGE_SIZE);
	uint64_t where = memmap_find_usable(m, bytes, PAGE_SIZE, LOW_MEMORY_END);
	if (where == UINT64_MAX || where + bytes > BOOT_IDENTITY_MAP_END)
		panic("no room for the frame bitmap (%llu bytes)", (unsigned long long)bytes);
	memmap_reserve(m, where, bytes);
	memmap_build(m);
	if (m->dropped)
		printk("memory: warning: %u memory-map entries did not fit and were ignored\n", m->dropped);

	printk("memory map (%s%s):\n", bi->loader, bi->efi_mmap ? ", UEFI descriptors" : ", e820");
	for (unsigned i = 0; i < m->n; i++) {
		const struct mem_region *r = &m->region[i];
		printk("  %016llx-%016llx %8llu KiB %s\n", (unsigned long long)r->base,
		       (unsigned long long)(r->base + r->len - 1), (unsigned long long)(r->len >> 10),
		       mem_type_name(r->type));
	}
	frame_alloc_init(&frames, m, maddr_to_ptr(where));
	paging_map_all_memory(memmap_highest_usable(m));

	uint64_t total = memmap_usable_bytes(m) + memmap_type_bytes(m, MEM_BALLAST);
	printk("memory: total %llu MiB, reserved by ballast %llu KiB (image %llu KiB, %u modules, frame bitmap %llu KiB),"
	       " free %llu MiB (%llu frames)\n",
	       (unsigned long long)(total >> 20), (unsigned long long)(memmap_type_bytes(m, MEM_BALLAST) >> 10),
	       (unsigned long long)((uint64_t)(_end - _image_start) >> 10), bi->nmodules,
	       (unsigned long long)(bytes >> 10), (unsigned long long)((frames.free_pages * PAGE_SIZE) >> 20),
	       (unsigned long long)frames.free_pages);
}
