/*
 * Which 64-bit page hash, and what a sharing scan costs per page (paper §4.1).
 *
 * Every figure is ns per 4 KiB page over a buffer much larger than the last-level cache (cold: the page comes from
 * memory, as it does for the scanner, which picks pages at random), and, for the hashes, over one page hot in L1
 * (pure compute).  Baselines measured in the same run: reading the page (sum of its words) and copying it.
 * Candidates: pagehash (mm/pagehash.c: four folded-multiply chains), XXH64 (the algorithm, written out here),
 * MurmurHash64A, FNV-1a 64.  The scanner figures run mm_share_page() on a fake machine: a pass that leaves hints,
 * a pass whose pages match hints (rehash the hinted page + full compare + share), and a pass whose pages match
 * shared frames (hash + lookup + full compare + remap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/bench_util.h"
#include "mm/mm.h"
#include "mm/pagehash.h"
#include "tests/env/fake_machine.h"

#define NPAGES 32768 /* 128 MiB: far beyond the LLC */

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* XXH64 over exactly 4096 bytes, seed 0 (Collet's algorithm). */
#define P1 11400714785074694791ULL
#define P2 14029467366897019727ULL
#define P3 1609587929392839161ULL
#define P4 9650029242287828579ULL
#define P5 2870177450012600261ULL
static inline uint64_t xround(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl(acc, 31);
	return acc * P1;
}
static inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
	acc ^= xround(0, v);
	return acc * P1 + P4;
}
static uint64_t xxh64_page(const void *page)
{
	const uint64_t *w = page;
	uint64_t v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1, h;
	for (unsigned i = 0; i < 512; i += 4) {
		v1 = xround(v1, w[i]);
		v2 = xround(v2, w[i + 1]);
		v3 = xround(v3, w[i + 2]);
		v4 = xround(v4, w[i + 3]);
	}
	h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
	h = xmerge(xmerge(xmerge(xmerge(h, v1), v2), v3), v4);
	h += 4096;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	return h ^ (h >> 32);
}

static uint64_t murmur64a_page(const void *page)
{
	const uint64_t m = 0xc6a4a7935bd1e995ULL, *w = page;
	uint64_t h = 4096 * m;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t k = w[i] * m;
		k ^= k >> 47;
		h = (h ^ (k * m)) * m;
	}
	h ^= h >> 47;
	h *= m;
	return h ^ (h >> 47);
}

