/*
 * The sharing table's data structure (see share.h for the frame layout).  Chains are singly linked; removal walks
 * the chain from its bucket, which is short (two frames per bucket at most on average).
 */
#include <ballast/errno.h>
#include "mm/mm_env.h"
#include "mm/share.h"

#define OVF_CAP 64 /* pages referenced 65535+ times: a handful (the zero page, a common library page) */

int share_init(struct share_table *t, uint32_t nframes)
{
	*t = (struct share_table){ 0 };
	if (nframes < 2 || nframes > SF_LINK_MASK)
		return -EINVAL;
	t->bucket_bits = 1; /* the largest power of two <= nframes / 2: chains of two frames when full */
	while ((2u << t->bucket_bits) <= nframes / 2 && t->bucket_bits < 30)
		t->bucket_bits++;
	t->frame = mm_zalloc((uint64_t)nframes * sizeof(*t->frame));
	t->bucket = mm_zalloc(((uint64_t)1 << t->bucket_bits) * sizeof(*t->bucket));
	t->ovf = mm_zalloc(OVF_CAP * sizeof(*t->ovf));
	if (!t->frame || !t->bucket || !t->ovf) {
		share_destroy(t);
		return -ENOMEM;
	}
	t->nframes = nframes;
	t->novf_cap = OVF_CAP;
	for (uint32_t i = nframes - 1; i >= 1; i--) { /* ascending free list, frame 0 stays the null link */
		t->frame[i].next = t->free_head;
		t->free_head = i;
	}
	return 0;
}

void share_destroy(struct share_table *t)
{
	if (t->frame)
		mm_free(t->frame, (uint64_t)t->nframes * sizeof(*t->frame));
	if (t->bucket)
		mm_free(t->bucket, ((uint64_t)1 << t->bucket_bits) * sizeof(*t->bucket));
	if (t->ovf)
		mm_free(t->ovf, OVF_CAP * sizeof(*t->ovf));
	*t = (struct share_table){ 0 };
}

static inline uint32_t bucket_of(const struct share_table *t, uint64_t hash)
{
	return (uint32_t)(hash >> (64 - t->bucket_bits)); /* top bits: they are kept in the frame's key */
}

uint32_t share_chain(const struct share_table *t, uint64_t hash)
{
	return t->bucket[bucket_of(t, hash)];
}

static uint32_t frame_new(struct share_table *t, uint64_t hash, uint16_t low, bool hint, uint32_t obj)
{
	uint32_t f = t->free_head, b = bucket_of(t, hash);

	if (f == SF_NIL)
		return SF_NIL;
	t->free_head = sf_next(&t->frame[f]);
	t->frame[f] = (struct share_frame){
		.key = (hash & SF_KEY_MASK) | low,
		.next = t->bucket[b] | (hint ? SF_HINT : 0),
		.obj = obj,
	};
	t->bucket[b] = f;
	return f;
}

uint32_t share_add_hint(struct share_table *t, uint64_t hash, uint16_t vm, uint32_t ppn)
{
	uint32_t f = frame_new(t, hash, vm, true, ppn);

	t->nhints += f != SF_NIL;
	return f;
}

uint32_t share_add_shared(struct share_table *t, uint64_t hash, uint32_t mpn_idx)
{
	uint32_t f = frame_new(t, hash, 1, false, mpn_idx);

	t->nshared += f != SF_NIL;
	return f;
}

void share_hint_to_shared(struct share_table *t, uint32_t f, uint32_t mpn_idx)
{
	struct share_frame *fr = &t->frame[f];

	MM_ASSERT(sf_is_hint(fr));
	fr->next &= SF_LINK_MASK;
	fr->key = (fr->key & SF_KEY_MASK) | 1;
	fr->obj = mpn_idx;
	t->nhints--;
	t->nshared++;
}

void share_remove(struct share_table *t, uint32_t f)
{
	struct share_frame *fr = &t->frame[f];
	uint32_t *link = &t->bucket[bucket_of(t, fr->key)];

	MM_ASSERT(f != SF_NIL && f < t->nframes);
	MM_ASSERT(sf_is_hint(fr) || share_count(t, f) == 0);
	/* Walk to the link that points at f; the hint bit rides in the same word, so keep it. */
	while ((*link & SF_LINK_MASK) != f) {
		MM_BUG_ON((*link & SF_LINK_MASK) == SF_NIL); /* f is not in its own chain: the table is corrupt */
		link = &t->frame[*link & SF_LINK_MASK].next;
	}
	*link = (*link & SF_HINT) | sf_next(fr);
	if (sf_is_hint(fr))
		t->nhints--;
	else
		t->nshared--;
	*fr = (struct share_frame){ .next = t->free_head };
	t->free_head = f;
}

static struct share_ovf *ovf_find(const struct share_table *t, uint32_t f)
{
	for (uint32_t i = 0; i < t->novf_cap; i++)
		if (t->ovf[i].frame == f)
			return &t->ovf[i];
	return NULL;
}

uint32_t share_count(const struct share_table *t, uint32_t f)
{
	uint16_t c = (uint16_t)t->frame[f].key;

	MM_ASSERT(!sf_is_hint(&t->frame[f]));
	if (c != SF_COUNT_OVF)
		return c;
	struct share_ovf *o = ovf_find(t, f);
	MM_BUG_ON(!o);
	return o->count;
}

static void set_low(struct share_frame *fr, uint16_t v)
{
	fr->key = (fr->key & SF_KEY_MASK) | v;
}

uint32_t share_get(struct share_table *t, uint32_t f)
{
	struct share_frame *fr = &t->frame[f];
	uint32_t c = share_count(t, f);
	struct share_ovf *o;

	if (c + 1 < SF_COUNT_OVF) {
		set_low(fr, (uint16_t)(c + 1));
		return c + 1;
	}
	if (c >= SF_COUNT_OVF) { /* already spilled */
		o = ovf_find(t, f);
		if (o->count == UINT32_MAX)
			return 0;
		return ++o->count;
	}
	o = ovf_find(t, SF_NIL); /* c + 1 == 0xffff: spill */
	if (!o)
		return 0;
	*o = (struct share_ovf){ .frame = f, .count = c + 1 };
	set_low(fr, SF_COUNT_OVF);
	return c + 1;
}

uint32_t share_put(struct share_table *t, uint32_t f)
{
	struct share_frame *fr = &t->frame[f];
	uint32_t c = share_count(t, f);
	struct share_ovf *o;

	MM_BUG_ON(c == 0);
	if (c < SF_COUNT_OVF) {
		set_low(fr, (uint16_t)(c - 1));
		return c - 1;
	}
	o = ovf_find(t, f);
	if (--o->count < SF_COUNT_OVF) { /* back in range: free the overflow slot */
		set_low(fr, (uint16_t)o->count);
		c = o->count;
		*o = (struct share_ovf){ 0 };
		return c;
	}
	return o->count;
}
