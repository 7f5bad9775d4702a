/*
 * test=disk: write, read back and compare a pattern on every ballast swap area discovery found, on whole disks and
 * on GPT partitions alike.
 *
 * Where it writes: slot pages only (device page base + 1 + slot, slot < nslots, base being the area's header page:
 * 0 on a whole disk, the partition's first page), at both ends of the area - on a disk past 128 GiB the far end
 * needs LBA48 commands, the near end takes LBA28 ones - and never the header page or past the area, so never the
 * partition table or another partition.  Only areas with a valid signature exist to be tested (disks.h), and every
 * request is checked against its area's slot pages by BUG_ON, not by convention, because a write to the wrong disk
 * or partition destroys someone's data.  Swap contents do not outlive a boot (SPEC §2.7: checksummed in memory,
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

/* Move t's pages to or from their slots of area a, all requests in flight together; the time taken in *ns. */
static int move_pages(const struct disk_area *a, const struct slot_run *runs, unsigned nruns, enum blockdev_dir dir,
		      uint64_t *ns)
{
	unsigned nreq = 0, page = 0, submitted;

	for (unsigned r = 0; r < nruns; r++) {
		for (uint64_t off = 0; off < runs[r].count; off += SELFTEST_BATCH) {
			uint32_t n = (uint32_t)MIN(SELFTEST_BATCH, runs[r].count - off);
			uint64_t first_page = disk_area_slot_page(a, runs[r].first_slot + off); /* never the header */

			/* Only slot pages of a signed area may be written: not its header, the GPT or another partition. */
			BUG_ON(!disk_area_holds_slots(a, first_page, n) || nreq == SELFTEST_REQUESTS);
			t.req[nreq++] = (struct blockdev_request){
				.dir = dir,
				.first_page = first_page,
				.npages = n,
				.pages = &t.pages[page],
			};
			page += n;
		}
	}
	uint64_t start = rdtsc();
	for (submitted = 0; submitted < nreq; submitted++)
		if (blockdev_submit(a->dev, &t.req[submitted]) < 0)
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
			uint64_t slot = q->first_page - disk_area_slot_page(a, 0);

			fail("%s: %s of slots %llu-%llu: %s (%s)", a->name, dir == BLOCKDEV_WRITE ? "write" : "read",
			     (unsigned long long)slot, (unsigned long long)(slot + q->npages - 1),
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

static int verify(const struct disk_area *a, uint64_t seed)
{
	for (unsigned i = 0; i < t.npages; i++) {
		const uint64_t *w = mpn_to_ptr(t.pages[i]);

		for (uint64_t j = 0; j < WORDS_PER_PAGE; j++) {
			uint64_t want = pattern_word(seed, t.slot[i], j);
			if (w[j] != want) {
				fail("%s: slot %llu word %llu read back 0x%016llx, wrote 0x%016llx", a->name,
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

/* The area's header page as it is on the disk now, into buf. */
static int read_header(const struct disk_area *a, mpn_t buf)
{
	struct blockdev_request req = { .dir = BLOCKDEV_READ, .first_page = a->base_page, .npages = 1, .pages = &buf };

	if (blockdev_rw_sync(a->dev, &req) < 0) {
		fail("%s: reading the header page: %s", a->name, req.why);
		return -EIO;
	}
	return 0;
}

static int test_area(const struct disk_area *a, mpn_t hdr_before, mpn_t hdr_after)
{
	uint64_t nslots = a->info.nslots, half = SELFTEST_PAGES / 2;
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

	if (read_header(a, hdr_before) < 0)
		return -EIO;
	uint64_t seed = rdtsc(), write_ns, read_ns;
	fill(seed);
	if (move_pages(a, runs, nruns, BLOCKDEV_WRITE, &write_ns) < 0)
		return -EIO;
	for (unsigned i = 0; i < t.npages; i++)
		memset(mpn_to_ptr(t.pages[i]), POISON_BYTE, PAGE_SIZE);
	if (move_pages(a, runs, nruns, BLOCKDEV_READ, &read_ns) < 0 || verify(a, seed) < 0)
		return -EIO;

	if (read_header(a, hdr_after) < 0)
		return -EIO;
	if (memcmp(mpn_to_ptr(hdr_before), mpn_to_ptr(hdr_after), PAGE_SIZE)) {
		fail("%s: the header page changed during the test", a->name);
		return -EIO;
	}
	/* The interface's own guard: one page past the device is refused before any I/O (a read, to be safe). */
	struct blockdev_request beyond = { .dir = BLOCKDEV_READ, .first_page = a->dev->npages, .npages = 1,
					   .pages = &hdr_after };
	int err = blockdev_rw_sync(a->dev, &beyond);
	if (err != -ERANGE) {
		fail("%s: a read past the device's end gave %s, not ERANGE", a->name, errno_name(err));
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
	       a->name, t.npages, (unsigned long long)(w / 10), (unsigned long long)(w % 10),
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

	/* Only the areas discovery found, each with a valid signature: a disk or partition without one is not there. */
	for (unsigned i = 0; !t.fail[0] && i < disks_area_count(); i++)
		if (test_area(disks_area_get(i), hdr[0], hdr[1]) == 0)
			tested++;
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
	printk("disk self-test: PASS (%u area%s)\n", tested, tested == 1 ? "" : "s");
	return 0;
}