static uint64_t fnv1a_page(const void *page)
{
	const uint8_t *b = page;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (unsigned i = 0; i < 4096; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t read_page(const void *page)
{
	const uint64_t *w = page;
	uint64_t a = 0, b = 0, c = 0, d = 0; /* four chains: as fast as the loads can go */
	for (unsigned i = 0; i < 512; i += 4)
		a += w[i], b += w[i + 1], c += w[i + 2], d += w[i + 3];
	return a + b + c + d;
}

static uint8_t *buf;
static uint8_t dst[4096] __attribute__((aligned(64)));

static uint64_t copy_page(const void *page)
{
	memcpy(dst, page, 4096);
	return dst[7];
}

/* Best of 5 passes over the cold buffer, ns per page. */
static double per_page_cold(uint64_t (*fn)(const void *))
{
	double best = 1e30;
	for (int r = 0; r < 5; r++) {
		uint64_t s = 0;
		double t0 = now_ns();
		for (unsigned p = 0; p < NPAGES; p++)
			s += fn(buf + (uint64_t)p * 4096);
		double t = (now_ns() - t0) / NPAGES;
		bench_sink = s;
		best = t < best ? t : best;
	}
	return best;
}

static double per_page_hot(uint64_t (*fn)(const void *))
{
	double best = 1e30;
	for (int r = 0; r < 5; r++) {
		uint64_t s = 0;
		double t0 = now_ns();
		for (unsigned i = 0; i < 20000; i++) {
			buf[0] = (uint8_t)i; /* defeat hoisting */
			s += fn(buf);
		}
		double t = (now_ns() - t0) / 20000;
		bench_sink = s;
		best = t < best ? t : best;
	}
	return best;
}

static double scan_pass(struct fake_machine *fm, struct mm_vm *vm, unsigned n, int *results)
{
	double t0 = now_ns();
	for (unsigned p = 0; p < n; p++)
		results[mm_share_page(&fm->mm, vm, PPN(p))]++;
	return (now_ns() - t0) / n;
}

int main(void)
{
	static const struct {
		const char *name;
		uint64_t (*fn)(const void *);
	} hashes[] = {
		{ "pagehash (chosen)", pagehash },
		{ "xxh64", xxh64_page },
		{ "murmur64a", murmur64a_page },
		{ "fnv1a-64", fnv1a_page },
	};

	buf = aligned_alloc(4096, (uint64_t)NPAGES * 4096);
	struct mm_rng r = { 1 };
	for (uint64_t i = 0; i < (uint64_t)NPAGES * 512; i++)
		((uint64_t *)buf)[i] = rng_next(&r);

	double rd = per_page_cold(read_page), cp = per_page_cold(copy_page);
	double rd_hot = per_page_hot(read_page);
	printf("bench-hash: per 4 KiB page, cold = %u pages (%u MiB) from memory, hot = one page in L1\n", NPAGES,
	       NPAGES / 256);
	printf("  %-20s cold %7.1f ns (%5.2f GB/s)   hot %7.1f ns\n", "read (sum of words)", rd, 4096 / rd, rd_hot);
	printf("  %-20s cold %7.1f ns (%5.2f GB/s)\n", "copy (memcpy)", cp, 4096 / cp);
	for (unsigned i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		double c = per_page_cold(hashes[i].fn), h = per_page_hot(hashes[i].fn);
		printf("  %-20s cold %7.1f ns (%5.2f GB/s, %4.2fx read)   hot %7.1f ns (%5.2f GB/s, %4.2fx read)\n",
		       hashes[i].name, c, 4096 / c, c / rd, h, 4096 / h, h / rd_hot);
	}

	/* The scanner on the real mm/ code: three VMs of NPAGES/4 pages; b duplicates a, c duplicates b. */
	struct mm_tunables t;
	mm_tunables_default(&t);
	t.share_frames_pm = 1000;
	static struct fake_machine fm;
	unsigned n = NPAGES / 4;
	if (fm_init(&fm, 0x100000, 3 * n + 64, 3 * n, &t, false) < 0)
		return 1;
	struct mm_vm *vm[3];
	for (int v = 0; v < 3; v++) {
		char name[4] = { 'a' + v, 0 };
		struct mm_vm_config c = { .name = name, .max_pages = n, .min_pages = 0, .shares = 1 };
		if (fm_vm_create(&fm, &c, &vm[v]) < 0)
			return 1;
		for (unsigned p = 0; p < n; p++)
			fm_write_pattern(&fm, vm[v], PPN(p), 1 + p);
	}
	int res[3][SHARE_FULL + 1] = { { 0 } };
	/* Evict the machine pages from the caches: the scanner finds pages cold. */
	bench_sink = read_page(buf) + per_page_cold(read_page);
	double s0 = scan_pass(&fm, vm[0], n, res[0]);
	bench_sink = (uint64_t)per_page_cold(read_page);
	double s1 = scan_pass(&fm, vm[1], n, res[1]);
	bench_sink = (uint64_t)per_page_cold(read_page);
	double s2 = scan_pass(&fm, vm[2], n, res[2]);
	printf("bench-scan: mm_share_page() per page, %u pages per pass, pages cold\n", n);
	printf("  no match, leave a hint:            %7.1f ns  %4.2fx read  (%d hinted)\n", s0, s0 / rd,
	       res[0][SHARE_HINTED]);
	printf("  match a hint: rehash+compare+share %7.1f ns  %4.2fx read  (%d shared)\n", s1, s1 / rd,
	       res[1][SHARE_SHARED]);
	printf("  match a shared frame: compare+map  %7.1f ns  %4.2fx read  (%d shared)\n", s2, s2 / rd,
	       res[2][SHARE_SHARED]);
	if (mm_audit(&fm.mm))
		return 1;
	fm_destroy(&fm);
	free(buf);
	return 0;
}
