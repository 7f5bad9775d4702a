/*
 * memtouch: a guest workload that allocates memory, fills every page with a known pattern and verifies it.
 *
 *   memtouch [options] MIB
 *
 * Default: allocate MIB MiB at once, write every page, verify every page, print
 *     memtouch: wrote and verified MIB MiB in T ms
 * and exit 0; on a mismatch print "memtouch: FAILED at offset X ..." and exit 1.
 *
 * Options (the gradual and command modes are for the memory-coordinator scenarios, SPEC §4):
 *   --seed N            pattern seed (default 1); same seed in two VMs => identical unique-pattern pages there
 *   --pattern P         unique (default: every page differs, derived from its index and the seed),
 *                       same (every page identical, derived from the seed only: a sharing test), zero (all zeros),
 *                       compressible (unique per page like unique, but only words 0..167 are distinct and the rest
 *                       repeat words 2..167, so lz4/lzo compress a page to ~1/3: what guest swap on zram can hold;
 *                       unique pages barely compress, so swapping them to zram frees no memory at all)
 *   --step-mib S        grow in steps of S MiB instead of all at once...
 *   --interval-ms I     ...waiting I ms between steps (default 1000)
 *   --hold              after allocating, keep the memory and wait (forever, or --hold-s seconds); with
 *   --hold-s N          --touch-ms M the held memory is re-read every M ms, so it stays "active" (SPEC §2.5)
 *   --touch-ms M
 *   --free              after allocating (and holding), free the memory again in --step-mib steps (all at once
 *                       without --step-mib), verifying each step before it is freed
 *   --run CMDS          the same commands from the command line: '/' between commands, ':' for a space
 *                       (--run target:220/hold:20000/target:0), so a guest's phases fit in its kernel command line
 *   --script FILE       ignore MIB and run commands from FILE ("-" = stdin), one per line:
 *                         grow MIB | shrink MIB | target MIB | sleep MS | hold MS | verify | touch | status |
 *                         exit [RC]     (hold: sleep, touching everything every --touch-ms ms)
 *                       (grow/shrink/target move in --step-mib steps, --interval-ms apart; '#' starts a comment)
 *
 * Memory comes from one mmap per MiB (a "chunk"), so freeing a step really gives pages back to the guest kernel
 * (munmap), which a balloon driver then sees as free memory. Progress lines have the fixed form
 *     memtouch: alloc=<MiB> MiB ...
 * Exit codes: 0 success, 1 verification failure, 2 usage or allocation failure.
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

#define CHUNK      (1UL << 20)          /* allocation unit: 1 MiB */
#define PAGE       4096UL
#define PAGES_PER  (CHUNK / PAGE)
#define WORDS_PER  (PAGE / sizeof(uint64_t))

enum pattern { P_UNIQUE, P_SAME, P_ZERO, P_COMPRESSIBLE };
#define C_UNIQ     168                  /* P_COMPRESSIBLE: distinct words per page */

static uint64_t seed = 1;
static enum pattern pattern = P_UNIQUE;
static unsigned long step_mib, interval_ms = 1000;

static uint64_t **chunks;               /* chunks[i] = the i-th MiB, in allocation order */
static unsigned long nchunks, cap;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* splitmix64: a cheap, well-mixed 64-bit hash, so neighbouring pages have unrelated contents. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The value of word w of global page number pg: each word differs, so a page shifted or swapped is caught too. */
static inline uint64_t word_value(uint64_t page_key, unsigned long w)
{
	if (pattern == P_COMPRESSIBLE)
		return mix(page_key + (w < C_UNIQ ? w : 2 + (w - 2) % (C_UNIQ - 2)));
	return pattern == P_ZERO ? 0 : page_key ^ (w * 0x100000001b3ULL);
}

static uint64_t page_key(unsigned long pg)
{
	return pattern == P_SAME ? mix(seed) : mix(seed ^ mix(pg));
}

/*
 * The whole expected page at once: word_value() word by word costs a hash (and, for the compressible pattern, a
 * division) per word, which at an emulator's ~100 MIPS made filling memory slower than the hypervisor's side of it.
 * Same values, computed once per page.
 */
static void expected_page(uint64_t key, uint64_t *w)
{
	if (pattern != P_COMPRESSIBLE) {
		for (unsigned long i = 0; i < WORDS_PER; i++)
			w[i] = word_value(key, i);
		return;
	}
	for (unsigned long i = 0; i < C_UNIQ; i++)
		w[i] = mix(key + i);
	for (unsigned long i = C_UNIQ, j = 2; i < WORDS_PER; i++, j = j + 1 == C_UNIQ ? 2 : j + 1)
		w[i] = w[j]; /* word_value(): words 2..C_UNIQ-1 repeat */
}

static void fill_chunk(unsigned long c)
{
	uint64_t want[WORDS_PER];

	for (unsigned long p = 0; p < PAGES_PER; p++) {
		expected_page(page_key(c * PAGES_PER + p), want);
		memcpy(chunks[c] + p * WORDS_PER, want, PAGE);
	}
}

