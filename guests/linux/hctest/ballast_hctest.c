// SPDX-License-Identifier: GPL-2.0
/*
 * ballast_hctest: hostile and malformed hypercalls, each checked against the error the ABI documents
 * (include/uapi/ballast_hypercall.h).  It runs once, at load, and must be loaded before the balloon module: its
 * first checks need a VM that has not yet made the VERSION handshake.
 *
 * Every check prints one line, "ballast-hctest: <name>: ok" or "ballast-hctest: <name>: FAIL (got X want Y)",
 * then one summary line; the counts stay readable in /sys/module/ballast_hctest/parameters/{passed,failed}, which
 * the initramfs turns into "BALLAST-HCTEST-DONE pass=N fail=M".
 *
 * Memory safety comes first, since a wrong answer from the hypervisor must not corrupt the guest: the module only
 * ever offers its own pages (NPAGES, allocated here), never touches one between a LOCK and its UNLOCK, and at the
 * end UNLOCKs them all again, freeing only those the hypervisor confirms it does not hold; any other page is leaked
 * on purpose.
 */
#define pr_fmt(fmt) "ballast-hctest: " fmt

#include <linux/module.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/string.h>

#include "ballast_guest.h"

#define NPAGES 8
#define PATTERN 0xa5
#define UNTOUCHED 0x7777	/* an entry status no hypervisor writes: proves it did not write one */

static unsigned int passed, failed;
module_param(passed, uint, 0444);
MODULE_PARM_DESC(passed, "Checks that passed (read-only result)");
module_param(failed, uint, 0444);
MODULE_PARM_DESC(failed, "Checks that failed (read-only result)");

static struct {
	struct page *batch_page;
	struct ballast_batch_entry *batch;
	u64 batch_gpa;
	u64 vm_pages;			/* from VERSION */
	struct page *pages[NPAGES];	/* the only pages ever offered */
	bool early_lock;		/* the LOCK before VERSION was wrongly taken: page 0 may be ballooned */
} t;

struct hc_out {
	long rax;
	u64 rbx, rcx, rdx;
};

static struct hc_out hc(u64 nr, u64 rbx, u64 rcx)
{
	struct hc_out o = { .rbx = rbx, .rcx = rcx };

	o.rax = ballast_vmcall(nr, &o.rbx, &o.rcx, &o.rdx, 0, 0);
	return o;
}

static void check(const char *name, long long got, long long want)
{
	if (got == want) {
		passed++;
		pr_info("%s: ok\n", name);
	} else {
		failed++;
		pr_info("%s: FAIL (got %lld want %lld)\n", name, got, want);
	}
}

static void check_ge(const char *name, u64 got, u64 least)
{
	if (got >= least) {
		passed++;
		pr_info("%s: ok\n", name);
	} else {
		failed++;
		pr_info("%s: FAIL (got %llu want >= %llu)\n", name, got, least);
	}
}

static u64 ppn_of(int i)
{
	return page_to_pfn(t.pages[i]);
}

/* Sets entry i of the batch; the status is preset to UNTOUCHED so a missing write shows. */
static void entry(unsigned int i, u64 ppn)
{
	t.batch[i] = (struct ballast_batch_entry){ .ppn = ppn, .status = UNTOUCHED };
}

static struct hc_out batch_call(u64 nr, u64 count)
{
	return hc(nr, t.batch_gpa, count);
}

/*
 * A call-level error must change nothing and write no status: checks both, with page 0 in entry 0.  Returns RAX,
 * so a caller can tell whether page 0 might have been ballooned after all.
 */
static long check_call_error(const char *name, u64 nr, u64 gpa, u64 count, long want)
{
	long rax;
	char line[96];

	entry(0, ppn_of(0));
	rax = hc(nr, gpa, count).rax;
	check(name, rax, -want);
	snprintf(line, sizeof(line), "%s: no status written", name);
	check(line, t.batch[0].status, UNTOUCHED);
	return rax;
}

