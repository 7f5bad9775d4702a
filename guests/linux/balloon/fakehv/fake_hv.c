// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for ballast's side of the balloon ABI, linked into a test build of the balloon module
 * (ballast_balloon_fakehv.ko) so that the driver's logic (inflate to a target, the cap and the floor, deflate under
 * memory pressure, unload) runs in QEMU, where there is no VMCALL to answer.  It is a test fixture, not a model of
 * the hypervisor: it implements the documented call and entry errors, keeps the ballooned PPNs in a bitmap, and
 * makes a ballooned page's contents obviously wrong (POISON on LOCK) and zero on UNLOCK, as the ABI promises, so a
 * driver that hands out a page it still uses corrupts that user's data visibly.
 *
 * Parameters (/sys/module/ballast_balloon_fakehv/parameters/): fake_target (the target, writable), fake_vm_pages
 * (the VM size VERSION reports), fake_size (pages ballooned, read-only), fake_stats (the last STATS, read-only).
 */
#define pr_fmt(fmt) "fakehv: " fmt

#include <linux/module.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include <linux/highmem.h>

#include "ballast_guest.h"

#define FAKE_MAX_PAGES (1UL << 20)	/* 4 GiB of guest: plenty for a QEMU test */
#define POISON 0xdb

static unsigned long fake_target;
module_param(fake_target, ulong, 0644);
MODULE_PARM_DESC(fake_target, "Target balloon size the fake hypervisor reports, pages");

static unsigned long fake_vm_pages = 65536;
module_param(fake_vm_pages, ulong, 0444);
MODULE_PARM_DESC(fake_vm_pages, "VM size the fake hypervisor reports, pages (at most 2^20)");

static unsigned long fake_size;
module_param(fake_size, ulong, 0444);
MODULE_PARM_DESC(fake_size, "Pages the fake hypervisor holds ballooned");

static char fake_stats[96];
module_param_string(fake_stats, fake_stats, sizeof(fake_stats), 0444);
MODULE_PARM_DESC(fake_stats, "The last STATS call");

static DEFINE_SPINLOCK(fake_lock);
static DECLARE_BITMAP(ballooned, FAKE_MAX_PAGES);
static bool handshake;

int ballast_detect(void)
{
	pr_info("no detection: this is the fake hypervisor test build\n");
	return fake_vm_pages && fake_vm_pages <= FAKE_MAX_PAGES ? 0 : -EINVAL;
}

static void fill_page(u64 ppn, int byte)
{
	void *va = kmap_local_page(pfn_to_page(ppn));

	memset(va, byte, PAGE_SIZE);
	kunmap_local(va);
}

static int fake_entry(u64 ppn, u64 batch_ppn, bool lock)
{
	if (ppn >= fake_vm_pages)
		return -BALLAST_EFAULT;
	if (ppn == batch_ppn)
		return -BALLAST_EPERM;
	if (lock) {
		if (__test_and_set_bit(ppn, ballooned))
			return -BALLAST_EEXIST;
		fill_page(ppn, POISON);
		fake_size++;
	} else {
		if (!__test_and_clear_bit(ppn, ballooned))
			return -BALLAST_ENOENT;
		fill_page(ppn, 0);
		fake_size--;
	}
	return 0;
}

/*
 * REPORT, as the ABI documents it: each run checked whole (length, inside the VM, not the batch page, no ballooned
 * page) and, when good, "released": its pages are zeroed, as a real release followed by a touch would find them.
 * The fake backs nothing, so a page counts as released the first time a call names it (runs may overlap).
 */
static DECLARE_BITMAP(reported, FAKE_MAX_PAGES);

