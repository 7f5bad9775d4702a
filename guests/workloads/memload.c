/*
 * memload: a guest workload whose throughput depends on the memory the guest has (the paper's Fig. 7 kind).
 *
 *   memload [--seed N] [--duration-s D] [--report-s P] [--start-delay-s S] [--no-final-check] WS_MIB
 *
 * It maps a working set of WS_MIB MiB once (transparent huge pages off, so it is paged 4 KiB at a time), fills every
 * page with content derived from the page's index and the seed, and then for D seconds touches random pages: each
 * touch ("op") reads and checks the page's identity word, its generation word and two other words chosen at random,
 * then writes the generation word (incremented), so the page is dirty again.  While the working set fits in the
 * guest's memory an op costs a few cache misses; when it does not (a balloon inflated, a small VM), part of it lives
 * in swap (zram in ballast's guests: ballast.zram=SIZE) and ops that hit a swapped-out page cost a swap-in.
 *
 * Every P seconds one line, rate over the last interval:
 *     memload: t=<s> ws=<MiB> ops=<n> rate=<ops/s> verified=<n> errors=<n>
 * (t: seconds since the touching began; ops and verified (words checked) since then), and at the end, after a
 * line on swap use when the guest has swap ("memload: swap used=<MiB> MiB of <MiB> MiB; zram0 orig=... compr=...
 * mem_used=... same_pages=... huge_pages=..." from /sys/block/zram0/mm_stat) and a check of every word of every page
 * (unless --no-final-check), the average over the whole run:
 *     memload: done ws=<MiB> ops=<n> rate=<ops/s> errors=<n>
 *
 * Page contents (512 words): word 0 = K (K = a hash of seed and page index: the page's identity), word 1 =
 * hash(K) ^ generation (a per-page counter kept outside the working set, so a lost write or a stale page is caught),
 * words 2..UNIQ-1 = hash(K + i), and the rest repeat words 2..UNIQ-1.  So no page is "same-filled" (one repeated
 * 8-byte word, which zram stores for nothing) and a page compresses to roughly UNIQ/512 of its size: swapping costs
 * real memory, as it would for real data.
 *
 * Options: --seed N (default 1), --duration-s D (default 30; 0: forever), --report-s P (default 5),
 * --start-delay-s S (sleep S s before allocating; default 0), --no-final-check.
 * Exit codes: 0 success, 1 a verification error, 2 usage or allocation error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE       4096UL
#define WORDS      (PAGE / sizeof(uint64_t))
#define UNIQ       168                  /* words 0..UNIQ-1 are distinct; the rest repeat words 2..UNIQ-1 */
#define MAX_ERRORS_SHOWN 10

