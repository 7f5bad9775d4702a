// SPDX-License-Identifier: GPL-2.0
/*
 * ballast_balloon: the guest half of ballast's memory balloon (SPEC §2.3; Waldspurger, OSDI 2002, §3.2).
 *
 * The hypervisor decides how many pages this guest should give up (the target); the guest decides which.  A worker
 * asks for the target every poll_ms and moves the balloon toward it: to inflate it allocates pages from the guest's
 * own allocator and hands their page numbers (PPNs) to the hypervisor, which frees the machine pages behind them;
 * to deflate it asks for them back and frees them to the guest.
 *
 * Data structures.  One static struct balloon.  The ballooned pages sit on balloon.pages, linked through
 * page->lru (the page is ours, so its LRU link is free), newest first; balloon.size is the list's length.  Page
 * lists travel to the hypervisor in one batch page, allocated at load and never ballooned, holding up to
 * balloon.batch_max struct ballast_batch_entry; balloon.batch_pages[i] remembers the struct page of entry i.
 *
 * Who changes the balloon.  The worker (inflate and deflate toward the target), the shrinker and the OOM notifier
 * (deflate under guest memory pressure) and module unload.  balloon.lock serialises them over the batch page,
 * the list and the size.  Invariant: nothing allocates memory while holding balloon.lock (pages to inflate are
 * allocated before it is taken), so reclaim, which calls the shrinker and the OOM notifier, can never wait on a
 * holder that is itself waiting for reclaim.
 *
 * Safety rails, because a balloon that pushes its guest into the OOM killer is worse than none (SPEC §5: a
 * 200,000-page inflate in a 512 MiB guest OOM-panicked it): allocation flags that never invoke the OOM killer, a
 * cap (the hypervisor's, ESXi's 65% of the VM by default, or max_percent of it), a floor of MemAvailable (free swap counts half) below which it does not inflate, and a
 * hold-off after a pressure deflate so the balloon does not take straight back what the guest just needed.
 *
 * Every hypercall goes through balloon_hypercall(), which counts calls and failures per call and names failures
 * in the log.  State is in /sys/kernel/ballast_balloon/.
 */
#define pr_fmt(fmt) "ballast-balloon: " fmt

#include <linux/module.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/shrinker.h>
#include <linux/oom.h>
#include <linux/notifier.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/sysinfo.h>
#include <linux/page_reporting.h>
#include <linux/scatterlist.h>
#include <linux/swap.h>
#include <linux/vmstat.h>

#include "ballast_guest.h"

/* Tunables.  Sizes are in pages unless the name says otherwise. */
static unsigned int poll_ms = 1000;
module_param(poll_ms, uint, 0644);
MODULE_PARM_DESC(poll_ms, "Ask the hypervisor for a target every this many ms (SPEC: once a second; min 10)");

static unsigned int max_percent;
module_param(max_percent, uint, 0444);
MODULE_PARM_DESC(max_percent, "Cap the balloon at this percentage of the VM's memory (0: the hypervisor's cap, which it sends with every target; ESXi's default is 65%)");

static unsigned int min_avail_mb;
module_param(min_avail_mb, uint, 0644);
MODULE_PARM_DESC(min_avail_mb, "Do not inflate below this much MemAvailable, MiB; 0: max(16 MiB, 4 x min_free_kbytes)");

static unsigned int holdoff_s = 10;
module_param(holdoff_s, uint, 0644);
MODULE_PARM_DESC(holdoff_s, "After giving pages back under memory pressure, do not inflate for this many seconds");

static unsigned long max_per_poll = 65536;
module_param(max_per_poll, ulong, 0644);
MODULE_PARM_DESC(max_per_poll, "Most pages inflated or deflated in one poll (65536 pages = 256 MiB)");

static bool use_shrinker = true;
module_param_named(shrinker, use_shrinker, bool, 0444);
MODULE_PARM_DESC(shrinker, "Give pages back when the guest reclaims memory and MemAvailable is below the floor");

static unsigned int inflate_batch = 64;
module_param(inflate_batch, uint, 0644);
MODULE_PARM_DESC(inflate_batch, "Pages allocated before each LOCK (1 to the hypervisor's batch size; default 64): the guest zeroes every page it allocates, so these may fault in machine pages that only the LOCK gives back, and a guest short of memory must not need many");

