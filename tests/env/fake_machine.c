/* The fake machine behind struct mm_ops for host builds (see fake_machine.h). */
#include <stdlib.h>
#include <string.h>
#include <ballast/errno.h>
#include "tests/env/fake_machine.h"

static void *fm_page_ptr(void *ctx, mpn_t mpn)
{
	struct fake_machine *fm = ctx;

	MM_BUG_ON(mpn.v < fm->base || mpn.v >= fm->base + fm->npages);
	return fm->mem + (mpn.v - fm->base) * PAGE_SIZE;
}

static void fm_map(void *ctx, unsigned vm, ppn_t ppn, mpn_t mpn, bool writable)
{
	struct fake_machine *fm = ctx;
	struct fake_ept *e = fm->ept[vm];

	MM_BUG_ON(!e || ppn.v >= e->npages);
	e->mpn_off[ppn.v] = (uint32_t)(mpn.v - fm->base);
	e->flags[ppn.v] = FEPT_PRESENT | (writable ? FEPT_WRITE : 0) | (e->flags[ppn.v] & FEPT_ACCESSED);
	fm->maps++;
}

static void fm_unmap(void *ctx, unsigned vm, ppn_t ppn)
{
	struct fake_machine *fm = ctx;
	struct fake_ept *e = fm->ept[vm];

	MM_BUG_ON(!e || ppn.v >= e->npages);
	e->flags[ppn.v] = 0;
	fm->unmaps++;
}

/* The fake EPT has no TLB: the entry goes at once, and the pending invalidation is only counted so that tests can
 * check that the core flushes every batch before it returns. */
static void fm_unmap_deferred(void *ctx, unsigned vm, ppn_t ppn)
{
	struct fake_machine *fm = ctx;

	fm_unmap(ctx, vm, ppn);
	fm->unflushed[vm]++;
}

static void fm_flush(void *ctx, unsigned vm)
{
	struct fake_machine *fm = ctx;

	fm->unflushed[vm] = 0;
	fm->flushes++;
}

static bool fm_test_clear_accessed(void *ctx, unsigned vm, ppn_t ppn)
{
	struct fake_machine *fm = ctx;
	struct fake_ept *e = fm->ept[vm];
	bool a = e->flags[ppn.v] & FEPT_ACCESSED;

	e->flags[ppn.v] &= ~FEPT_ACCESSED;
	return a;
}

static bool fm_lookup(void *ctx, unsigned vm, ppn_t ppn, mpn_t *mpn, bool *writable)
{
	struct fake_machine *fm = ctx;
	struct fake_ept *e = fm->ept[vm];

	if (!e || ppn.v >= e->npages || !(e->flags[ppn.v] & FEPT_PRESENT))
		return false;
	*mpn = MPN(fm->base + e->mpn_off[ppn.v]);
	*writable = e->flags[ppn.v] & FEPT_WRITE;
	return true;
}

/* The fake disk queues what the core submits; fm_disk_complete() carries it out later, as a device would. */
static void fm_swap_submit(void *ctx, const struct mm_swap_req *req)
{
	struct fake_machine *fm = ctx;

	MM_BUG_ON(fm->npending >= MM_SWAP_IO_MAX || req->slot >= fm->nslots);
	fm->pending[fm->npending++] = *req;
}

unsigned fm_disk_complete(struct fake_machine *fm, unsigned n)
{
	unsigned done = 0;

	while (done < n && fm->npending) {
		struct mm_swap_req r = fm->pending[0];
		int status = 0;
		memmove(fm->pending, fm->pending + 1, --fm->npending * sizeof(r));
		uint8_t *slot = fm->swap + r.slot * PAGE_SIZE, *page = fm_page_ptr(fm, r.mpn);
		if (fm->fail_swap_io) {
			status = -EIO;
		} else if (r.write) {
			memcpy(slot, page, PAGE_SIZE);
			fm->swap_writes++;
		} else {
			memcpy(page, slot, PAGE_SIZE);
			if (fm->corrupt_reads)
				page[100] ^= 0x40; /* a disk that returns the wrong data without an error */
			fm->swap_reads++;
		}
		struct mm_swap_failure f;
		if (mm_swap_complete(&fm->mm, r.id, status, &f) < 0) {
			fm->swap_failures++;
			fm->last_failure = f;
		}
		done++;
	}
	return done;
}

static const struct mm_ops fm_ops_unmap = {
	.page_ptr = fm_page_ptr,
	.map = fm_map,
	.unmap = fm_unmap,
	.unmap_deferred = fm_unmap_deferred,
	.flush = fm_flush,
	.lookup = fm_lookup,
	.swap_submit = fm_swap_submit,
};

static const struct mm_ops fm_ops_abits = {
	.page_ptr = fm_page_ptr,
	.map = fm_map,
	.unmap = fm_unmap,
	.test_clear_accessed = fm_test_clear_accessed,
	.unmap_deferred = fm_unmap_deferred,
	.flush = fm_flush,
	.lookup = fm_lookup,
	.swap_submit = fm_swap_submit,
};

