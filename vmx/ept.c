/*
 * EPT page tables.  Table pages come from the allocator the VM's owner gives (the memory manager's overhead pages,
 * so that they are accounted to the VM) and go back to it with the VM.
 * Invariant: a non-leaf entry is either 0 or points at a table page with RWX, so permissions are decided at the
 * leaf alone.
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "kernel/memory.h"
#include "vmx/ept.h"
#include "vmx/vmx.h"
#include "vmx/vmx_hw.h"
#include "vmx/vmx_insn.h"

static uint64_t *table_alloc(struct ept *ept)
{
	mpn_t m = ept->alloc.page(ept->alloc.ctx);

	if (!mpn_valid(m))
		return 0;
	memset(mpn_to_ptr(m), 0, PAGE_SIZE);
	ept->table_pages++;
	return mpn_to_ptr(m);
}

int ept_init(struct ept *ept, bool ad_bits, const struct ept_alloc *alloc)
{
	memset(ept, 0, sizeof(*ept));
	ept->alloc = *alloc;
	ept->pml4 = table_alloc(ept);
	if (!ept->pml4)
		return -ENOMEM;
	ept->eptp = (uint64_t)ept->pml4 | EPTP_WB | EPTP_WALK_4 | (ad_bits ? EPTP_AD : 0);
	return 0;
}

/* Walk to the leaf table for gpa, creating tables when create is set. */
static uint64_t *walk(struct ept *ept, uint64_t gpa, bool create)
{
	uint64_t *table = ept->pml4;

	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &table[(gpa >> shift) & 511];
		if (!*e) {
			if (!create)
				return 0;
			uint64_t *next = table_alloc(ept);
			if (!next)
				return 0;
			*e = (uint64_t)next | EPT_RWX;
		}
		table = (uint64_t *)(*e & EPT_ADDR_MASK);
	}
	return &table[(gpa >> 12) & 511];
}

int ept_map(struct ept *ept, ppn_t ppn, mpn_t mpn, uint64_t perms)
{
	uint64_t *leaf = walk(ept, ppn_to_gpa(ppn), true);

	if (!leaf)
		return -ENOMEM;
	*leaf = mpn_to_maddr(mpn) | (perms & EPT_RWX) | EPT_MEMTYPE_WB;
	return 0;
}

int ept_populate(struct ept *ept, uint64_t npages)
{
	/* One walk per 2 MiB of guest-physical space creates every table down to the leaf tables. */
	for (uint64_t p = 0; p < npages; p += 512)
		if (!walk(ept, ppn_to_gpa(PPN(p)), true))
			return -ENOMEM;
	return 0;
}

bool ept_test_clear_accessed(struct ept *ept, ppn_t ppn)
{
	uint64_t *leaf = walk(ept, ppn_to_gpa(ppn), false);

	if (!leaf || !(*leaf & EPT_ACCESSED))
		return false;
	*leaf &= ~EPT_ACCESSED;
	return true;
}

uint64_t ept_unmap(struct ept *ept, ppn_t ppn)
{
	uint64_t *leaf = walk(ept, ppn_to_gpa(ppn), false);
	uint64_t old = leaf ? *leaf : 0;

	if (leaf)
		*leaf = 0;
	return old;
}

int ept_protect(struct ept *ept, ppn_t ppn, uint64_t perms)
{
	uint64_t *leaf = walk(ept, ppn_to_gpa(ppn), false);

	if (!leaf || !*leaf)
		return -ENOENT;
	*leaf = (*leaf & ~EPT_RWX) | (perms & EPT_RWX);
	return 0;
}

uint64_t ept_lookup(const struct ept *ept, ppn_t ppn)
{
	uint64_t *leaf = walk((struct ept *)ept, ppn_to_gpa(ppn), false);

	return leaf ? *leaf : 0;
}

void ept_flush(const struct ept *ept)
{
	invept(vmx_caps.ept_vpid & EPT_CAP_INVEPT_SINGLE ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXT, ept->eptp);
}

static void free_level(struct ept *ept, uint64_t *table, int level)
{
	for (int i = 0; level > 1 && i < 512; i++)
		if (table[i])
			free_level(ept, (uint64_t *)(table[i] & EPT_ADDR_MASK), level - 1);
	ept->alloc.free(ept->alloc.ctx, maddr_to_mpn((uint64_t)table));
}

void ept_destroy(struct ept *ept)
{
	if (ept->pml4)
		free_level(ept, ept->pml4, 4);
	ept->pml4 = 0;
	ept->table_pages = 0;
}