static bool use_reporting = true;
module_param_named(report, use_reporting, bool, 0444);
MODULE_PARM_DESC(report, "Free page reporting: tell the hypervisor which blocks the guest has freed, so their memory returns to the machine without a balloon target");

static unsigned int report_order;
module_param(report_order, uint, 0444);
MODULE_PARM_DESC(report_order, "Smallest free block reported, as a page order (0: the kernel's default, pageblock_order = 2 MiB)");

static unsigned int oom_pages = 256;
module_param(oom_pages, uint, 0644);
MODULE_PARM_DESC(oom_pages, "Pages given back each time the guest is about to OOM-kill (0: none)");

/*
 * Allocation flags for a balloon page, and why each:
 *   GFP_HIGHUSER       any page the guest could give a user process; not __GFP_MOVABLE, because ballooned
 *                      pages are pinned and would only block compaction inside movable pageblocks.
 *   __GFP_NORETRY      one light pass of direct reclaim, then fail: never loop, and above all never call the OOM
 *                      killer.  The balloon takes what the guest can spare; it must not make it kill a process.
 *   __GFP_NOWARN       failing is how the balloon learns the guest is full; that needs no stack dump.
 *   __GFP_NOMEMALLOC   never dip into the emergency reserves that reclaim itself needs.
 */
#define BALLOON_GFP (GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC)

#define BALLOON_NR_CALLS (BALLAST_HC_MAX + 1)

static const char *const hc_names[BALLOON_NR_CALLS] = {
	[BALLAST_HC_VERSION] = "VERSION",
	[BALLAST_HC_GET_TARGET] = "GET_TARGET",
	[BALLAST_HC_LOCK] = "LOCK",
	[BALLAST_HC_UNLOCK] = "UNLOCK",
	[BALLAST_HC_STATS] = "STATS",
	[BALLAST_HC_REPORT] = "REPORT",
};

static struct balloon {
	struct mutex lock;			/* batch page, pages and size; see the overview */
	struct list_head pages;			/* ballooned pages, through page->lru, newest first */
	unsigned long size;			/* pages on the list: written under lock, read anywhere */
	struct page *batch_page;		/* carries LOCK/UNLOCK lists; never ballooned */
	struct ballast_batch_entry *batch;	/* its kernel address */
	struct page *batch_pages[BALLAST_BATCH_MAX]; /* batch[i].ppn is page_to_pfn(batch_pages[i]) */
	unsigned int batch_max;			/* entries per call: ours or the hypervisor's, the lower */
	unsigned long vm_pages;			/* the VM's memory size, from VERSION */
	unsigned long cap;			/* the most pages the balloon holds, whatever the target */
	unsigned long target;			/* the hypervisor's last target, before the cap */
	unsigned long hv_size;			/* the balloon's size as the hypervisor last counted it */
	unsigned long holdoff_until;		/* jiffies: no inflating before this, after a pressure deflate */
	struct delayed_work work;
	struct shrinker shrinker;
	struct notifier_block oom_nb;
	struct page_reporting_dev_info reporting;
	bool reporting_on;			/* registered with the kernel's page reporting */
	struct kobject *kobj;
	/* Counters for sysfs: atomic because the worker, the shrinker and the OOM notifier all bump them. */
	atomic_long_t calls[BALLOON_NR_CALLS];
	atomic_long_t failures[BALLOON_NR_CALLS];
	atomic_long_t alloc_failures;		/* allocations that failed (each ends an inflate round) */
	atomic_long_t refused;			/* LOCK/UNLOCK entries the hypervisor refused */
	atomic_long_t inflated;			/* pages ever ballooned */
	atomic_long_t deflated;			/* pages ever given back to the guest */
	atomic_long_t pressure_deflated;	/* of those, given back under memory pressure */
	atomic_long_t reported;			/* free pages reported (whether backed or not) */
	atomic_long_t report_released;		/* of them, pages the hypervisor actually released */
} balloon;

/* The register file of one call: RBX, RCX, RDX in and out, RSI and RDI in. */
struct hc_regs {
	u64 rbx, rcx, rdx, rsi, rdi;
};

