/*
 * Swap slots (see swap.h).  A next-fit bitmap search: slots are freed in random order (victims are random), so a
 * free list would buy nothing over a rotating scan of 64 slots per word.
 */
#include <ballast/errno.h>
#include "mm/mm_env.h"
#include "mm/swap.h"

static inline uint64_t words(uint64_t nslots)
{
	return (nslots + 63) / 64;
}

int swap_init(struct swap_area *s, uint64_t nslots)
{
	*s = (struct swap_area){ 0 };
	if (nslots > UINT32_MAX) /* the pmap keeps a slot in 32 bits */
		return -EINVAL;
	s->nslots = nslots; /* first: swap_destroy() frees by it */
	if (nslots) {
		s->bitmap = mm_zalloc(words(nslots) * 8);
		s->sum = mm_zalloc(nslots * sizeof(*s->sum));
		if (!s->bitmap || !s->sum) {
			swap_destroy(s);
			return -ENOMEM;
		}
	}
	return 0;
}

void swap_destroy(struct swap_area *s)
{
	if (s->bitmap)
		mm_free(s->bitmap, words(s->nslots) * 8);
	if (s->sum)
		mm_free(s->sum, s->nslots * sizeof(*s->sum));
	s->bitmap = NULL;
	s->sum = NULL;
}

int swap_reserve(struct swap_area *s, uint64_t n)
{
	if (n > s->nslots - s->reserved)
		return -ENOSPC;
	s->reserved += n;
	return 0;
}

void swap_unreserve(struct swap_area *s, uint64_t n)
{
	MM_BUG_ON(n > s->reserved);
	s->reserved -= n;
}

uint64_t swap_slot_alloc(struct swap_area *s)
{
	uint64_t nw = words(s->nslots);

	if (s->used == s->nslots)
		return SWAP_NONE;
	for (uint64_t i = 0; i < nw; i++) {
		uint64_t w = (s->hint + i) % nw, free_bits = ~s->bitmap[w];
		if (w == nw - 1 && s->nslots % 64) /* bits past the last slot are not slots */
			free_bits &= (1ULL << (s->nslots % 64)) - 1;
		if (free_bits) {
			uint64_t bit = (uint64_t)__builtin_ctzll(free_bits);
			s->bitmap[w] |= 1ULL << bit;
			s->used++;
			s->hint = w;
			return w * 64 + bit;
		}
	}
	MM_BUG_ON(1); /* used < nslots, so a free bit exists */
	return SWAP_NONE;
}

void swap_slot_free(struct swap_area *s, uint64_t slot)
{
	MM_BUG_ON(slot >= s->nslots || !swap_slot_used(s, slot));
	s->bitmap[slot / 64] &= ~(1ULL << (slot % 64));
	s->used--;
}

int swap_slot_used(const struct swap_area *s, uint64_t slot)
{
	return (s->bitmap[slot / 64] >> (slot % 64)) & 1;
}
