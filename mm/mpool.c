/*
 * The machine-page pool (see mpool.h for the data structures).  O(1) alloc and free; MPN <-> index conversion
 * walks at most MPOOL_MAX_RANGES runs (usually one or two).
 */
#include <ballast/errno.h>
#include "mm/mm_env.h"
#include "mm/mpool.h"

int mpool_init(struct mpool *p, const struct mpn_range *r, unsigned n)
{
	uint64_t total = 0;

	*p = (struct mpool){ .free_head = MPOOL_NONE };
	if (n == 0 || n > MPOOL_MAX_RANGES)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (r[i].npages == 0 || !mpn_valid(r[i].first))
			return -EINVAL;
		for (unsigned j = 0; j < i; j++) /* overlapping runs would give one page two records */
			if (r[i].first.v < r[j].first.v + r[j].npages && r[j].first.v < r[i].first.v + r[i].npages)
				return -EINVAL;
		p->range[i].first = r[i].first.v;
		p->range[i].npages = r[i].npages;
		p->range[i].base = (uint32_t)total;
		total += r[i].npages;
		if (total >= MPOOL_NONE)
			return -EINVAL;
	}
	p->meta = mm_zalloc(total * sizeof(struct mpage));
	if (!p->meta)
		return -ENOMEM;
	p->nranges = n;
	p->npages = (uint32_t)total;
	/* Thread the free list in ascending order: early allocations are low pages, easier to read in traces. */
	for (uint32_t i = 0; i < p->npages; i++)
		p->meta[i].link = i + 1 < p->npages ? i + 1 : MPOOL_NONE;
	p->free_head = 0;
	p->count[MP_FREE] = p->npages;
	return 0;
}

void mpool_destroy(struct mpool *p)
{
	mm_free(p->meta, (uint64_t)p->npages * sizeof(struct mpage));
	p->meta = NULL;
}

uint32_t mpool_alloc(struct mpool *p, enum mp_kind kind, uint16_t id, uint32_t link)
{
	uint32_t idx = p->free_head;

	MM_ASSERT(kind != MP_FREE);
	if (idx == MPOOL_NONE)
		return MPOOL_NONE;
	MM_ASSERT(p->meta[idx].kind == MP_FREE);
	p->free_head = p->meta[idx].link;
	p->count[MP_FREE]--;
	p->count[kind]++;
	p->meta[idx] = (struct mpage){ .kind = kind, .id = id, .link = link };
	return idx;
}

void mpool_free(struct mpool *p, uint32_t idx)
{
	struct mpage *m = &p->meta[idx];

	MM_BUG_ON(idx >= p->npages);
	MM_BUG_ON(m->kind == MP_FREE); /* a double free */
	p->count[m->kind]--;
	*m = (struct mpage){ .kind = MP_FREE, .link = p->free_head };
	p->free_head = idx;
	p->count[MP_FREE]++;
}

void mpool_retag(struct mpool *p, uint32_t idx, enum mp_kind kind, uint16_t id, uint32_t link)
{
	struct mpage *m = &p->meta[idx];

	MM_ASSERT(m->kind != MP_FREE && kind != MP_FREE);
	p->count[m->kind]--;
	p->count[kind]++;
	*m = (struct mpage){ .kind = kind, .id = id, .link = link };
}

mpn_t mpool_mpn(const struct mpool *p, uint32_t idx)
{
	for (unsigned i = 0; i < p->nranges; i++)
		if (idx - p->range[i].base < p->range[i].npages)
			return MPN(p->range[i].first + (idx - p->range[i].base));
	MM_BUG_ON(1);
	return MPN_INVALID;
}

uint32_t mpool_idx(const struct mpool *p, mpn_t mpn)
{
	for (unsigned i = 0; i < p->nranges; i++)
		if (mpn.v - p->range[i].first < p->range[i].npages)
			return p->range[i].base + (uint32_t)(mpn.v - p->range[i].first);
	return MPOOL_NONE;
}