static void check_version(const char *name, u64 version, long want)
{
	check(name, hc(BALLAST_HC_VERSION, version, 0).rax, -want);
}

/* Before VERSION every balloon call fails with -EPROTO, and a refused VERSION makes no handshake either. */
static void test_before_handshake(void)
{
	long rax;

	check("GET_TARGET before VERSION", hc(BALLAST_HC_GET_TARGET, 0, 0).rax, -BALLAST_EPROTO);
	rax = check_call_error("LOCK before VERSION", BALLAST_HC_LOCK, t.batch_gpa, 1, BALLAST_EPROTO);
	t.early_lock = rax == 0 || rax == -BALLAST_EAGAIN;
	check_call_error("UNLOCK before VERSION", BALLAST_HC_UNLOCK, t.batch_gpa, 1, BALLAST_EPROTO);
	check("STATS before VERSION", hc(BALLAST_HC_STATS, 0, 0).rax, -BALLAST_EPROTO);
	check_version("VERSION 0", 0, BALLAST_EINVAL);
	check_version("VERSION ABI+1", BALLAST_ABI_VERSION + 1, BALLAST_EINVAL);
	check_version("VERSION ~0", ~0ULL, BALLAST_EINVAL);
	check("GET_TARGET after refused VERSION", hc(BALLAST_HC_GET_TARGET, 0, 0).rax, -BALLAST_EPROTO);
}

/* The handshake itself; returns false when it failed and nothing after it can be tested. */
static bool test_handshake(void)
{
	struct hc_out o = hc(BALLAST_HC_VERSION, BALLAST_ABI_VERSION, 0);
	u64 top = 0;
	int i;

	check("VERSION", o.rax, 0);
	if (o.rax)
		return false;
	check("VERSION hypervisor abi", o.rbx, BALLAST_ABI_VERSION);
	check("VERSION batch_max", o.rdx, BALLAST_BATCH_MAX);
	for (i = 0; i < NPAGES; i++)
		top = max(top, ppn_of(i) + 1);
	check_ge("VERSION vm_pages covers the guest's pages", o.rcx, max(top, (u64)page_to_pfn(t.batch_page) + 1));
	t.vm_pages = o.rcx;
	check("VERSION again", hc(BALLAST_HC_VERSION, BALLAST_ABI_VERSION, 0).rax, 0);
	return true;
}

static void test_calls(void)
{
	struct hc_out o;

	check("unknown call HC_MAX+1", hc(BALLAST_HC_MAX + 1, 0, 0).rax, -BALLAST_ENOSYS);
	check("unknown call 0xffff", hc(0xffff, 0, 0).rax, -BALLAST_ENOSYS);
	check("unknown call 2^63", hc(1ULL << 63, 0, 0).rax, -BALLAST_ENOSYS);
	o = hc(BALLAST_HC_GET_TARGET, 0, 0);
	check("GET_TARGET", o.rax, 0);
	check("GET_TARGET cap within the VM", o.rdx > 0 && o.rdx <= t.vm_pages, 1);
	check("GET_TARGET target within the cap", o.rbx <= o.rdx, 1);
	check("STATS", hc(BALLAST_HC_STATS, 0, 0).rax, 0);
}