/*
 * The one door to the hypervisor.  Counts calls and failures per call number and names a failure in the log,
 * rate-limited: a hypervisor that refuses everything must not flood the console once a second.  For LOCK and
 * UNLOCK, -EAGAIN (some entries failed) counts as a failure of the call; the entries say which.
 */
static long balloon_hypercall(unsigned int nr, struct hc_regs *r)
{
	long rc;

	if (WARN_ON_ONCE(nr >= BALLOON_NR_CALLS))
		return -ENOSYS;
	rc = ballast_vmcall(nr, &r->rbx, &r->rcx, &r->rdx, r->rsi, r->rdi);
	atomic_long_inc(&balloon.calls[nr]);
	if (rc) {
		atomic_long_inc(&balloon.failures[nr]);
		pr_err_ratelimited("%s failed: %pe\n", hc_names[nr], ERR_PTR(rc));
	}
	return rc;
}

/*
 * MemAvailable below which the balloon does not inflate and the shrinker gives pages back.  min_free_kbytes is
 * not exported to modules, so this repeats the kernel's formula for it (mm/page_alloc.c: sqrt(16 x lowmem KiB),
 * clamped to 128 KiB..256 MiB); four times that keeps the balloon well clear of the watermarks kswapd works to.
 */
static unsigned long balloon_floor(void)
{
	unsigned long ram_kb, min_free_kb, floor_kb;

	if (min_avail_mb)
		return (unsigned long)min_avail_mb << (20 - PAGE_SHIFT);
	ram_kb = totalram_pages() << (PAGE_SHIFT - 10);
	min_free_kb = clamp(int_sqrt(ram_kb * 16), 128UL, 262144UL);
	floor_kb = max(4 * min_free_kb, 16UL << 10);
	return floor_kb >> (PAGE_SHIFT - 10);
}

/*
 * What the balloon may still take: MemAvailable above the floor, plus half the free swap.  Memory in swap-backed
 * pages the guest does not use is the paper's point (§3.2): inflating makes the guest page it out to its own swap,
 * with its own LRU choosing what.  Only half counts because these guests swap to zram, which keeps a compressed copy
 * in RAM; so the balloon stops well before swap fills and the guest would have to OOM-kill.
 */
static long balloon_headroom(void)
{
	return si_mem_available() + get_nr_swap_pages() / 2 - (long)balloon_floor();
}

static bool balloon_held_off(void)
{
	return time_before(jiffies, READ_ONCE(balloon.holdoff_until));
}

/* Moves the pages on @list into the batch; returns how many. */
static unsigned int balloon_fill_batch(struct list_head *list, unsigned int n)
{
	struct page *page, *tmp;
	unsigned int i = 0;

	list_for_each_entry_safe(page, tmp, list, lru) {
		if (i == n)
			break;
		list_del(&page->lru);
		balloon.batch_pages[i] = page;
		balloon.batch[i] = (struct ballast_batch_entry){ .ppn = page_to_pfn(page) };
		i++;
	}
	return i;
}

static long balloon_batch_call(unsigned int nr, unsigned int n)
{
	struct hc_regs r = { .rbx = page_to_phys(balloon.batch_page), .rcx = n };

	return balloon_hypercall(nr, &r);
}

/*
 * Hands the n pages on @fresh to the hypervisor (LOCK).  Caller holds balloon.lock.  A page the hypervisor takes
 * joins the balloon; one it refuses goes back to the guest, counted.  -EEXIST means the hypervisor already holds
 * that PPN (left over from an instance that could not give it back): the page is adopted, so both sides agree.
 * Sets *stop when this round must end: a call-level error, or the hypervisor's cap (-ENOSPC).
 * Returns the pages ballooned.
 */
static unsigned long balloon_lock_pages(struct list_head *fresh, unsigned int n, bool *stop)
{
	unsigned long ok = 0;
	unsigned int i;
	long rc;

	n = balloon_fill_batch(fresh, n);
	rc = balloon_batch_call(BALLAST_HC_LOCK, n);
	for (i = 0; i < n; i++) {
		struct page *page = balloon.batch_pages[i];
		int st = rc == -EAGAIN ? balloon.batch[i].status : 0;

		/* Call-level errors change nothing and write no statuses: every page goes back. */
		if (rc == 0 || (rc == -EAGAIN && (st == 0 || st == -EEXIST))) {
			list_add(&page->lru, &balloon.pages);
			ok++;
			continue;
		}
		if (rc == -EAGAIN) {
			atomic_long_inc(&balloon.refused);
			pr_warn_ratelimited("LOCK refused ppn %#llx: %pe\n", balloon.batch[i].ppn, ERR_PTR(st));
			if (st == -ENOSPC)
				*stop = true;
		}
		__free_page(page);
	}
	if (rc && rc != -EAGAIN)
		*stop = true;
	WRITE_ONCE(balloon.size, balloon.size + ok);
	atomic_long_add(ok, &balloon.inflated);
	return ok;
}