/* Returns 0, or prints the first mismatch and returns 1. Offsets count from the start of the first chunk. */
static int verify_chunk(unsigned long c)
{
	uint64_t page[WORDS_PER];

	for (unsigned long p = 0; p < PAGES_PER; p++) {
		const volatile uint64_t *w = chunks[c] + p * WORDS_PER;
		expected_page(page_key(c * PAGES_PER + p), page);
		if (!memcmp((const void *)w, page, PAGE))
			continue;
		for (unsigned long i = 0; i < WORDS_PER; i++) {
			uint64_t want = page[i], got = w[i];
			if (got != want) {
				printf("memtouch: FAILED at offset 0x%lx (page %lu word %lu: read 0x%016llx, expected 0x%016llx)\n",
				       c * CHUNK + p * PAGE + i * 8, c * PAGES_PER + p, i,
				       (unsigned long long)got, (unsigned long long)want);
				fflush(stdout);
				return 1;
			}
		}
	}
	return 0;
}

static int verify_all(void)
{
	for (unsigned long c = 0; c < nchunks; c++)
		if (verify_chunk(c))
			return 1;
	return 0;
}

/*
 * Touch every page held: read its first word and check it (a wrong page is still caught, at a hundredth of a full
 * verification's cost).  What makes the workload "active" to a hypervisor that samples accessed bits.
 */
static int touch_all(void)
{
	for (unsigned long c = 0; c < nchunks; c++)
		for (unsigned long p = 0; p < PAGES_PER; p++) {
			uint64_t got = ((const volatile uint64_t *)chunks[c])[p * WORDS_PER];
			uint64_t want = word_value(page_key(c * PAGES_PER + p), 0);
			if (got != want) {
				printf("memtouch: FAILED at offset 0x%lx (page %lu word 0: read 0x%016llx, expected 0x%016llx)\n",
				       c * CHUNK + p * PAGE, c * PAGES_PER + p, (unsigned long long)got,
				       (unsigned long long)want);
				fflush(stdout);
				return 1;
			}
		}
	return 0;
}

static unsigned long touch_ms;	/* --touch-ms: touch everything held this often, while growing and holding */
static uint64_t last_touch_ms;

/* Touch everything when touch_ms has passed since the last time. */
static int touch_if_due(void)
{
	if (!touch_ms || now_ms() - last_touch_ms < touch_ms)
		return 0;
	last_touch_ms = now_ms();
	return touch_all();
}

/* Grow by n MiB: map, fill and verify each new chunk. Exits with 2 if the guest has no memory left. */
static int grow(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		if (nchunks == cap) {
			cap = cap ? cap * 2 : 64;
			chunks = realloc(chunks, cap * sizeof(*chunks));
			if (!chunks) { printf("memtouch: out of memory for the chunk table\n"); exit(2); }
		}
		void *m = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			printf("memtouch: cannot allocate MiB %lu: %s\n", nchunks + 1, strerror(errno));
			exit(2);
		}
		chunks[nchunks++] = m;
		fill_chunk(nchunks - 1);
		if (verify_chunk(nchunks - 1))
			return 1;
	}
	return 0;
}

/* Shrink by n MiB, newest first, verifying each chunk before giving it back. */
static int shrink(unsigned long n)
{
	for (unsigned long i = 0; i < n && nchunks; i++) {
		if (verify_chunk(nchunks - 1))
			return 1;
		munmap(chunks[--nchunks], CHUNK);
	}
	return 0;
}

/* Move the allocation to target MiB, in step_mib steps interval_ms apart (one step when step_mib is 0). */
static int move_to(unsigned long target)
{
	while (nchunks != target) {
		unsigned long step = step_mib ? step_mib : (target > nchunks ? target - nchunks : nchunks - target);
		int rc;
		if (target > nchunks)
			rc = grow(step < target - nchunks ? step : target - nchunks);
		else
			rc = shrink(step < nchunks - target ? step : nchunks - target);
		if (rc || (target > nchunks && touch_if_due()))
			return 1;
		if (step_mib) {
			printf("memtouch: alloc=%lu MiB t=%llu ms\n", nchunks, (unsigned long long)now_ms());
			fflush(stdout);
			if (nchunks != target)
				sleep_ms(interval_ms);
		}
	}
	return 0;
}

/*
 * Wait hold_ms ms (forever when negative).  With touch_ms > 0, touch every page every touch_ms ms, and verify all
 * of it at the end: a full verification of hundreds of MiB takes longer than a hypervisor's sampling period at
 * emulator speed, so doing it during the hold would make the memory look less active than it is.
 */
static int hold(long hold_ms)
{
	printf("memtouch: holding %lu MiB%s\n", nchunks, touch_ms ? " (touching)" : "");
	fflush(stdout);
	uint64_t start = now_ms(), end = hold_ms < 0 ? UINT64_MAX : start + (uint64_t)hold_ms;
	unsigned long rounds = 0, verified = 0;
	while (now_ms() < end) {
		if (touch_ms) {
			if (touch_all())
				return 1;
			rounds++;
			uint64_t now = now_ms();
			sleep_ms(now >= end ? 0 : (touch_ms < end - now ? touch_ms : end - now));
		} else {
			sleep_ms(hold_ms < 0 ? 3600000 : end - now_ms());
		}
	}
	if (touch_ms) {
		if (verify_all())
			return 1;
		verified++;
		printf("memtouch: held %lu MiB for %llu ms, touched all of it %lu times, verified all of it %lu times\n",
		       nchunks, (unsigned long long)(now_ms() - start), rounds, verified);
	}
	return 0;
}