/* Errors of the call as a whole: count, alignment, and where the batch page is. */
static void test_call_level(void)
{
	check_call_error("LOCK count 0", BALLAST_HC_LOCK, t.batch_gpa, 0, BALLAST_E2BIG);
	check_call_error("LOCK count BATCH_MAX+1", BALLAST_HC_LOCK, t.batch_gpa, BALLAST_BATCH_MAX + 1, BALLAST_E2BIG);
	check_call_error("LOCK count 2^32+1", BALLAST_HC_LOCK, t.batch_gpa, (1ULL << 32) + 1, BALLAST_E2BIG);
	check_call_error("UNLOCK count 0", BALLAST_HC_UNLOCK, t.batch_gpa, 0, BALLAST_E2BIG);
	check_call_error("UNLOCK count BATCH_MAX+1", BALLAST_HC_UNLOCK, t.batch_gpa, BALLAST_BATCH_MAX + 1,
			 BALLAST_E2BIG);
	check_call_error("LOCK batch unaligned", BALLAST_HC_LOCK, t.batch_gpa + 8, 1, BALLAST_EINVAL);
	check_call_error("UNLOCK batch unaligned", BALLAST_HC_UNLOCK, t.batch_gpa + 2048, 1, BALLAST_EINVAL);
	check_call_error("LOCK batch just past the VM", BALLAST_HC_LOCK, t.vm_pages << PAGE_SHIFT, 1, BALLAST_EINVAL);
	check_call_error("LOCK batch at 2^51", BALLAST_HC_LOCK, 1ULL << 51, 1, BALLAST_EINVAL);
	check_call_error("UNLOCK batch at 2^64-4096", BALLAST_HC_UNLOCK, ~0xfffULL, 1, BALLAST_EINVAL);
}

/*
 * One batch call whose entries are already set: checks RAX ("<name>"), the succeeded count in RBX ("<name>:
 * count") and the n entry statuses against @want ("<name>: entries": one line when all match, else one FAIL line
 * per wrong entry).  Returns the call's result.
 */
static struct hc_out check_batch(const char *name, u64 nr, unsigned int n, const int *want)
{
	struct hc_out o = batch_call(nr, n);
	unsigned int i, ok = 0, wrong = 0;
	char line[96];

	for (i = 0; i < n; i++)
		ok += want[i] == 0;
	check(name, o.rax, ok == n ? 0 : -BALLAST_EAGAIN);
	if (nr != BALLAST_HC_REPORT) { /* REPORT's RBX counts pages released, not entries: its callers check it */
		snprintf(line, sizeof(line), "%s: count", name);
		check(line, o.rbx, ok);
	}
	for (i = 0; i < n; i++) {
		if (t.batch[i].status == want[i])
			continue;
		snprintf(line, sizeof(line), "%s: entry %u", name, i);
		check(line, t.batch[i].status, want[i]);
		wrong++;
	}
	if (!wrong) {
		snprintf(line, sizeof(line), "%s: entries", name);
		check(line, 0, 0);
	}
	return o;
}

/* Per-entry errors: the call goes through, the bad entries are refused one by one. */
static void test_entries(void)
{
	entry(0, t.vm_pages);
	entry(1, 1ULL << 40);
	check_batch("LOCK ppn outside the VM", BALLAST_HC_LOCK, 2, (int[]){ -BALLAST_EFAULT, -BALLAST_EFAULT });

	entry(0, ppn_of(0));
	entry(1, t.vm_pages);
	check_batch("LOCK partial", BALLAST_HC_LOCK, 2, (int[]){ 0, -BALLAST_EFAULT });
	entry(0, ppn_of(0));
	check_batch("UNLOCK after partial", BALLAST_HC_UNLOCK, 1, (int[]){ 0 });

	entry(0, ppn_of(1));
	entry(1, ppn_of(1));
	check_batch("LOCK same ppn twice", BALLAST_HC_LOCK, 2, (int[]){ 0, -BALLAST_EEXIST });
	entry(0, ppn_of(1));
	check_batch("LOCK already ballooned", BALLAST_HC_LOCK, 1, (int[]){ -BALLAST_EEXIST });
	entry(0, ppn_of(1));
	check_batch("UNLOCK after same ppn twice", BALLAST_HC_UNLOCK, 1, (int[]){ 0 });

	entry(0, ppn_of(2));
	check_batch("UNLOCK never ballooned", BALLAST_HC_UNLOCK, 1, (int[]){ -BALLAST_ENOENT });
	entry(0, t.vm_pages);
	check_batch("UNLOCK ppn outside the VM", BALLAST_HC_UNLOCK, 1, (int[]){ -BALLAST_EFAULT });

	entry(0, ppn_of(3));
	entry(1, page_to_pfn(t.batch_page));
	check_batch("LOCK the batch page", BALLAST_HC_LOCK, 2, (int[]){ 0, -BALLAST_EPERM });
	entry(0, ppn_of(3));
	check_batch("UNLOCK after batch page", BALLAST_HC_UNLOCK, 1, (int[]){ 0 });
}

