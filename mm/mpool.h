/*
 * The machine-page pool: every machine page the memory manager may hand out, with one 8-byte record per page
 * naming its single owner (SPEC §2.1: "every machine page is accounted to exactly one owner").
 *
 * Data structures: the pool is given at init as up to MPOOL_MAX_RANGES runs of MPNs.  Pages are numbered densely
 * by a pool index (uint32_t) across the runs; the pmap and the sharing frames store pool indices, which keeps their
 * entries small.  Free pages form a singly linked LIFO list threaded through struct mpage.link.
 *
 * Owners: free; a VM's private page (link = the PPN that maps it: a reverse map the audit checks); the sharing
 * table (link = its sharing frame, id = its sharing domain); the hypervisor itself; or hypervisor overhead on behalf
 * of a VM (EPT tables, VMCS: id = the VM) so that the audit also covers those pages.
 */
#ifndef MM_MPOOL_H
#define MM_MPOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/page.h>

#define MPOOL_MAX_RANGES 16
#define MPOOL_NONE UINT32_MAX

enum mp_kind {
	MP_FREE = 0,
	MP_VM,	   /* private page of VM id, mapped by PPN link */
	MP_SHARED, /* owned by the sharing table: frame link, sharing domain id */
	MP_HV,	   /* the hypervisor's own */
	MP_HV_VM,  /* hypervisor overhead for VM id (EPT, VMCS, device state) */
	MP_IO,	   /* held by a swap I/O its VM let go of (link: the I/O), until the device is done with it */
	MP_NKINDS
};

struct mpage {
	uint8_t kind;  /* enum mp_kind */
	uint8_t pad;
	uint16_t id;   /* VM id (MP_VM, MP_HV_VM) or sharing domain (MP_SHARED) */
	uint32_t link; /* free: next free index; MP_VM: PPN; MP_SHARED: frame index */
};
_Static_assert(sizeof(struct mpage) == 8, "one 8-byte record per machine page");

struct mpn_range {
	mpn_t first;
	uint64_t npages;
};

struct mpool {
	struct mpage *meta;
	uint32_t npages;
	uint32_t free_head;
	uint32_t count[MP_NKINDS]; /* pages per owner kind; count[MP_FREE] is the free count */
	unsigned nranges;
	struct {
		uint64_t first; /* first MPN of the run */
		uint64_t npages;
		uint32_t base; /* pool index of its first page */
	} range[MPOOL_MAX_RANGES];
};

/* -EINVAL for empty/overlapping/too many ranges or more than 2^32-1 pages, -ENOMEM for metadata. */
int mpool_init(struct mpool *p, const struct mpn_range *r, unsigned n);
void mpool_destroy(struct mpool *p);

/* A page for owner (kind, id), link set as above; MPOOL_NONE when the pool is empty. */
uint32_t mpool_alloc(struct mpool *p, enum mp_kind kind, uint16_t id, uint32_t link);
void mpool_free(struct mpool *p, uint32_t idx);
/* Hand a page from one owner to another without freeing it (a private page becoming shared and back). */
void mpool_retag(struct mpool *p, uint32_t idx, enum mp_kind kind, uint16_t id, uint32_t link);

mpn_t mpool_mpn(const struct mpool *p, uint32_t idx);
uint32_t mpool_idx(const struct mpool *p, mpn_t mpn); /* MPOOL_NONE when mpn is not in the pool */

static inline const struct mpage *mpool_page(const struct mpool *p, uint32_t idx)
{
	return &p->meta[idx];
}

static inline uint32_t mpool_free_pages(const struct mpool *p)
{
	return p->count[MP_FREE];
}

#endif