/* The command interpreter of --script. */
static int run_script(FILE *f)
{
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		char cmd[32] = "";
		unsigned long arg = 0;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		int n = sscanf(line, "%31s %lu", cmd, &arg);
		int rc = 0;
		if (n < 1)
			continue;
		if (!strcmp(cmd, "grow") && n == 2)
			rc = move_to(nchunks + arg);
		else if (!strcmp(cmd, "shrink") && n == 2)
			rc = move_to(arg < nchunks ? nchunks - arg : 0);
		else if (!strcmp(cmd, "target") && n == 2)
			rc = move_to(arg);
		else if (!strcmp(cmd, "sleep") && n == 2)
			sleep_ms(arg);
		else if (!strcmp(cmd, "hold") && n == 2)
			rc = hold((long)arg); /* touching every --touch-ms, as --hold-s does */
		else if (!strcmp(cmd, "verify") || !strcmp(cmd, "touch"))
			rc = verify_all();
		else if (!strcmp(cmd, "status"))
			;
		else if (!strcmp(cmd, "exit"))
			return (int)arg;
		else {
			printf("memtouch: bad command: %s", line);
			continue;
		}
		if (rc)
			return rc;
		if (n == 2)
			printf("memtouch: alloc=%lu MiB after '%s %lu'\n", nchunks, cmd, arg);
		else
			printf("memtouch: alloc=%lu MiB after '%s'\n", nchunks, cmd);
		fflush(stdout);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: memtouch [--seed N] [--pattern unique|same|zero|compressible] [--step-mib S] [--interval-ms I]\n"
	                "                [--hold] [--hold-s N] [--touch-ms M] [--free] MIB\n"
	                "       memtouch [options] --script FILE|-\n");
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
	unsigned long mib = 0;
	long hold_s = 0;
	int have_mib = 0, do_hold = 0, do_free = 0;
	const char *script = NULL;
	char *run = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(a, "--seed") && more)              seed = num(argv[++i]);
		else if (!strcmp(a, "--step-mib") && more)     step_mib = num(argv[++i]);
		else if (!strcmp(a, "--interval-ms") && more)  interval_ms = num(argv[++i]);
		else if (!strcmp(a, "--hold"))                 { do_hold = 1; hold_s = -1; }
		else if (!strcmp(a, "--hold-s") && more)       { do_hold = 1; hold_s = (long)num(argv[++i]); }
		else if (!strcmp(a, "--touch-ms") && more)     touch_ms = num(argv[++i]);
		else if (!strcmp(a, "--free"))                 do_free = 1;
		else if (!strcmp(a, "--script") && more)       script = argv[++i];
		else if (!strcmp(a, "--run") && more)          run = argv[++i];
		else if (!strcmp(a, "--pattern") && more) {
			const char *p = argv[++i];
			if (!strcmp(p, "unique"))     pattern = P_UNIQUE;
			else if (!strcmp(p, "same"))  pattern = P_SAME;
			else if (!strcmp(p, "zero"))  pattern = P_ZERO;
			else if (!strcmp(p, "compressible")) pattern = P_COMPRESSIBLE;
			else usage();
		} else if (a[0] != '-' && !have_mib)         { mib = num(a); have_mib = 1; }
		else usage();
	}

	if (run) { /* --run: the script on the command line, '/' between commands and ':' for a space */
		for (char *c = run; *c; c++)
			*c = *c == '/' ? '\n' : *c == ':' ? ' ' : *c;
		FILE *f = fmemopen(run, strlen(run), "r");
		if (!f) { printf("memtouch: cannot read --run: %s\n", strerror(errno)); return 2; }
		int rc = run_script(f);
		printf("memtouch: script done rc=%d alloc=%lu MiB\n", rc, nchunks);
		return rc;
	}
	if (script) {
		FILE *f = strcmp(script, "-") ? fopen(script, "r") : stdin;
		if (!f) { printf("memtouch: cannot open %s: %s\n", script, strerror(errno)); return 2; }
		int rc = run_script(f);
		printf("memtouch: script done rc=%d alloc=%lu MiB\n", rc, nchunks);
		return rc;
	}
	if (!have_mib)
		usage();

	uint64_t t0 = now_ms();
	if (move_to(mib) || verify_all())
		return 1;
	printf("memtouch: wrote and verified %lu MiB in %llu ms\n", mib, (unsigned long long)(now_ms() - t0));
	if (do_hold && hold(hold_s < 0 ? -1 : hold_s * 1000))
		return 1;
	if (do_free) {
		t0 = now_ms();
		if (move_to(0))
			return 1;
		printf("memtouch: freed %lu MiB in %llu ms\n", mib, (unsigned long long)(now_ms() - t0));
	}
	return 0;
}
