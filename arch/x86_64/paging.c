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
