/*
 * Swap I/O in flight: the table, queueing, completion and cancellation (see pageio.h for the state machine).
 */
#include <ballast/errno.h>
#include "mm/mm_internal.h"
#include "mm/pagehash.h"

int pageio_init(struct mm *mm)
{
	mm->io = mm_zalloc(MM_SWAP_IO_MAX * sizeof(*mm->io));
	if (!mm->io)
		return -ENOMEM;
	for (uint32_t i = 0; i < MM_SWAP_IO_MAX; i++)
		mm->io[i].next = i + 1 < MM_SWAP_IO_MAX ? i + 1 : MPOOL_NONE;
	mm->io_free = 0;
	return 0;
}

void pageio_destroy(struct mm *mm)
{
	MM_BUG_ON(mm->io_busy); /* the mechanism must have completed every I/O */
	mm_free(mm->io, MM_SWAP_IO_MAX * sizeof(*mm->io));
	mm->io = NULL;
}

static uint32_t page_sum(struct mm *mm, uint32_t idx)
{
	return (uint32_t)pagehash(mpage_ptr(mm, idx));
}

/* A free entry, or MPOOL_NONE when every one is in flight. */
static uint32_t io_get(struct mm *mm)
{
	uint32_t id = mm->io_free;

	if (!mm->io || id == MPOOL_NONE)
		return MPOOL_NONE;
	mm->io_free = mm->io[id].next;
	mm->io_busy++;
	return id;
}

static void io_put(struct mm *mm, uint32_t id)
{
	mm->io[id] = (struct swap_io){ .kind = SIO_FREE, .next = mm->io_free };
	mm->io_free = id;
	mm->io_busy--;
}

static void io_submit(struct mm *mm, uint32_t id)
{
	const struct swap_io *io = &mm->io[id];
	struct mm_swap_req req = {
		.id = id, .write = io->kind == SIO_WRITE, .slot = io->slot, .mpn = mpool_mpn(&mm->pool, io->idx),
	};
	mm->ops->swap_submit(mm->ctx, &req);
}

bool pageio_room(const struct mm *mm)
{
	return mm->io && mm->io_free != MPOOL_NONE;
}

int pageio_swap_out(struct mm *mm, struct mm_vm *vm, ppn_t ppn, uint64_t slot)
{
	uint32_t id = io_get(mm), idx = pte_obj(pmap_get(&vm->pmap, ppn));

	if (id == MPOOL_NONE)
		return -EAGAIN;
	/* Unmapped (and invalidated) before the checksum: no guest write may race the copy to disk. */
	mm->ops->unmap(mm->ctx, vm->id, ppn);
	mm->io[id] = (struct swap_io){ .kind = SIO_WRITE, .vm = vm->id, .ppn = (uint32_t)ppn.v, .idx = idx,
				       .slot = (uint32_t)slot, .sum = page_sum(mm, idx) };
	pmap_set(&vm->pmap, ppn, pte_make(PS_PAGING_OUT, id));
	vm->swap_used++;
	vm->io_busy++;
	io_submit(mm, id);
	return 0;
}

int pageio_swap_in(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	uint32_t slot = pte_obj(pmap_get(&vm->pmap, ppn)), idx, id;
	int err = 0;

	if (vm->swap_failed)
		return -EIO;
	if (!pageio_room(mm))
		return -EAGAIN; /* every I/O busy: the fault is retried once one ends */
	idx = vm_alloc_for_guest(mm, vm, ppn, &err);
	if (idx == MPOOL_NONE)
		return err;
	id = io_get(mm);
	mm->io[id] = (struct swap_io){ .kind = SIO_READ, .vm = vm->id, .ppn = (uint32_t)ppn.v, .idx = idx, .slot = slot };
	pmap_set(&vm->pmap, ppn, pte_make(PS_PAGING_IN, id));
	vm->io_busy++;
	io_submit(mm, id);
	return -EAGAIN;
}

int pageio_take_back(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	uint32_t id = pte_obj(pmap_get(&vm->pmap, ppn));
	struct swap_io *io = &mm->io[id];

	MM_BUG_ON(io->kind != SIO_WRITE || io->orphan || io->idx == MPOOL_NONE);
	/* The page never left: the guest gets it back as it was; the write's slot is freed when the write ends. */
	pmap_set(&vm->pmap, ppn, pte_make(PS_PRIVATE, io->idx));
	io->idx = MPOOL_NONE;
	io->orphan = true;
	vm->swap_used--;
	vm->io_busy--;
	vm->stat.swap_cancels++;
	vm_map_entry(mm, vm, ppn);
	return 0;
}