/*
 * Takes up to n pages back from the hypervisor (UNLOCK) and frees them to the guest.  Caller holds balloon.lock.
 * -ENOENT means the hypervisor did not hold the page, so it is ordinary memory and is freed too.  A page the
 * hypervisor keeps goes to the tail of the list, so the next batch tries others first.
 * Returns the pages freed, or a negative call-level error.
 */
static long balloon_unlock_batch(unsigned int n)
{
	unsigned long freed = 0;
	unsigned int i;
	long rc;

	n = balloon_fill_batch(&balloon.pages, min(n, balloon.batch_max));
	if (!n)
		return 0;
	rc = balloon_batch_call(BALLAST_HC_UNLOCK, n);
	for (i = 0; i < n; i++) {
		struct page *page = balloon.batch_pages[i];
		int st = rc == -EAGAIN ? balloon.batch[i].status : 0;

		if (rc == 0 || (rc == -EAGAIN && (st == 0 || st == -ENOENT))) {
			__free_page(page);
			freed++;
			continue;
		}
		if (rc == -EAGAIN) {
			atomic_long_inc(&balloon.refused);
			pr_warn_ratelimited("UNLOCK refused ppn %#llx: %pe\n", balloon.batch[i].ppn, ERR_PTR(st));
		}
		list_add_tail(&page->lru, &balloon.pages);
	}
	WRITE_ONCE(balloon.size, balloon.size - freed);
	atomic_long_add(freed, &balloon.deflated);
	return rc && rc != -EAGAIN ? rc : (long)freed;
}

/* Deflates by up to n pages, batch by batch; stops early when the hypervisor gives nothing back. */
static unsigned long balloon_deflate_locked(unsigned long n)
{
	unsigned long freed = 0;

	while (freed < n && balloon.size) {
		long got = balloon_unlock_batch(min_t(unsigned long, n - freed, balloon.batch_max));

		if (got <= 0)
			break;
		freed += got;
	}
	return freed;
}

static unsigned long balloon_deflate(unsigned long n)
{
	unsigned long freed = 0;

	while (freed < n && READ_ONCE(balloon.size)) {
		unsigned long got;

		/* One batch per lock hold, so the shrinker and the OOM notifier get in between batches. */
		mutex_lock(&balloon.lock);
		got = balloon_deflate_locked(min_t(unsigned long, n - freed, balloon.batch_max));
		mutex_unlock(&balloon.lock);
		if (!got)
			break;
		freed += got;
		cond_resched();
	}
	return freed;
}

/* One inflate step: allocate up to n pages outside the lock, then LOCK them.  Returns the pages ballooned. */
static unsigned long balloon_inflate_batch(unsigned int n, bool *stop)
{
	LIST_HEAD(fresh);
	unsigned int got;
	unsigned long ok;

	for (got = 0; got < n; got++) {
		struct page *page = alloc_page(BALLOON_GFP);

		if (!page) {
			/* The guest is short: stop this round, try again next poll. */
			atomic_long_inc(&balloon.alloc_failures);
			*stop = true;
			break;
		}
		list_add(&page->lru, &fresh);
	}
	if (!got)
		return 0;
	mutex_lock(&balloon.lock);
	ok = balloon_lock_pages(&fresh, got, stop);
	mutex_unlock(&balloon.lock);
	return ok;
}

/*
 * Inflates by up to n pages, as long as there is headroom (MemAvailable above the floor, or free swap).  A batch the floor would cut short is
 * not sent at all: near the floor the balloon would otherwise creep by a few pages every poll as the page cache
 * breathes, so this leaves a band of one batch (1 MiB) as hysteresis.
 */
