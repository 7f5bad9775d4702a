/*
 * Extended page tables (SDM Vol. 3C §29.3): the hardware copy of a VM's pmap.  Only the pmap layer (mm/) changes
 * them, through the pmap ops the hypervisor implements with these functions, so the two always agree.
 * 4-level tables with 4 KiB leaves (sharing, ballooning and swapping work on 4 KiB pages), write-back memory type.
 */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/compiler.h>
#include <ballast/page.h>

/* EPT entry bits (§29.3.2, Tables 29-1 to 29-6) */
#define EPT_R BIT(0)
#define EPT_W BIT(1)
#define EPT_X BIT(2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MEMTYPE_SHIFT 3 /* leaf: bits 5:3 */
#define EPT_MEMTYPE_WB (6ULL << EPT_MEMTYPE_SHIFT)
#define EPT_IGNORE_PAT BIT(6)
#define EPT_LARGE BIT(7)
#define EPT_ACCESSED BIT(8)
#define EPT_DIRTY BIT(9)
#define EPT_ADDR_MASK 0x000ffffffffff000ULL

/* EPTP (§25.6.11): memory type WB, page-walk length 4 (encoded as 3), optional A/D flag enable. */
#define EPTP_WB 6ULL
#define EPTP_WALK_4 (3ULL << 3)
#define EPTP_AD BIT(6)

/* Where table pages come from; free() gets back exactly what page() gave. */
struct ept_alloc {
	mpn_t (*page)(void *ctx); /* a page, not necessarily zeroed; MPN_INVALID when none */
	void (*free)(void *ctx, mpn_t mpn);
	void *ctx;
};

struct ept {
	struct ept_alloc alloc;
	uint64_t *pml4;
	uint64_t eptp;
	uint64_t table_pages; /* EPT overhead, counted against the VM */
};

int ept_init(struct ept *ept, bool ad_bits, const struct ept_alloc *alloc);
/* Build every table for guest pages 0 .. npages-1 now, so that ept_map() of those pages never allocates: the pmap
 * layer maps pages while holding the memory manager's lock and must not call back into it for a table page. */
int ept_populate(struct ept *ept, uint64_t npages);
/* The accessed bit of ppn's leaf (EPTP A/D enabled), cleared; the caller flushes before relying on a new one. */
bool ept_test_clear_accessed(struct ept *ept, ppn_t ppn);
/* Map one 4 KiB guest page to a machine page with the given EPT_R/W/X permissions (replacing any mapping). */
int ept_map(struct ept *ept, ppn_t ppn, mpn_t mpn, uint64_t perms);
/* Remove a mapping: the next access faults (EPT violation).  Returns the old entry (0 if none). */
uint64_t ept_unmap(struct ept *ept, ppn_t ppn);
/* Change permissions of an existing mapping; returns -ENOENT if unmapped. */
int ept_protect(struct ept *ept, ppn_t ppn, uint64_t perms);
/* The leaf entry for ppn, or 0. */
uint64_t ept_lookup(const struct ept *ept, ppn_t ppn);
/* Flush cached translations for this EPT (after an unmap or a permission reduction). */
void ept_flush(const struct ept *ept);
/* Free every table page; leaf machine pages belong to the pmap and are not touched. */
void ept_destroy(struct ept *ept);

#endif