bool pageio_let_go(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);
	struct swap_io *io = &mm->io[pte_obj(e)];
	bool had_page = pte_state(e) == PS_PAGING_OUT; /* a read's page holds nothing of the guest's yet */

	MM_BUG_ON(io->orphan || io->idx == MPOOL_NONE);
	mpool_retag(&mm->pool, io->idx, MP_IO, 0, pte_obj(e));
	io->orphan = true;
	pmap_set(&vm->pmap, ppn, pte_make(PS_UNBACKED, 0)); /* unmapped already: PAGING entries never are */
	vm->swap_used--; /* the slot goes with the I/O */
	vm->io_busy--;
	return had_page;
}

/* Finish an orphan: give back what the device no longer uses. */
static void finish_orphan(struct mm *mm, struct swap_io *io)
{
	if (io->idx != MPOOL_NONE)
		mpool_free(&mm->pool, io->idx);
	/* A read of an orphan leaves its slot with the I/O too (its VM gave the page up: the contents are dead). */
	swap_slot_free(&mm->swap, io->slot);
}

static void finish_write(struct mm *mm, struct mm_vm *vm, struct swap_io *io, int status)
{
	ppn_t ppn = PPN(io->ppn);

	if (status < 0) { /* the page is still here: keep it, mapped again on its next access */
		mm->stat.swap_errors++;
		mm_log("mm: vm %s swap-out of ppn 0x%lx to slot %lu failed (%s): page kept", vm->name,
		       (unsigned long)ppn.v, (unsigned long)io->slot, errno_name(status));
		swap_slot_free(&mm->swap, io->slot);
		pmap_set(&vm->pmap, ppn, pte_make(PS_PRIVATE, io->idx));
		vm->swap_used--;
		return;
	}
	mm->swap.sum[io->slot] = io->sum;
	mpool_free(&mm->pool, io->idx);
	pmap_set(&vm->pmap, ppn, pte_make(PS_SWAPPED, io->slot));
	vm->stat.swap_outs++;
}

static int finish_read(struct mm *mm, struct mm_vm *vm, struct swap_io *io, int status, struct mm_swap_failure *fail)
{
	ppn_t ppn = PPN(io->ppn);
	const char *why = status < 0 ? "read error" : page_sum(mm, io->idx) != mm->swap.sum[io->slot] ? "checksum mismatch" : NULL;

	if (why) { /* never map a wrong page: the contents stay in the slot, the VM stops */
		mm->stat.swap_errors++;
		mpool_free(&mm->pool, io->idx);
		pmap_set(&vm->pmap, ppn, pte_make(PS_SWAPPED, io->slot));
		vm->swap_failed = true;
		mm_log("mm: vm %s swap-in of ppn 0x%lx from slot %lu failed: %s (%s); the VM must stop", vm->name,
		       (unsigned long)ppn.v, (unsigned long)io->slot, why, status < 0 ? errno_name(status) : "no error");
		if (fail)
			*fail = (struct mm_swap_failure){ .vm = vm->id, .ppn = ppn, .slot = io->slot, .why = why };
		return -EIO;
	}
	swap_slot_free(&mm->swap, io->slot);
	vm->swap_used--;
	pmap_set(&vm->pmap, ppn, pte_make(PS_PRIVATE, io->idx));
	vm_map_entry(mm, vm, ppn);
	vm->stat.swap_ins++;
	return 0;
}

int mm_swap_complete(struct mm *mm, uint32_t id, int status, struct mm_swap_failure *fail)
{
	int rc = 0;

	mm_lock(&mm->lock);
	MM_BUG_ON(!mm->io || id >= MM_SWAP_IO_MAX || mm->io[id].kind == SIO_FREE);
	struct swap_io *io = &mm->io[id];
	if (io->orphan) {
		finish_orphan(mm, io);
	} else {
		struct mm_vm *vm = mm->vm[io->vm];
		MM_BUG_ON(!vm || pte_obj(pmap_get(&vm->pmap, PPN(io->ppn))) != id);
		if (io->kind == SIO_WRITE)
			finish_write(mm, vm, io, status);
		else
			rc = finish_read(mm, vm, io, status, fail);
		vm->io_busy--;
	}
	io_put(mm, id);
	mm_unlock(&mm->lock);
	return rc;
}

uint32_t mm_swap_inflight(struct mm *mm)
{
	uint32_t n;

	mm_lock(&mm->lock);
	n = mm->io_busy;
	mm_unlock(&mm->lock);
	return n;
}