static unsigned long balloon_inflate(unsigned long n)
{
	unsigned long done = 0;
	bool stop = false;

	while (done < n && !stop) {
		long headroom = balloon_headroom();
		unsigned long room = headroom > 0 ? headroom : 0;
		unsigned long want = min3(n - done, (unsigned long)balloon.batch_max,
					  (unsigned long)clamp(READ_ONCE(inflate_batch), 1U, balloon.batch_max));

		if (room < want)
			break;
		done += balloon_inflate_batch(want, &stop);
		cond_resched();
	}
	return done;
}

/* Pages the guest has read back from swap since boot (the vm event PSWPIN): how hard it is paging. */
static unsigned long balloon_swapins(void)
{
	static unsigned long events[NR_VM_EVENT_ITEMS];	/* too big for the stack; the worker alone calls this */

	all_vm_events(events);
	return events[PSWPIN];
}

/* Tells the hypervisor what the guest sees; all in pages. */
static void balloon_send_stats(void)
{
	struct sysinfo si;
	struct hc_regs r;

	si_meminfo(&si);
	r = (struct hc_regs){
		.rbx = si.freeram,
		.rcx = si_mem_available(),
		.rdx = READ_ONCE(balloon.size),
		.rsi = atomic_long_read(&balloon.alloc_failures),
		.rdi = balloon_swapins(),
	};
	balloon_hypercall(BALLAST_HC_STATS, &r);
}

/* Sends the n runs in the batch page (REPORT); caller holds balloon.lock.  Returns the call's result. */
static long balloon_report_batch(unsigned int n)
{
	struct hc_regs r = { .rbx = page_to_phys(balloon.batch_page), .rcx = n };
	long rc = balloon_hypercall(BALLAST_HC_REPORT, &r);

	if (rc == 0 || rc == -EAGAIN)
		atomic_long_add(r.rbx, &balloon.report_released);
	return rc == -EAGAIN ? 0 : rc; /* a refused run stays free in the guest: nothing to undo */
}

/*
 * Free page reporting (Linux's page_reporting, as virtio-balloon's VIRTIO_BALLOON_F_REPORTING uses it): the kernel
 * hands over free blocks of at least 2 MiB, isolated from its allocator for the duration of this call, and marks
 * them reported afterwards so they are not offered again until they have been allocated and freed once more.  They
 * travel as runs (first PPN, pages) in the balloon's batch page.  Returning an error puts the blocks back
 * unreported; the kernel tries again later.
 */
static int balloon_report(struct page_reporting_dev_info *pr, struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	unsigned int i, n = 0;
	long rc = 0;

	mutex_lock(&balloon.lock);
	for_each_sg(sgl, sg, nents, i) {
		unsigned long pfn = page_to_pfn(sg_page(sg)), left = sg->length >> PAGE_SHIFT;

		atomic_long_add(left, &balloon.reported);
		while (left && !rc) {
			unsigned long run = min_t(unsigned long, left, BALLAST_REPORT_RUN_MAX);

			balloon.batch[n++] = (struct ballast_batch_entry){ .ppn = pfn, .npages = run };
			pfn += run, left -= run;
			if (n == balloon.batch_max) {
				rc = balloon_report_batch(n);
				n = 0;
			}
		}
	}
	if (n && !rc)
		rc = balloon_report_batch(n);
	mutex_unlock(&balloon.lock);
	return (int)rc;
}

static void balloon_reporting_init(void)
{
	int rc;

	if (!use_reporting)
		return;
	balloon.reporting.report = balloon_report;
	balloon.reporting.order = report_order;
	rc = page_reporting_register(&balloon.reporting);
	if (rc) { /* -EBUSY: another driver (virtio-balloon) already reports; the balloon works without it */
		pr_warn("free page reporting not available: %pe\n", ERR_PTR(rc));
		return;
	}
	balloon.reporting_on = true;
}