static uint64_t seed = 1;
static uint64_t *ws;                    /* the working set */
static uint32_t *gen;                   /* generation of each page's word 1 */
static unsigned long npages, ws_mib;
static unsigned long long errors;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(unsigned long s)
{
	struct timespec ts = { (time_t)s, 0 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* splitmix64 finaliser: a cheap, well-mixed 64-bit hash. */
static inline uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t page_key(unsigned long pg)
{
	return mix(seed ^ mix(pg));
}

/* The value word i of page pg must hold (key = page_key(pg)). */
static inline uint64_t word_value(unsigned long pg, uint64_t key, unsigned long i)
{
	if (i == 0)
		return key;
	if (i == 1)
		return mix(key) ^ gen[pg];
	if (i >= UNIQ)
		i = 2 + (i - 2) % (UNIQ - 2);
	return mix(key + i);
}

static void error_at(unsigned long pg, unsigned long i, uint64_t got, uint64_t want)
{
	if (++errors <= MAX_ERRORS_SHOWN)
		printf("memload: ERROR page %lu word %lu: read 0x%016llx, expected 0x%016llx\n", pg, i,
		       (unsigned long long)got, (unsigned long long)want);
}

static inline int check(unsigned long pg, uint64_t key, unsigned long i)
{
	uint64_t got = ((volatile uint64_t *)ws)[pg * WORDS + i], want = word_value(pg, key, i);
	if (got != want) {
		error_at(pg, i, got, want);
		return 1;
	}
	return 0;
}

/* xorshift64*: the page and word choices. */
static uint64_t rng_state;
static inline uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* After the touching: how much of the guest is in swap, and, with zram, what it costs (mm_stat, bytes). */
static void report_swap(void)
{
	unsigned long long total = 0, sfree = 0, f[8] = { 0 };
	char line[256];
	FILE *m = fopen("/proc/meminfo", "r");
	if (!m)
		return;
	while (fgets(line, sizeof(line), m)) {
		sscanf(line, "SwapTotal: %llu kB", &total);
		sscanf(line, "SwapFree: %llu kB", &sfree);
	}
	fclose(m);
	if (!total)
		return;
	printf("memload: swap used=%llu MiB of %llu MiB", (total - sfree) >> 10, total >> 10);
	FILE *z = fopen("/sys/block/zram0/mm_stat", "r");
	if (z && fscanf(z, "%llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6],
	                &f[7]) >= 6)
		printf("; zram0 orig=%llu MiB compr=%llu MiB mem_used=%llu MiB (%llu%% of orig) same_pages=%llu huge_pages=%llu",
		       f[0] >> 20, f[1] >> 20, f[2] >> 20, f[0] ? f[2] * 100 / f[0] : 0ULL, f[5], f[7]);
	if (z)
		fclose(z);
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: memload [--seed N] [--duration-s D] [--report-s P] [--start-delay-s S] "
	                "[--no-final-check] WS_MIB\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno || end == s || *end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	unsigned long duration_s = 30, report_s = 5, delay_s = 0;
	int have_ws = 0, final_check = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(a, "--seed") && more)                seed = num(argv[++i]);
		else if (!strcmp(a, "--duration-s") && more)     duration_s = num(argv[++i]);
		else if (!strcmp(a, "--report-s") && more)       report_s = num(argv[++i]);
		else if (!strcmp(a, "--start-delay-s") && more)  delay_s = num(argv[++i]);
		else if (!strcmp(a, "--no-final-check"))         final_check = 0;
		else if (a[0] != '-' && !have_ws)                { ws_mib = num(a); have_ws = 1; }
		else usage();
	}
	if (!have_ws || ws_mib == 0 || ws_mib > (1UL << 24) || report_s == 0)
		usage();
	if (delay_s)
		sleep_s(delay_s);

	npages = ws_mib * (1UL << 20) / PAGE;
	gen = calloc(npages, sizeof(*gen));
	void *m = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!gen || m == MAP_FAILED) {
		printf("memload: cannot allocate %lu MiB: %s\n", ws_mib, strerror(errno));
		return 2;
	}
	ws = m;
	madvise(ws, npages * PAGE, MADV_NOHUGEPAGE);    /* 4 KiB pages: what a balloon and swap deal in */

	double t0 = now_s();
	for (unsigned long pg = 0; pg < npages; pg++) {
		uint64_t key = page_key(pg), *w = ws + pg * WORDS;
		for (unsigned long i = 0; i < UNIQ; i++)
			w[i] = word_value(pg, key, i);
		for (unsigned long i = UNIQ; i < WORDS; i++)
			w[i] = w[2 + (i - 2) % (UNIQ - 2)];
	}
	printf("memload: filled ws=%lu MiB (%lu pages) in %.0f ms\n", ws_mib, npages, (now_s() - t0) * 1e3);

	rng_state = mix(seed ^ 0x6d656d6c6f6164ULL) | 1;
	unsigned long long ops = 0, verified = 0, last_ops = 0;
	double start = now_s(), last = start, end = duration_s ? start + (double)duration_s : 1e300;
	double next_report = start + (double)report_s;
	for (;;) {
		for (int k = 0; k < 64; k++) {
			uint64_t r = rng();
			unsigned long pg = (unsigned long)(r % npages);
			uint64_t key = page_key(pg);
			unsigned long a = 2 + (unsigned long)((r >> 40) % (WORDS - 2));
			unsigned long b = 2 + (unsigned long)((r >> 52) % (WORDS - 2));
			check(pg, key, 0);
			check(pg, key, 1);
			check(pg, key, a);
			check(pg, key, b);
			verified += 4;
			gen[pg]++;
			ws[pg * WORDS + 1] = word_value(pg, key, 1);
		}
		ops += 64;
		double t = now_s();
		if (t >= next_report) {
			printf("memload: t=%.1f ws=%lu ops=%llu rate=%.0f verified=%llu errors=%llu\n", t - start, ws_mib,
			       ops, (double)(ops - last_ops) / (t - last), verified, errors);
			last = t;
			last_ops = ops;
			while (next_report <= t)
				next_report += (double)report_s;
		}
		if (t >= end)
			break;
	}
	double elapsed = now_s() - start;
	report_swap();

	if (final_check) {
		double c0 = now_s();
		unsigned long long before = errors;
		for (unsigned long pg = 0; pg < npages; pg++) {
			uint64_t key = page_key(pg);
			for (unsigned long i = 0; i < WORDS; i++)
				check(pg, key, i);
		}
		printf("memload: final check of all %lu pages: %llu errors in %.0f ms\n", npages, errors - before,
		       (now_s() - c0) * 1e3);
	}
	printf("memload: done ws=%lu ops=%llu rate=%.0f errors=%llu\n", ws_mib, ops, (double)ops / elapsed, errors);
	return errors ? 1 : 0;
}