static long long hv_balloon_size(void)
{
	struct hc_out o = hc(BALLAST_HC_GET_TARGET, 0, 0);

	return o.rax ? o.rax : (long long)o.rcx;
}

/* Is page i all zero?  Only called after its UNLOCK (or REPORT), when it may be touched again. */
static bool page_zeroed(int i)
{
	return !memchr_inv(page_address(t.pages[i]), 0, PAGE_SIZE);
}

static void run(unsigned int i, u64 ppn, u32 npages)
{
	t.batch[i] = (struct ballast_batch_entry){ .ppn = ppn, .status = UNTOUCHED, .npages = npages };
}

/* REPORT (free page reporting): bad runs refused one by one, a good one released and given back zeroed. */
static void test_report(void)
{
	long long size = hv_balloon_size();
	struct hc_out o;

	check_call_error("REPORT count 0", BALLAST_HC_REPORT, t.batch_gpa, 0, BALLAST_E2BIG);
	check_call_error("REPORT batch unaligned", BALLAST_HC_REPORT, t.batch_gpa + 16, 1, BALLAST_EINVAL);
	run(0, ppn_of(5), 0);
	run(1, ppn_of(5), BALLAST_REPORT_RUN_MAX + 1);
	run(2, t.vm_pages, 1);
	run(3, t.vm_pages - 1, 2);
	run(4, ~0ULL - 1, 4);
	run(5, page_to_pfn(t.batch_page), 1);
	run(6, page_to_pfn(t.batch_page) - 1, 3);
	check_batch("REPORT bad runs", BALLAST_HC_REPORT, 7,
		    (int[]){ -BALLAST_EINVAL, -BALLAST_EINVAL, -BALLAST_EFAULT, -BALLAST_EFAULT, -BALLAST_EFAULT,
			     -BALLAST_EPERM, -BALLAST_EPERM });

	entry(0, ppn_of(4));
	check_batch("LOCK before REPORT of a ballooned page", BALLAST_HC_LOCK, 1, (int[]){ 0 });
	run(0, ppn_of(4), 1);
	check_batch("REPORT a ballooned page", BALLAST_HC_REPORT, 1, (int[]){ -BALLAST_EEXIST });
	entry(0, ppn_of(4));
	check_batch("UNLOCK after REPORT of a ballooned page", BALLAST_HC_UNLOCK, 1, (int[]){ 0 });

	run(0, ppn_of(6), 1);
	check_batch("LOCK entry with npages set", BALLAST_HC_LOCK, 1, (int[]){ -BALLAST_EINVAL });

	/* Page 5 holds PATTERN and is backed: reported, its machine page goes; the next read finds zeros. */
	run(0, ppn_of(5), 1);
	run(1, ppn_of(5), 1);
	o = check_batch("REPORT a good page twice", BALLAST_HC_REPORT, 2, (int[]){ 0, 0 });
	check("REPORT released the page once", o.rbx, 1);
	check("REPORTed page comes back zeroed (page not zero)", !page_zeroed(5), 0);
	check("REPORT leaves the balloon alone", hv_balloon_size(), size);
}

