/*
 * pagehash: a 64-bit hash specialised to exactly one 4 KiB page.
 *
 * Eight lanes each consume 16 bytes per step through a folded 64x64->128-bit multiply ("mum", as in wyhash): the
 * product's two halves xored together.  Each lane chains its previous value into the next multiply, so the hash
 * depends on the position of every word (two swapped 16-byte chunks hash differently), and the eight chains are
 * independent so the multiplier is kept busy.  The lanes are folded and finished with a splitmix-style avalanche.
 * Only integer registers are used (the hypervisor is built with -mgeneral-regs-only); the 128-bit product is one
 * MUL instruction on x86-64, no library call.
 *
 * Not a cryptographic hash: a collision only costs one full page compare, which sharing always does (paper §4.1).
 */
#include "mm/pagehash.h"

#define PH_WORDS (4096 / 8)

static inline uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Odd constants with balanced bits (from wyhash's secret): they keep a zero word from zeroing a product. */
#define K0 0xa0761d6478bd642fULL
#define K1 0xe7037ed1a0b428dbULL
#define K2 0x8ebc6af09c88c6e3ULL
#define K3 0x589965cc75374cc3ULL

uint64_t pagehash(const void *page)
{
	const uint64_t *w = page;
	uint64_t a = K0, b = K1, c = K2, d = K3, e = ~K0, f = ~K1, g = ~K2, h = ~K3;

	for (unsigned i = 0; i < PH_WORDS; i += 16) { /* two cache lines per step, eight independent chains */
		a = mum(w[i + 0] ^ a, w[i + 1] ^ K1);
		b = mum(w[i + 2] ^ b, w[i + 3] ^ K2);
		c = mum(w[i + 4] ^ c, w[i + 5] ^ K3);
		d = mum(w[i + 6] ^ d, w[i + 7] ^ K0);
		e = mum(w[i + 8] ^ e, w[i + 9] ^ K1);
		f = mum(w[i + 10] ^ f, w[i + 11] ^ K2);
		g = mum(w[i + 12] ^ g, w[i + 13] ^ K3);
		h = mum(w[i + 14] ^ h, w[i + 15] ^ K0);
	}
	a = mum(a ^ K2, b ^ K3) ^ mum(c ^ K0, d ^ K1) ^ mum(e ^ K1, f ^ K0) ^ mum(g ^ K3, h ^ K2);
	a ^= a >> 31;
	a *= 0xbf58476d1ce4e5b9ULL;
	return a ^ (a >> 29);
}

bool page_is_zero(const void *page)
{
	const uint64_t *w = page;

	for (unsigned i = 0; i < PH_WORDS; i += 8)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			return false;
	return true;
}
