#include <ballast/errno.h>
#include <ballast/page.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "kernel/memory.h"
#include "kernel/panic.h"

extern uint64_t boot_pml4[512];

static uint64_t *table_alloc(void)
{
	mpn_t m = frame_alloc_page(&frames);

	if (!mpn_valid(m))
		panic("out of memory for hypervisor page tables");
	memset(mpn_to_ptr(m), 0, PAGE_SIZE);
	return mpn_to_ptr(m);
}

static uint64_t *next_level(uint64_t *table, unsigned index)
{
	if (!(table[index] & PTE_P))
		table[index] = (uint64_t)table_alloc() | PTE_P | PTE_W;
	return (uint64_t *)(table[index] & PTE_ADDR_MASK);
}

void paging_map_all_memory(uint64_t end)
{
	/* New tables are reached through the boot map (they come from below 4 GiB first-fit), so the map can grow in
	 * place: each 2 MiB page above 4 GiB is added where boot left a hole. */
	for (uint64_t a = BOOT_IDENTITY_MAP_END; a < end; a += 2ULL << 20) {
		uint64_t *pdpt = next_level(boot_pml4, (a >> 39) & 511);
		uint64_t *pd = next_level(pdpt, (a >> 30) & 511);
		pd[(a >> 21) & 511] = a | PTE_P | PTE_W | PTE_PS;
	}
	write_cr3(read_cr3()); /* nothing was mapped there before, but be explicit */
}

/*
 * Device registers must not be cached: a cached read returns a stale status, a posted write may sit in the cache and
 * never reach the device.  The identity map is write-back (PAT entry 0; ballast keeps the power-on PAT, in which
 * PCD | PWT selects entry 3, UC), and the MTRRs firmware sets need not cover a BAR, above 4 GiB least of all.  The
 * map has 2 MiB pages, so the whole 2 MiB around the registers becomes uncached: in the PCI hole that is other
 * devices' registers, which want the same.  The registers were never touched through the old mapping, so there are
 * no cached lines of them to write back; invlpg drops the old translation.
 */
int paging_map_uncached(uint64_t base, uint64_t size)
{
	if (!size || base >= PAGING_IDENTITY_LIMIT || size > PAGING_IDENTITY_LIMIT - base)
		return -ERANGE;
	for (uint64_t a = align_down(base, 2ULL << 20); a < base + size; a += 2ULL << 20) {
		uint64_t *pdpt = next_level(boot_pml4, (a >> 39) & 511);
		uint64_t *pd = next_level(pdpt, (a >> 30) & 511);
		pd[(a >> 21) & 511] = a | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT;
		invlpg(a);
	}
	return 0;
}