/* The good path: LOCK all NPAGES, see the hypervisor count them, UNLOCK them, find them zeroed. */
static void test_good(void)
{
	static const int zeros[NPAGES];
	long long before = hv_balloon_size();
	struct hc_out o;
	int i, dirty = 0;

	for (i = 0; i < NPAGES; i++)
		entry(i, ppn_of(i));
	check_batch("LOCK good", BALLAST_HC_LOCK, NPAGES, zeros);
	check("GET_TARGET counts the LOCKed pages", hv_balloon_size(), before + NPAGES);
	for (i = 0; i < NPAGES; i++)
		entry(i, ppn_of(i));
	o = check_batch("UNLOCK good", BALLAST_HC_UNLOCK, NPAGES, zeros);
	check("GET_TARGET after UNLOCK", hv_balloon_size(), before);
	/* Read only what the hypervisor says it gave back: reading a ballooned page would be a touch. */
	if (!o.rax) {
		for (i = 0; i < NPAGES; i++)
			dirty += !page_zeroed(i);
		check("UNLOCKed pages come back zeroed (pages not zero)", dirty, 0);
	}
	check("STATS at the end", hc(BALLAST_HC_STATS, 0, 0).rax, 0);
}

/*
 * UNLOCK every test page once more and free those the hypervisor does not hold (status 0 or -ENOENT).  A page it
 * may still hold is leaked rather than handed back to the guest.
 */
static void cleanup_pages(bool handshake)
{
	struct hc_out o = { .rax = -BALLAST_EPROTO };
	int i, leaked = 0;

	for (i = 0; i < NPAGES; i++)
		entry(i, ppn_of(i));
	if (handshake)
		o = batch_call(BALLAST_HC_UNLOCK, NPAGES);
	for (i = 0; i < NPAGES; i++) {
		int st = t.batch[i].status;

		/* Without a handshake only a wrongly taken early LOCK can have ballooned anything, and only page 0. */
		if (!handshake ? !(i == 0 && t.early_lock) :
		    o.rax == 0 || (o.rax == -BALLAST_EAGAIN && (st == 0 || st == -BALLAST_ENOENT))) {
			__free_page(t.pages[i]);
		} else {
			leaked++;
		}
	}
	if (leaked)
		pr_warn("leaked %d test pages the hypervisor may still hold\n", leaked);
}

static int alloc_pages_for_test(void)
{
	int i;

	/* The batch page and the test pages need kernel addresses: GFP_KERNEL. */
	t.batch_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!t.batch_page)
		return -ENOMEM;
	t.batch = page_address(t.batch_page);
	t.batch_gpa = page_to_phys(t.batch_page);
	for (i = 0; i < NPAGES; i++) {
		t.pages[i] = alloc_page(GFP_KERNEL);
		if (!t.pages[i])
			goto fail;
		/* Written now, before any call, so "comes back zeroed" has something to see. */
		memset(page_address(t.pages[i]), PATTERN, PAGE_SIZE);
	}
	return 0;
fail:
	while (i--)
		__free_page(t.pages[i]);
	__free_page(t.batch_page);
	return -ENOMEM;
}

static int __init hctest_init(void)
{
	bool handshake;
	int rc;

	ballast_check_errnos();
	rc = ballast_detect();
	if (rc)
		return rc;
	rc = alloc_pages_for_test();
	if (rc)
		return rc;
	pr_info("start: batch_ppn=%#llx pages %#llx..., abi=%d\n",
		t.batch_gpa >> PAGE_SHIFT, ppn_of(0), BALLAST_ABI_VERSION);

	test_before_handshake();
	handshake = test_handshake();
	if (handshake) {
		test_calls();
		test_call_level();
		test_entries();
		test_report();
		test_good();
	} else {
		failed++;
		pr_info("handshake failed: FAIL (the remaining checks were not run)\n");
	}
	cleanup_pages(handshake);
	__free_page(t.batch_page);
	pr_info("summary: pass=%u fail=%u\n", passed, failed);
	return 0;
}

static void __exit hctest_exit(void)
{
}

module_init(hctest_init);
module_exit(hctest_exit);

MODULE_DESCRIPTION("ballast hypercall ABI conformance checks (malformed and hostile calls)");
MODULE_LICENSE("GPL");
