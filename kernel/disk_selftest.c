/*
 * test=disk: write, read back and compare a pattern on every disk that carries a ballast swap area.
 *
 * Where it writes: slot pages only (device page 1 + slot, slot < nslots), at both ends of the area - on a disk past
 * 128 GiB the far end needs LBA48 commands, the near end takes LBA28 ones - and never page 0 or past the area.  A
 * disk without a valid signature is not touched; that rule is checked by BUG_ON, not by convention, because a write
 * to the wrong disk destroys someone's data.  Swap contents do not outlive a boot (SPEC §2.7: checksummed in memory,
 * never trusted from disk), so overwriting slots is harmless.
 *
 * How: the pages go out as SELFTEST_BATCH-page requests, all submitted before any is polled, which is how the paging
 * path will use the interface (several requests queued on one channel).  Each page's words come from its slot number
 * and a seed taken from the TSC, so a stale pattern left by an earlier run cannot pass; the pages are poisoned before
 * the read.  Afterwards the header page must be unchanged and a request beyond the device must be refused.
 */
#include <stdarg.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "arch/x86_64/tsc.h"
#include "kernel/disk_selftest.h"
#include "kernel/disks.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

#define SELFTEST_PAGES 256 /* 1 MiB per disk: half at each end of the area */
#define SELFTEST_BATCH 16  /* pages per request: a swap-out cluster */
#define SELFTEST_REQUESTS (SELFTEST_PAGES / SELFTEST_BATCH + 2) /* + a partial batch per end */
#define POISON_BYTE 0xa5
#define WORDS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))

struct slot_run {
	uint64_t first_slot, count;
};

static struct {
	mpn_t pages[SELFTEST_PAGES];
	uint64_t slot[SELFTEST_PAGES]; /* the slot each page goes to */
	unsigned npages;
	struct blockdev_request req[SELFTEST_REQUESTS];
	char fail[192]; /* the first failure's reason; empty while all is well */
} t;

static void __printf(1, 2) fail(const char *fmt, ...)
{
	va_list ap;

	if (t.fail[0])
		return; /* the first failure is the one worth reading */
	va_start(ap, fmt);
	fmt_vsnprintf(t.fail, sizeof(t.fail), fmt, ap);
	va_end(ap);
}

