/*
 * The hypervisor's own page tables: an identity map of machine memory (4-level, SDM Vol. 3A §4.5).
 */
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include <stdint.h>
#include <ballast/compiler.h>

#define PTE_P BIT(0)
#define PTE_W BIT(1)
#define PTE_U BIT(2)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_A BIT(5)
#define PTE_D BIT(6)
#define PTE_PS BIT(7)
#define PTE_G BIT(8)
#define PTE_NX BIT(63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

#define BOOT_IDENTITY_MAP_END (4ULL << 30) /* boot/entry.asm maps 0-4 GiB with 2 MiB pages */

/* Extend the identity map to cover [0, end) with 2 MiB pages, taking page tables from the frame allocator. */
void paging_map_all_memory(uint64_t end);

#define PAGING_IDENTITY_LIMIT (1ULL << 47) /* the lower canonical half: as far as an identity map can reach */

/* Identity-map a device's registers [base, base + size) uncached, in place of (or, above what is mapped, in addition
 * to) the write-back identity map.  0, or -ERANGE for an empty range or one beyond PAGING_IDENTITY_LIMIT. */
int paging_map_uncached(uint64_t base, uint64_t size);

#endif