static int fake_run(u64 ppn, u64 npages, u64 batch_ppn, u64 *released)
{
	u64 j;

	if (npages == 0 || npages > BALLAST_REPORT_RUN_MAX)
		return -BALLAST_EINVAL;
	if (ppn >= fake_vm_pages || npages > fake_vm_pages - ppn)
		return -BALLAST_EFAULT;
	if (ppn <= batch_ppn && batch_ppn < ppn + npages)
		return -BALLAST_EPERM;
	for (j = 0; j < npages; j++)
		if (test_bit(ppn + j, ballooned))
			return -BALLAST_EEXIST;
	for (j = 0; j < npages; j++) {
		if (__test_and_set_bit(ppn + j, reported))
			continue;
		fill_page(ppn + j, 0);
		(*released)++;
	}
	return 0;
}

/* The call-level checks every batch call makes first (the ABI's LOCK/UNLOCK/REPORT text): the batch page, or NULL
 * with *err set. */
static struct ballast_batch_entry *fake_batch_page(u64 gpa, u64 n, long *err)
{
	*err = (gpa & ~PAGE_MASK) || gpa >= (u64)fake_vm_pages << PAGE_SHIFT ? -BALLAST_EINVAL
	       : n == 0 || n > BALLAST_BATCH_MAX				  ? -BALLAST_E2BIG
										  : 0;
	return *err ? NULL : phys_to_virt(gpa);
}

static long fake_report(u64 gpa, u64 n, u64 *released)
{
	struct ballast_batch_entry *e;
	u64 i, ok = 0;
	long err;

	if (!(e = fake_batch_page(gpa, n, &err)))
		return err;
	*released = 0;
	for (i = 0; i < n; i++) {
		e[i].status = fake_run(e[i].ppn, e[i].npages, gpa >> PAGE_SHIFT, released);
		ok += e[i].status == 0;
	}
	bitmap_zero(reported, FAKE_MAX_PAGES); /* the next call may release them again (the guest may have used them) */
	return ok == n ? 0 : -BALLAST_EAGAIN;
}

static long fake_batch(u64 gpa, u64 n, u64 *done, bool lock)
{
	struct ballast_batch_entry *e;
	u64 i, ok = 0;
	long err;

	if (!(e = fake_batch_page(gpa, n, &err)))
		return err;
	for (i = 0; i < n; i++) {
		e[i].status = e[i].npages ? -BALLAST_EINVAL : fake_entry(e[i].ppn, gpa >> PAGE_SHIFT, lock);
		ok += e[i].status == 0;
	}
	*done = ok;
	return ok == n ? 0 : -BALLAST_EAGAIN;
}

static long fake_call(u64 nr, u64 *rbx, u64 *rcx, u64 *rdx, u64 rsi)
{
	if (nr > BALLAST_HC_MAX)
		return -BALLAST_ENOSYS;
	if (nr == BALLAST_HC_VERSION) {
		if (*rbx != BALLAST_ABI_VERSION)
			return -BALLAST_EINVAL;
		handshake = true;
		*rcx = fake_vm_pages;
		*rdx = BALLAST_BATCH_MAX;
		return 0;
	}
	if (!handshake)
		return -BALLAST_EPROTO;
	switch (nr) {
	case BALLAST_HC_GET_TARGET:
		*rbx = READ_ONCE(fake_target);
		*rcx = fake_size;
		*rdx = fake_vm_pages * 65 / 100; /* the cap, as ballast's default balloon_max */
		return 0;
	case BALLAST_HC_LOCK:
	case BALLAST_HC_UNLOCK:
		return fake_batch(*rbx, *rcx, rbx, nr == BALLAST_HC_LOCK);
	case BALLAST_HC_REPORT:
		return fake_report(*rbx, *rcx, rbx);
	default:
		snprintf(fake_stats, sizeof(fake_stats), "free=%llu avail=%llu balloon=%llu alloc_failures=%llu",
			 *rbx, *rcx, *rdx, rsi);
		return 0;
	}
}

long ballast_vmcall(u64 nr, u64 *rbx, u64 *rcx, u64 *rdx, u64 rsi, u64 rdi)
{
	long rc;

	spin_lock(&fake_lock);
	rc = fake_call(nr, rbx, rcx, rdx, rsi);
	spin_unlock(&fake_lock);
	return rc;
}
