/*
 * The pmap: one VM's guest-physical to machine map (SPEC §2.1, paper §2), the software master copy of the EPT.
 *
 * One 64-bit entry per PPN, so a pmap costs 8 bytes per guest page (0.2% of guest memory):
 *
 *   63        62..60   59..32                  31..0
 *   SAMPLED   state    hint frame (0 = none)   obj: machine pool index (PRIVATE, SHARED), swap slot (SWAPPED) or
 *                                                   swap I/O (PAGING_OUT, PAGING_IN)
 *
 * States: UNBACKED (never touched, or given back: the next access backs it with a zeroed page), PRIVATE (a machine
 * page owned by this VM, mapped writable), SHARED (mapped read-only to a page owned by the sharing table),
 * BALLOONED (handed to the hypervisor by the guest's balloon; no machine page), SWAPPED (contents in a swap slot),
 * RESERVED (owned by the hypervisor: never backed by the core, never ballooned), PAGING_OUT (being written to a
 * swap slot: its machine page still holds the contents, unmapped, and a touch takes it back) and PAGING_IN (being
 * read back into a new machine page: a touch waits).  For the two PAGING states obj is the swap I/O (pageio.h).
 * SAMPLED is a flag on PRIVATE/SHARED: the page is one of this period's active-memory samples and its EPT entry is
 * removed so that the next access is seen (paper §5.3).  "hint" is the sharing frame that holds a hint for this
 * page, so the hint can be dropped when the page stops being a candidate (paper §4.2).
 *
 * The pmap keeps a count per state so that statistics are O(1).
 */
#ifndef MM_PMAP_H
#define MM_PMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/page.h>

enum pmap_state {
	PS_UNBACKED = 0,
	PS_PRIVATE,
	PS_SHARED,
	PS_BALLOONED,
	PS_SWAPPED,
	PS_RESERVED,
	PS_PAGING_OUT,
	PS_PAGING_IN,
	PS_NSTATES
};
_Static_assert(PS_NSTATES <= 8, "the state has three bits");

typedef uint64_t pte_t; /* a pmap entry */

#define PTE_OBJ_MASK 0xffffffffULL
#define PTE_HINT_SHIFT 32
#define PTE_HINT_MASK 0x0fffffffULL /* 28 bits: at most 2^28 - 1 sharing frames */
#define PTE_STATE_SHIFT 60
#define PTE_SAMPLED (1ULL << 63)

static inline enum pmap_state pte_state(pte_t e)
{
	return (enum pmap_state)((e >> PTE_STATE_SHIFT) & 7);
}
static inline uint32_t pte_obj(pte_t e)
{
	return (uint32_t)(e & PTE_OBJ_MASK);
}
static inline uint32_t pte_hint(pte_t e)
{
	return (uint32_t)((e >> PTE_HINT_SHIFT) & PTE_HINT_MASK);
}
static inline bool pte_sampled(pte_t e)
{
	return e & PTE_SAMPLED;
}
static inline pte_t pte_make(enum pmap_state s, uint32_t obj)
{
	return ((uint64_t)s << PTE_STATE_SHIFT) | obj;
}
static inline pte_t pte_with_hint(pte_t e, uint32_t frame)
{
	return (e & ~(PTE_HINT_MASK << PTE_HINT_SHIFT)) | ((uint64_t)frame << PTE_HINT_SHIFT);
}

struct pmap {
	pte_t *e;
	uint64_t npages;		/* guest-physical pages: PPN 0 .. npages-1 */
	uint64_t count[PS_NSTATES];	/* entries in each state */
	uint64_t nsampled;		/* entries with SAMPLED set */
};

int pmap_init(struct pmap *pm, uint64_t npages); /* all UNBACKED; -ENOMEM, -EINVAL (more than 2^32 pages) */
void pmap_destroy(struct pmap *pm);

static inline bool pmap_in_range(const struct pmap *pm, ppn_t ppn)
{
	return ppn.v < pm->npages;
}
static inline pte_t pmap_get(const struct pmap *pm, ppn_t ppn)
{
	return pm->e[ppn.v];
}
/* Replace an entry, keeping the per-state counts exact. */
void pmap_set(struct pmap *pm, ppn_t ppn, pte_t e);

#endif