/* VERSION: agree on the ABI and learn the VM's size and the batch limit. */
static int balloon_handshake(void)
{
	struct hc_regs r = { .rbx = BALLAST_ABI_VERSION };
	long rc = balloon_hypercall(BALLAST_HC_VERSION, &r);

	if (rc) {
		pr_err("the hypervisor refused ABI version %d: %pe\n", BALLAST_ABI_VERSION, ERR_PTR(rc));
		return (int)rc;
	}
	if (!r.rcx || !r.rdx) {
		pr_err("VERSION answered vm_pages=%llu batch_max=%llu; both must be non-zero\n", r.rcx, r.rdx);
		return -EPROTO;
	}
	balloon.vm_pages = r.rcx;
	balloon.batch_max = min_t(u64, r.rdx, BALLAST_BATCH_MAX);
	pr_info("handshake: guest abi=%d hypervisor abi=%llu vm_pages=%llu batch_max=%u\n",
		BALLAST_ABI_VERSION, r.rbx, r.rcx, balloon.batch_max);
	return 0;
}

/* Moves the balloon toward the target, within the cap, the per-poll limit, the floor and the hold-off. */
static void balloon_adjust(unsigned long target)
{
	unsigned long goal = min(target, balloon.cap);
	unsigned long size = READ_ONCE(balloon.size);
	unsigned long up = 0, down = 0;
	ktime_t t0 = ktime_get();

	if (goal > size && !balloon_held_off())
		up = balloon_inflate(min(goal - size, max_per_poll));
	else if (goal < size)
		down = balloon_deflate(min(size - goal, max_per_poll));
	/* us: how long the move took (allocation or freeing plus the hypercalls), for rates in benchmarks */
	if (up || down)
		pr_info("target=%lu size=%lu inflated=%lu deflated=%lu avail=%ld us=%lld\n",
			target, READ_ONCE(balloon.size), up, down, si_mem_available(),
			ktime_us_delta(ktime_get(), t0));
}

/* The hypervisor's cap, lowered by max_percent where the guest asked for less. */
static void balloon_set_cap(unsigned long hv_cap)
{
	unsigned long own = max_percent ? balloon.vm_pages / 100 * min(max_percent, 100U) : ULONG_MAX;

	WRITE_ONCE(balloon.cap, min(hv_cap, own));
}

static void balloon_work(struct work_struct *work)
{
	struct hc_regs r = {};
	long rc = balloon_hypercall(BALLAST_HC_GET_TARGET, &r);

	/* -EPROTO: the hypervisor forgot the handshake (say, it restarted the VM's balloon state); shake again. */
	if (rc == -EPROTO && !balloon_handshake())
		rc = balloon_hypercall(BALLAST_HC_GET_TARGET, &r);
	if (!rc) {
		WRITE_ONCE(balloon.target, r.rbx);
		WRITE_ONCE(balloon.hv_size, r.rcx);
		balloon_set_cap(r.rdx);
		balloon_adjust(r.rbx);
	}
	balloon_send_stats();
	queue_delayed_work(system_freezable_wq, &balloon.work, msecs_to_jiffies(max(READ_ONCE(poll_ms), 10U)));
}

/*
 * Deflate under pressure (shrinker, OOM notifier): give back up to n pages now, and hold inflation off for
 * holdoff_s, or the next poll would take straight back what the guest has just shown it needs.
 */
static unsigned long balloon_pressure_deflate(unsigned long n, const char *why)
{
	unsigned long freed;

	mutex_lock(&balloon.lock);
	freed = balloon_deflate_locked(n);
	mutex_unlock(&balloon.lock);
	if (!freed)
		return 0;
	WRITE_ONCE(balloon.holdoff_until, jiffies + (unsigned long)READ_ONCE(holdoff_s) * HZ);
	atomic_long_add(freed, &balloon.pressure_deflated);
	pr_info_ratelimited("%s: gave back %lu pages, size=%lu avail=%ld floor=%lu\n",
			    why, freed, READ_ONCE(balloon.size), si_mem_available(), balloon_floor());
	return freed;
}

/*
 * The shrinker offers the balloon to reclaim only while there is no headroom left (MemAvailable below the floor
 * and swap all but full).  Above it the guest has page cache to drop or pages to swap, which is its own choice; offering the balloon then would let kswapd, woken by the
 * balloon's own allocations, hand back what was just inflated.
 */
static unsigned long balloon_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long size = READ_ONCE(balloon.size);

	if (!size)
		return SHRINK_EMPTY;
	return balloon_headroom() < 0 ? size : 0;
}

/* Gives back what reclaim asks for, or enough to lift MemAvailable back to the floor, whichever is more. */
static unsigned long balloon_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	long headroom = balloon_headroom();
	unsigned long short_by = headroom < 0 ? -headroom : 0;

	return balloon_pressure_deflate(max(sc->nr_to_scan, short_by), "pressure");
}