int fm_init(struct fake_machine *fm, uint64_t base, uint64_t npages, uint64_t nslots, const struct mm_tunables *t,
	    bool use_abits)
{
	struct mm_tunables def;
	struct mpn_range r = { MPN(base), npages };

	memset(fm, 0, sizeof(*fm));
	if (!t) {
		mm_tunables_default(&def);
		t = &def;
	}
	fm->mem = calloc(npages, PAGE_SIZE);
	fm->swap = nslots ? calloc(nslots, PAGE_SIZE) : NULL;
	if (!fm->mem || (nslots && !fm->swap))
		return -ENOMEM;
	fm->base = base;
	fm->npages = npages;
	fm->nslots = nslots;
	return mm_init(&fm->mm, t, use_abits ? &fm_ops_abits : &fm_ops_unmap, fm, &r, 1, nslots);
}

void fm_destroy(struct fake_machine *fm)
{
	for (unsigned i = 0; i < MM_MAX_VMS; i++)
		if (fm->mm.vm[i])
			fm_vm_destroy(fm, fm->mm.vm[i]);
	fm_disk_settle(fm); /* the orphans of destroyed VMs' I/O, before the core goes */
	mm_destroy(&fm->mm);
	free(fm->mem);
	free(fm->swap);
}

int fm_vm_create(struct fake_machine *fm, const struct mm_vm_config *c, struct mm_vm **out)
{
	int rc = mm_vm_create(&fm->mm, c, out);
	struct fake_ept *e;

	if (rc < 0)
		return rc;
	e = calloc(1, sizeof(*e));
	e->npages = c->max_pages;
	e->mpn_off = calloc(c->max_pages, sizeof(uint32_t));
	e->flags = calloc(c->max_pages, 1);
	MM_BUG_ON(!e->mpn_off || !e->flags);
	fm->ept[(*out)->id] = e;
	return 0;
}

void fm_vm_destroy(struct fake_machine *fm, struct mm_vm *vm)
{
	struct fake_ept *e = fm->ept[vm->id];
	unsigned id = vm->id;

	/* The core unmaps while destroying; the EPT goes after it, as the hypervisor would free its tables. */
	mm_vm_destroy(&fm->mm, vm);
	fm->ept[id] = NULL;
	free(e->mpn_off);
	free(e->flags);
	free(e);
}

void *fm_access(struct fake_machine *fm, struct mm_vm *vm, ppn_t ppn, bool write, int *err)
{
	struct fake_ept *e = fm->ept[vm->id];
	int rc = -EFAULT;

	for (int tries = 0; tries < 3; tries++) {
		if (ppn.v >= e->npages)
			break;
		uint8_t f = e->flags[ppn.v];
		if ((f & FEPT_PRESENT) && (!write || (f & FEPT_WRITE))) {
			e->flags[ppn.v] |= FEPT_ACCESSED;
			return fm->mem + (uint64_t)e->mpn_off[ppn.v] * PAGE_SIZE;
		}
		rc = mm_fault(&fm->mm, vm, ppn, write);
		if (rc == -EAGAIN && !fm->disk_manual && fm_disk_complete(fm, MM_SWAP_IO_MAX)) {
			tries--; /* the vCPU waited for its swap-in: the access runs again */
			continue;
		}
		if (rc < 0)
			break;
		rc = -EINVAL; /* a fault that returned 0 must have installed a usable mapping */
	}
	if (err)
		*err = rc;
	return NULL;
}

void fm_fill_pattern(void *page, uint64_t seed)
{
	uint64_t *w = page;

	if (seed == 0) {
		memset(page, 0, PAGE_SIZE);
		return;
	}
	w[0] = seed;
	for (unsigned i = 1; i < PAGE_SIZE / 8; i++) /* cheap, distinct per seed */
		w[i] = (seed + i) * 0x9e3779b97f4a7c15ULL;
}

int fm_write_pattern(struct fake_machine *fm, struct mm_vm *vm, ppn_t ppn, uint64_t seed)
{
	int err = 0;
	void *p = fm_access(fm, vm, ppn, true, &err);

	if (!p)
		return err;
	fm_fill_pattern(p, seed);
	return 0;
}

int fm_read_seed(struct fake_machine *fm, struct mm_vm *vm, ppn_t ppn, uint64_t *seed)
{
	int err = 0;
	uint64_t *p = fm_access(fm, vm, ppn, false, &err);

	if (!p)
		return err;
	*seed = p[0];
	return 0;
}

bool fm_mapped(const struct fake_machine *fm, const struct mm_vm *vm, ppn_t ppn, bool *writable)
{
	uint8_t f = fm->ept[vm->id]->flags[ppn.v];

	if (writable)
		*writable = f & FEPT_WRITE;
	return f & FEPT_PRESENT;
}
