/*
 * A deterministic pseudo-random generator for the memory manager's random choices (pages to scan, to sample, to
 * swap).  splitmix64: one 64-bit state, full period, good enough statistics, no floating point.  Seeded from
 * mm_tunables.seed so that tests and simulations replay exactly.
 */
#ifndef MM_RNG_H
#define MM_RNG_H

#include <stdint.h>

struct mm_rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct mm_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) by the multiply-high method (no division, negligible bias for n << 2^64). */
static inline uint64_t rng_below(struct mm_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

#endif