/* splitmix64's finaliser: every word of every slot differs, and a shifted or misplaced page cannot match. */
static uint64_t pattern_word(uint64_t seed, uint64_t slot, uint64_t word)
{
	uint64_t z = seed + slot * WORDS_PER_PAGE + word + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Move t's pages to or from their slots of d's area, all requests in flight together; the time taken in *ns. */
static int move_pages(const struct disk *d, const struct slot_run *runs, unsigned nruns, enum blockdev_dir dir,
		      uint64_t *ns)
{
	unsigned nreq = 0, page = 0, submitted;

	BUG_ON(!d->has_swap_area); /* only a disk with a valid signature may be written */
	for (unsigned r = 0; r < nruns; r++) {
		for (uint64_t off = 0; off < runs[r].count; off += SELFTEST_BATCH) {
			uint32_t n = (uint32_t)MIN(SELFTEST_BATCH, runs[r].count - off);
			uint64_t first_slot = runs[r].first_slot + off;

			BUG_ON(first_slot + n > d->area.nslots || nreq == SELFTEST_REQUESTS);
			t.req[nreq++] = (struct blockdev_request){
				.dir = dir,
				.first_page = swap_disk_slot_page(first_slot), /* never page 0: the header */
				.npages = n,
				.pages = &t.pages[page],
			};
			page += n;
		}
	}
	uint64_t start = rdtsc();
	for (submitted = 0; submitted < nreq; submitted++)
		if (blockdev_submit(d->dev, &t.req[submitted]) < 0)
			break;
	/* Poll everything that was submitted to its end, failed or not: the pages are not ours until then. */
	for (bool pending = true; pending;) {
		pending = false;
		for (unsigned i = 0; i < submitted; i++)
			pending |= blockdev_poll(&t.req[i]) == -EAGAIN;
		cpu_relax();
	}
	*ns = tsc_to_ns(rdtsc() - start);
	for (unsigned i = 0; i < nreq; i++) {
		const struct blockdev_request *q = &t.req[i];

		if (i >= submitted || q->status) {
			fail("%s: %s of slots %llu-%llu: %s (%s)", d->dev->name, dir == BLOCKDEV_WRITE ? "write" : "read",
			     (unsigned long long)(q->first_page - 1), (unsigned long long)(q->first_page - 1 + q->npages - 1),
			     q->why[0] ? q->why : "not submitted", errno_name(q->status));
			return -EIO;
		}
	}
	return 0;
}

static void fill(uint64_t seed)
{
	for (unsigned i = 0; i < t.npages; i++) {
		uint64_t *w = mpn_to_ptr(t.pages[i]);

		for (uint64_t j = 0; j < WORDS_PER_PAGE; j++)
			w[j] = pattern_word(seed, t.slot[i], j);
	}
}

static int verify(const struct disk *d, uint64_t seed)
{
	for (unsigned i = 0; i < t.npages; i++) {
		const uint64_t *w = mpn_to_ptr(t.pages[i]);

		for (uint64_t j = 0; j < WORDS_PER_PAGE; j++) {
			uint64_t want = pattern_word(seed, t.slot[i], j);
			if (w[j] != want) {
				fail("%s: slot %llu word %llu read back 0x%016llx, wrote 0x%016llx", d->dev->name,
				     (unsigned long long)t.slot[i], (unsigned long long)j, (unsigned long long)w[j],
				     (unsigned long long)want);
				return -EIO;
			}
		}
	}
	return 0;
}

/* Tenths of MiB/s for bytes moved in ns (integer only: no floating point in the hypervisor). */
static uint64_t mib_per_s_x10(uint64_t bytes, uint64_t ns)
{
	return ns ? muldiv64(bytes, 10000000000ULL, ns) >> 20 : 0;
}

/* Page 0 as it is on the disk now, into buf. */
static int read_header(const struct disk *d, mpn_t buf)
{
	struct blockdev_request req = { .dir = BLOCKDEV_READ, .first_page = 0, .npages = 1, .pages = &buf };

	if (blockdev_rw_sync(d->dev, &req) < 0) {
		fail("%s: reading the header page: %s", d->dev->name, req.why);
		return -EIO;
	}
	return 0;
}

static int test_disk(const struct disk *d, mpn_t hdr_before, mpn_t hdr_after)
{
	uint64_t nslots = d->area.nslots, half = SELFTEST_PAGES / 2;
	struct slot_run runs[2];
	unsigned nruns = 0;

	/* Both ends when the area is large enough for them not to overlap, else the whole area from slot 0. */
	if (nslots >= SELFTEST_PAGES) {
		runs[nruns++] = (struct slot_run){ 0, half };
		runs[nruns++] = (struct slot_run){ nslots - half, half };
	} else {
		runs[nruns++] = (struct slot_run){ 0, nslots };
	}
	t.npages = 0;
	for (unsigned r = 0; r < nruns; r++)
		for (uint64_t s = 0; s < runs[r].count; s++)
			t.slot[t.npages++] = runs[r].first_slot + s;

	if (read_header(d, hdr_before) < 0)
		return -EIO;
	uint64_t seed = rdtsc(), write_ns, read_ns;
	fill(seed);
	if (move_pages(d, runs, nruns, BLOCKDEV_WRITE, &write_ns) < 0)
		return -EIO;
	for (unsigned i = 0; i < t.npages; i++)
		memset(mpn_to_ptr(t.pages[i]), POISON_BYTE, PAGE_SIZE);
	if (move_pages(d, runs, nruns, BLOCKDEV_READ, &read_ns) < 0 || verify(d, seed) < 0)
		return -EIO;

	if (read_header(d, hdr_after) < 0)
		return -EIO;
	if (memcmp(mpn_to_ptr(hdr_before), mpn_to_ptr(hdr_after), PAGE_SIZE)) {
		fail("%s: the header page changed during the test", d->dev->name);
		return -EIO;
	}
	/* The interface's own guard: one page past the device is refused before any I/O (a read, to be safe). */
	struct blockdev_request beyond = { .dir = BLOCKDEV_READ, .first_page = d->dev->npages, .npages = 1,
					   .pages = &hdr_after };
	int err = blockdev_rw_sync(d->dev, &beyond);
	if (err != -ERANGE) {
		fail("%s: a read past the device's end gave %s, not ERANGE", d->dev->name, errno_name(err));
		return -EIO;
	}

	uint64_t bytes = (uint64_t)t.npages * PAGE_SIZE, w = mib_per_s_x10(bytes, write_ns),
		 r = mib_per_s_x10(bytes, read_ns);
	char where[96];
	int len = 0;
	for (unsigned k = 0; k < nruns && (size_t)len < sizeof(where); k++)
		len += fmt_snprintf(where + len, sizeof(where) - len, "%s%llu-%llu", k ? " and " : "",
				    (unsigned long long)runs[k].first_slot,
				    (unsigned long long)(runs[k].first_slot + runs[k].count - 1));
	printk("disk self-test: %s wrote and verified %u pages (%llu.%llu MiB/s write, %llu.%llu MiB/s read), slots %s\n",
	       d->dev->name, t.npages, (unsigned long long)(w / 10), (unsigned long long)(w % 10),
	       (unsigned long long)(r / 10), (unsigned long long)(r % 10), where);
	return 0;
}

int disk_selftest(void)
{
	mpn_t hdr[2] = { MPN_INVALID, MPN_INVALID };
	unsigned allocated = 0, tested = 0;

	t.fail[0] = 0;
	for (; allocated < SELFTEST_PAGES; allocated++) {
		t.pages[allocated] = frame_alloc_page(&frames);
		if (!mpn_valid(t.pages[allocated]))
			break;
	}
	hdr[0] = frame_alloc_page(&frames);
	hdr[1] = frame_alloc_page(&frames);
	if (allocated < SELFTEST_PAGES || !mpn_valid(hdr[0]) || !mpn_valid(hdr[1]))
		fail("no memory for the test pages");

	for (unsigned i = 0; !t.fail[0] && i < disks_count(); i++) {
		const struct disk *d = disks_get(i);

		if (!d->has_swap_area)
			continue; /* not ours: never written */
		if (test_disk(d, hdr[0], hdr[1]) == 0)
			tested++;
	}
	if (!t.fail[0] && !tested)
		fail("no disk carries a ballast swap area to test");

	for (unsigned i = 0; i < allocated; i++)
		frame_free_page(&frames, t.pages[i]);
	for (unsigned i = 0; i < 2; i++)
		if (mpn_valid(hdr[i]))
			frame_free_page(&frames, hdr[i]);
	if (t.fail[0]) {
		printk("disk self-test: FAIL: %s\n", t.fail);
		return -EIO;
	}
	printk("disk self-test: PASS (%u disk%s)\n", tested, tested == 1 ? "" : "s");
	return 0;
}