/* The last resort: the guest is about to OOM-kill; give back oom_pages so it need not. */
static int balloon_oom_notify(struct notifier_block *nb, unsigned long unused, void *parm)
{
	unsigned long *freed = parm;

	*freed += balloon_pressure_deflate(READ_ONCE(oom_pages), "oom");
	return NOTIFY_OK;
}

/* /sys/kernel/ballast_balloon/: one value per file, in pages unless named otherwise. */
#define BALLOON_ATTR(_name, _expr)							\
static ssize_t _name##_show(struct kobject *k, struct kobj_attribute *a, char *buf)	\
{											\
	return sysfs_emit(buf, "%lu\n", (unsigned long)(_expr));			\
}											\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

static unsigned long balloon_sum(atomic_long_t *v)
{
	unsigned long sum = 0;
	int i;

	for (i = 0; i < BALLOON_NR_CALLS; i++)
		sum += atomic_long_read(&v[i]);
	return sum;
}

static unsigned long balloon_holdoff_ms(void)
{
	return balloon_held_off() ? jiffies_to_msecs(READ_ONCE(balloon.holdoff_until) - jiffies) : 0;
}

BALLOON_ATTR(target, READ_ONCE(balloon.target));
BALLOON_ATTR(hv_size, READ_ONCE(balloon.hv_size));
BALLOON_ATTR(size, READ_ONCE(balloon.size));
BALLOON_ATTR(cap, balloon.cap);
BALLOON_ATTR(floor, balloon_floor());
BALLOON_ATTR(vm_pages, balloon.vm_pages);
BALLOON_ATTR(batch_max, balloon.batch_max);
BALLOON_ATTR(batch_ppn, page_to_pfn(balloon.batch_page));
BALLOON_ATTR(calls, balloon_sum(balloon.calls));
BALLOON_ATTR(failures, balloon_sum(balloon.failures));
BALLOON_ATTR(alloc_failures, atomic_long_read(&balloon.alloc_failures));
BALLOON_ATTR(refused, atomic_long_read(&balloon.refused));
BALLOON_ATTR(inflated, atomic_long_read(&balloon.inflated));
BALLOON_ATTR(deflated, atomic_long_read(&balloon.deflated));
BALLOON_ATTR(pressure_deflated, atomic_long_read(&balloon.pressure_deflated));
BALLOON_ATTR(holdoff_ms, balloon_holdoff_ms());
BALLOON_ATTR(reported, atomic_long_read(&balloon.reported));
BALLOON_ATTR(report_released, atomic_long_read(&balloon.report_released));

/* The per-call table, one line per call: "NAME calls=N failures=M". */
static ssize_t hypercalls_show(struct kobject *k, struct kobj_attribute *a, char *buf)
{
	int i, len = 0;

	for (i = 0; i < BALLOON_NR_CALLS; i++)
		len += sysfs_emit_at(buf, len, "%s calls=%ld failures=%ld\n", hc_names[i],
				     atomic_long_read(&balloon.calls[i]), atomic_long_read(&balloon.failures[i]));
	return len;
}
static struct kobj_attribute hypercalls_attr = __ATTR_RO(hypercalls);

static struct attribute *balloon_attrs[] = {
	&target_attr.attr, &hv_size_attr.attr, &size_attr.attr, &cap_attr.attr, &floor_attr.attr,
	&vm_pages_attr.attr, &batch_max_attr.attr, &batch_ppn_attr.attr, &calls_attr.attr, &failures_attr.attr,
	&alloc_failures_attr.attr, &refused_attr.attr, &inflated_attr.attr, &deflated_attr.attr,
	&pressure_deflated_attr.attr, &holdoff_ms_attr.attr, &reported_attr.attr, &report_released_attr.attr,
	&hypercalls_attr.attr, NULL,
};
static const struct attribute_group balloon_group = { .attrs = balloon_attrs };

static int balloon_sysfs_init(void)
{
	int rc;

	balloon.kobj = kobject_create_and_add("ballast_balloon", kernel_kobj);
	if (!balloon.kobj)
		return -ENOMEM;
	rc = sysfs_create_group(balloon.kobj, &balloon_group);
	if (rc) {
		kobject_put(balloon.kobj);
		balloon.kobj = NULL;
	}
	return rc;
}

