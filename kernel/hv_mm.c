/*
 * The mm core's mechanism in the hypervisor (mm/mm_ops.h): page contents through the identity map, the pmap's
 * hardware copy in each VM's EPT, accessed bits from EPT A/D, and swap I/O queued to kernel/swap_io.c.
 *
 * Machine memory is split once at boot.  The frame allocator keeps a reserve for the hypervisor's own metadata (the
 * mm core's pool records and sharing table, each VM's pmap, VMCS and bitmaps); everything else becomes the mm
 * core's pool, from which guest pages, shared pages and EPT tables come, so that every one of them is accounted and
 * audited.  The reserve is sized from what that metadata costs per page of memory (see RESERVE_* below).
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "kernel/hv_mm.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/swap_io.h"
#include "kernel/vm.h"
#include "vmx/ept.h"
#include "vmx/vmx.h"
#include "vmx/vmx_hw.h"

struct mm hv_mm;
static struct vm *vm_by_mm_id[MM_MAX_VMS];

/*
 * Reserve: a fixed part for boot-time structures plus 1/64 of memory.  Metadata per machine page is 8 bytes of
 * pool record and ~8 bytes of sharing table (1/256 together); per guest page 8 bytes of pmap (1/512 of guest
 * memory, so 1/128 of machine memory at 4x overcommit).  1/64 leaves room for both with margin.
 */
#define RESERVE_FIXED_PAGES 2048 /* 8 MiB */
#define RESERVE_SHIFT 6

static void *hv_page_ptr(void *ctx, mpn_t mpn)
{
	(void)ctx;
	return mpn_to_ptr(mpn);
}

static struct ept *ept_of(unsigned id)
{
	struct vm *vm = id < MM_MAX_VMS ? vm_by_mm_id[id] : 0;

	BUG_ON(!vm);
	return &vm->ept;
}

static void hv_map(void *ctx, unsigned id, ppn_t ppn, mpn_t mpn, bool writable)
{
	struct ept *ept = ept_of(id);
	uint64_t old = ept_lookup(ept, ppn);

	(void)ctx;
	BUG_ON(!ept->pml4);
	/* Tables exist for every guest page (ept_populate), so this never allocates and cannot fail. */
	BUG_ON(ept_map(ept, ppn, mpn, writable ? EPT_RWX : EPT_R | EPT_X) != 0);
	/* Replacing a present mapping (copy-on-write, read-only to writable) must not leave the old one cached. */
	if (old & EPT_RWX)
		ept_flush(ept);
}

static void hv_unmap(void *ctx, unsigned id, ppn_t ppn)
{
	struct ept *ept = ept_of(id);

	(void)ctx;
	/* A VM being destroyed loses its EPT first (its tables are overhead pages the core wants back before
	 * mm_vm_destroy); the core's unmaps while it frees the guest's pages then have nothing to undo. */
	if (!ept->pml4)
		return;
	if (ept_unmap(ept, ppn) & EPT_RWX)
		ept_flush(ept);
}

static void hv_unmap_deferred(void *ctx, unsigned id, ppn_t ppn)
{
	struct ept *ept = ept_of(id);

	(void)ctx;
	if (ept->pml4)
		ept_unmap(ept, ppn); /* the core calls hv_flush() before any guest runs again */
}

static void hv_flush(void *ctx, unsigned id)
{
	struct ept *ept = ept_of(id);

	(void)ctx;
	if (ept->pml4)
		ept_flush(ept);
}

/* The CPU sets the bit again only on a walk, not from a cached translation: the core flushes after a pass. */
static bool hv_test_clear_accessed(void *ctx, unsigned id, ppn_t ppn)
{
	(void)ctx;
	return ept_test_clear_accessed(ept_of(id), ppn);
}

static bool hv_lookup(void *ctx, unsigned id, ppn_t ppn, mpn_t *mpn, bool *writable)
{
	uint64_t e = ept_lookup(ept_of(id), ppn);

	(void)ctx;
	if (!(e & EPT_RWX))
		return false;
	*mpn = maddr_to_mpn(e & EPT_ADDR_MASK);
	*writable = e & EPT_W;
	return true;
}

static const struct mm_ops hv_ops_ad = {
	.page_ptr = hv_page_ptr,
	.map = hv_map,
	.unmap = hv_unmap,
	.test_clear_accessed = hv_test_clear_accessed,
	.unmap_deferred = hv_unmap_deferred,
	.flush = hv_flush,
	.lookup = hv_lookup,
	.swap_submit = swap_io_submit,
};

/* Without EPT A/D bits the core samples by unmapping pages instead. */
static const struct mm_ops hv_ops_no_ad = {
	.page_ptr = hv_page_ptr,
	.map = hv_map,
	.unmap = hv_unmap,
	.unmap_deferred = hv_unmap_deferred,
	.flush = hv_flush,
	.lookup = hv_lookup,
	.swap_submit = swap_io_submit,
};

uint32_t hv_mm_vm_device_pages(void)
{
	/* VMCS (1), I/O bitmaps (2), MSR bitmap (1), and the VM's own structure with its device models. */
	return 4 + (uint32_t)(align_up(sizeof(struct vm), PAGE_SIZE) >> PAGE_SHIFT);
}

void hv_mm_attach(unsigned mm_id, struct vm *vm)
{
	vm_by_mm_id[mm_id] = vm;
}

void hv_mm_detach(unsigned mm_id)
{
	vm_by_mm_id[mm_id] = 0;
}

struct vm *hv_mm_vm(unsigned mm_id)
{
	return mm_id < MM_MAX_VMS ? vm_by_mm_id[mm_id] : 0;
}

/* Take runs from the frame allocator, largest first, until the pool has its pages or the ranges run out. */
static unsigned carve_pool(struct mpn_range *r, unsigned max, uint64_t want)
{
	uint64_t run = 1ULL << 40, got = 0;
	unsigned n = 0;

	while (got < want && n < max && run) {
		uint64_t size = MIN(run, want - got);
		mpn_t m = frame_alloc_run(&frames, size, 1);
		if (!mpn_valid(m)) {
			run = size >> 1; /* no run this long left: try half as long */
			continue;
		}
		r[n++] = (struct mpn_range){ .first = m, .npages = size };
		got += size;
	}
	return n;
}

void hv_mm_init(void)
{
	struct mm_tunables t;
	struct mpn_range r[MPOOL_MAX_RANGES];
	uint64_t reserve = RESERVE_FIXED_PAGES + (frames.free_pages >> RESERVE_SHIFT);

	if (frames.free_pages <= reserve)
		panic("mm: %llu free pages are too few to run guests (the hypervisor keeps %llu)",
		      (unsigned long long)frames.free_pages, (unsigned long long)reserve);
	mm_tunables_default(&t);
	t.overhead_dev_pages = hv_mm_vm_device_pages();
	unsigned n = carve_pool(r, MPOOL_MAX_RANGES, frames.free_pages - reserve);
	bool ad = vmx_caps.ept_vpid & EPT_CAP_AD;
	uint64_t slots = swap_io_slots();
	int err = mm_init(&hv_mm, &t, ad ? &hv_ops_ad : &hv_ops_no_ad, 0, r, n, slots);
	if (err)
		panic("mm: init failed: %s", errno_name(err));
	printk("mm: %llu MiB in the guest pool (%u ranges), %llu MiB kept for the hypervisor; sampling by %s; "
	       "swap: %llu MiB\n",
	       (unsigned long long)(hv_mm.pool.npages >> 8), n, (unsigned long long)(frames.free_pages >> 8),
	       ad ? "EPT accessed bits" : "unmapping", (unsigned long long)(slots >> 8));
}