/* Reclaim hooks: the shrinker if enabled, and the OOM notifier always (it does nothing while oom_pages is 0). */
static int balloon_pressure_init(void)
{
	int rc;

	if (use_shrinker) {
		balloon.shrinker.count_objects = balloon_shrink_count;
		balloon.shrinker.scan_objects = balloon_shrink_scan;
		balloon.shrinker.seeks = DEFAULT_SEEKS;
		balloon.shrinker.batch = BALLAST_BATCH_MAX;
		rc = register_shrinker(&balloon.shrinker, "ballast-balloon");
		if (rc)
			return rc;
	}
	balloon.oom_nb.notifier_call = balloon_oom_notify;
	rc = register_oom_notifier(&balloon.oom_nb);
	if (rc && use_shrinker)
		unregister_shrinker(&balloon.shrinker);
	return rc;
}

static void balloon_pressure_exit(void)
{
	unregister_oom_notifier(&balloon.oom_nb);
	if (use_shrinker)
		unregister_shrinker(&balloon.shrinker);
}

static int __init balloon_init(void)
{
	int rc;

	ballast_check_errnos();
	rc = ballast_detect();
	if (rc)
		return rc;

	mutex_init(&balloon.lock);
	INIT_LIST_HEAD(&balloon.pages);
	INIT_DELAYED_WORK(&balloon.work, balloon_work);
	balloon.holdoff_until = jiffies;
	/* GFP_KERNEL: the batch page needs a kernel address; zeroed so no stale entry is ever read as a PPN. */
	balloon.batch_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!balloon.batch_page)
		return -ENOMEM;
	balloon.batch = page_address(balloon.batch_page);

	rc = balloon_handshake();
	if (rc)
		goto out_batch;
	balloon.cap = 0; /* until the first GET_TARGET says the hypervisor's */
	rc = balloon_sysfs_init();
	if (rc)
		goto out_batch;
	rc = balloon_pressure_init();
	if (rc)
		goto out_sysfs;

	balloon_reporting_init();

	pr_info("loaded: vm_pages=%lu cap=%lu floor=%lu batch_ppn=%#lx poll_ms=%u shrinker=%d oom_pages=%u report=%d\n",
		balloon.vm_pages, balloon.cap, balloon_floor(), page_to_pfn(balloon.batch_page), poll_ms,
		use_shrinker, oom_pages, balloon.reporting_on);
	queue_delayed_work(system_freezable_wq, &balloon.work, 0);
	return 0;

out_sysfs:
	kobject_put(balloon.kobj);
out_batch:
	__free_page(balloon.batch_page);
	return rc;
}

/*
 * Unload gives everything back.  The reclaim hooks go first and the worker is stopped, so nothing else touches the
 * balloon.  Pages the hypervisor will not UNLOCK are freed to the guest anyway: the worst that follows is that the
 * hypervisor backs them with zeroed pages on first touch and counts that against this guest.
 */
static void __exit balloon_exit(void)
{
	struct page *page, *tmp;
	unsigned long freed, kept = 0;

	if (balloon.reporting_on)
		page_reporting_unregister(&balloon.reporting); /* waits for a report in flight */
	balloon_pressure_exit();
	cancel_delayed_work_sync(&balloon.work);

	mutex_lock(&balloon.lock);
	freed = balloon_deflate_locked(balloon.size);
	list_for_each_entry_safe(page, tmp, &balloon.pages, lru) {
		list_del(&page->lru);
		__free_page(page);
		kept++;
	}
	WRITE_ONCE(balloon.size, 0);
	mutex_unlock(&balloon.lock);
	if (kept)
		pr_warn("the hypervisor kept %lu pages at unload; freed them to the guest anyway\n", kept);
	balloon_send_stats();

	kobject_put(balloon.kobj);
	__free_page(balloon.batch_page);
	pr_info("unloaded: gave back %lu pages\n", freed + kept);
}

module_init(balloon_init);
module_exit(balloon_exit);

MODULE_DESCRIPTION("ballast memory balloon (guest side)");
MODULE_LICENSE("GPL");	/* si_mem_available() and register_oom_notifier() are GPL-only exports */
