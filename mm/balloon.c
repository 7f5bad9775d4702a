/*
 * Balloon accounting, hypervisor side (paper §3.2, SPEC §2.3; see balloon.h).  Every PPN a guest reports is
 * validated before anything changes: a batch is accepted whole or refused whole with the first bad index, because a
 * half-applied batch would leave the driver and the hypervisor disagreeing about which pages are in the balloon.
 */
#include <ballast/errno.h>
#include "mm/mm_internal.h"

uint64_t mm_balloon_size(const struct mm_vm *vm)
{
	return vm->pmap.count[PS_BALLOONED];
}

uint64_t mm_balloon_cap(const struct mm *mm, const struct mm_vm *vm)
{
	return vm->ram_pages * mm->tun.balloon_max_pm / 1000;
}

void mm_balloon_connect(struct mm *mm, struct mm_vm *vm)
{
	mm_lock(&mm->lock);
	vm->balloon.connected = true;
	vm->balloon.distrusted = false; /* a (re)loaded driver gets a fresh chance */
	vm->balloon.touched = 0;
	vm->balloon.last_size = mm_balloon_size(vm);
	vm->balloon.last_progress_ms = mm->now_ms;
	mm_unlock(&mm->lock);
}

/* How long an inflate window stays open after the driver's last GET_TARGET or LOCK (about two ticks). */
#define INFLATE_WINDOW_MS 250

/* Open (or keep open) vm's inflate window if its balloon must grow.  The window lets the VM borrow from the reserve
 * what it has not borrowed yet; a poll never forgives a debt: only the machine pages a LOCK or a free report gives
 * back repay it (a driver that polls ten times a second could otherwise drain the reserve for its workload). */
static void balloon_grant(struct mm *mm, struct mm_vm *vm)
{
	struct balloon *b = &vm->balloon;

	if (!b->connected || b->target <= mm_balloon_size(vm))
		return;
	b->window_until_ms = mm->now_ms + INFLATE_WINDOW_MS;
}

uint64_t mm_balloon_target(struct mm *mm, struct mm_vm *vm)
{
	uint64_t t;

	mm_lock(&mm->lock);
	t = vm->balloon.target;
	balloon_grant(mm, vm); /* the driver is running and about to inflate (balloon.h) */
	mm_unlock(&mm->lock);
	return t;
}

/* The balloon holds what the VM must give up to come down to its allocation target: max - target, capped. */
void balloon_set_target(struct mm *mm, struct mm_vm *vm)
{
	uint64_t want = vm->ram_pages > vm->target ? vm->ram_pages - vm->target : 0;

	vm->balloon.target = MIN(want, mm_balloon_cap(mm, vm));
}

static bool in_batch_before(const ppn_t *ppns, unsigned i)
{
	for (unsigned j = 0; j < i; j++)
		if (ppn_eq(ppns[j], ppns[i]))
			return true;
	return false;
}

/* The checks every reported PPN must pass before a lock or a free report changes anything. */
static int validate(struct mm_vm *vm, const ppn_t *ppns, unsigned n, unsigned *bad)
{
	for (unsigned i = 0; i < n; i++) {
		*bad = i;
		if (!pmap_in_range(&vm->pmap, ppns[i]))
			return -EFAULT;
		enum pmap_state s = pte_state(pmap_get(&vm->pmap, ppns[i]));
		if (s == PS_BALLOONED || in_batch_before(ppns, i))
			return -EEXIST;
		if (s == PS_RESERVED)
			return -EPERM;
	}
	return 0;
}

/* Give up whatever backs ppn (a machine page or a swap slot); the entry is left UNBACKED.  True if a machine page
 * of the VM's went with it (a shared page counts: the VM held a reference to it). */
static bool drop_backing(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);

	switch (pte_state(e)) {
	case PS_PRIVATE:
	case PS_SHARED:
		vm_release_backing(mm, vm, ppn);
		return true;
	case PS_SWAPPED: /* the guest gave up a page we had swapped: its slot is free too */
		swap_slot_free(&mm->swap, pte_obj(e));
		vm->swap_used--;
		pmap_set(&vm->pmap, ppn, pte_make(PS_UNBACKED, 0));
		return false;
	case PS_PAGING_OUT: /* the page and slot go when the device is done with them */
	case PS_PAGING_IN:
		return pageio_let_go(mm, vm, ppn);
	default:
		return false;
	}
}

/* The balloon gave n machine pages back (LOCK or a free report): what it borrowed from the reserve while inflating
 * is repaid by as much, so it may borrow that again. */
static void balloon_repaid(struct mm *mm, struct mm_vm *vm, uint64_t n)
{
	vm->balloon.borrowed -= MIN(n, vm->balloon.borrowed);
	vm->balloon.window_until_ms = mm->now_ms + INFLATE_WINDOW_MS; /* the driver is inflating: its next batch comes */
}

/* One validated PPN into the balloon. */
static void balloon_take(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	bool released = drop_backing(mm, vm, ppn);

	pmap_set(&vm->pmap, ppn, pte_make(PS_BALLOONED, 0));
	if (released)
		balloon_repaid(mm, vm, 1);
}

/* Why ppn cannot be locked (or reported free) now: 0, -EFAULT, -EEXIST, -EPERM. */
static int check_one(struct mm_vm *vm, ppn_t ppn)
{
	if (!pmap_in_range(&vm->pmap, ppn))
		return -EFAULT;
	enum pmap_state s = pte_state(pmap_get(&vm->pmap, ppn));
	if (s == PS_BALLOONED)
		return -EEXIST;
	return s == PS_RESERVED ? -EPERM : 0;
}

int mm_balloon_lock_each(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, int32_t *status)
{
	int done = 0;

	if (n > MM_BALLOON_BATCH)
		return -E2BIG;
	mm_lock(&mm->lock);
	vm_batch_begin(mm, vm);
	for (unsigned i = 0; i < n; i++) {
		int rc = !vm->balloon.connected			       ? -EPROTO
			 : mm_balloon_size(vm) >= mm_balloon_cap(mm, vm) ? -ENOSPC
								       : check_one(vm, ppns[i]);
		status[i] = rc;
		if (rc < 0) {
			vm->balloon.nrefused++;
			continue;
		}
		balloon_take(mm, vm, ppns[i]);
		done++;
	}
	vm_batch_end(mm, vm);
	vm->balloon.nlocked += (uint64_t)done;
	mm_unlock(&mm->lock);
	return done;
}

int mm_balloon_unlock_each(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, int32_t *status)
{
	int done = 0;

	if (n > MM_BALLOON_BATCH)
		return -E2BIG;
	mm_lock(&mm->lock);
	for (unsigned i = 0; i < n; i++) {
		int rc = !pmap_in_range(&vm->pmap, ppns[i])				 ? -EFAULT
			 : pte_state(pmap_get(&vm->pmap, ppns[i])) != PS_BALLOONED ? -ENOENT
										 : 0;
		status[i] = rc;
		if (rc < 0) {
			vm->balloon.nrefused++;
			continue;
		}
		pmap_set(&vm->pmap, ppns[i], pte_make(PS_UNBACKED, 0)); /* backed again, zeroed, on its next touch */
		done++;
	}
	vm->balloon.nunlocked += (uint64_t)done;
	mm_unlock(&mm->lock);
	return done;
}

int64_t mm_balloon_report_runs(struct mm *mm, struct mm_vm *vm, struct mm_ppn_run *runs, unsigned n)
{
	int64_t released = 0;

	if (n > MM_BALLOON_BATCH)
		return -E2BIG;
	mm_lock(&mm->lock);
	vm_batch_begin(mm, vm);
	for (unsigned i = 0; i < n; i++) {
		struct mm_ppn_run *r = &runs[i];
		int rc = vm->balloon.connected ? 0 : -EPROTO;
		if (rc == 0 && (r->npages == 0 || r->npages > MM_REPORT_RUN_MAX))
			rc = -EINVAL;
		for (uint32_t j = 0; rc == 0 && j < r->npages; j++)
			rc = check_one(vm, PPN(r->first.v + j));
		r->status = rc;
		if (rc < 0) {
			vm->balloon.nrefused++;
			continue;
		}
		for (uint32_t j = 0; j < r->npages; j++) { /* stays the guest's: backed again, zeroed, on its next touch */
			released += drop_backing(mm, vm, PPN(r->first.v + j));
		}
	}
	vm_batch_end(mm, vm);
	vm->balloon.nreported += (uint64_t)released;
	vm->stat.reported += (uint64_t)released;
	balloon_repaid(mm, vm, (uint64_t)released);
	mm_unlock(&mm->lock);
	return released;
}

void mm_guest_stats(struct mm *mm, struct mm_vm *vm, uint64_t free_pages, uint64_t avail_pages, uint64_t swapins)
{
	mm_lock(&mm->lock);
	vm->guest.known = true;
	vm->guest.free_pages = free_pages;
	vm->guest.avail_pages = avail_pages;
	vm->guest.swapins = swapins;
	vm->guest.last_ms = mm->now_ms;
	mm_unlock(&mm->lock);
}

int mm_balloon_lock(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, unsigned *bad)
{
	unsigned where = 0;
	int rc;

	if (n > MM_BALLOON_BATCH)
		return -E2BIG;
	mm_lock(&mm->lock);
	if (!vm->balloon.connected) {
		rc = -EPROTO;
		goto out;
	}
	if (mm_balloon_size(vm) + n > mm_balloon_cap(mm, vm))
		rc = -ENOSPC;
	else
		rc = validate(vm, ppns, n, &where);
	if (rc < 0) {
		vm->balloon.nrefused++;
		if (bad)
			*bad = where;
		goto out;
	}
	vm_batch_begin(mm, vm);
	for (unsigned i = 0; i < n; i++) /* all valid: give up each page's backing, wherever it is */
		balloon_take(mm, vm, ppns[i]);
	vm_batch_end(mm, vm);
	vm->balloon.nlocked += n;
out:
	mm_unlock(&mm->lock);
	return rc;
}

int mm_balloon_report_free(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, unsigned *bad)
{
	unsigned where = 0;
	int rc;

	if (n > MM_BALLOON_BATCH)
		return -E2BIG;
	mm_lock(&mm->lock);
	rc = vm->balloon.connected ? validate(vm, ppns, n, &where) : -EPROTO;
	if (rc < 0) {
		vm->balloon.nrefused++;
		if (bad)
			*bad = where;
		goto out;
	}
	uint64_t released = 0;
	vm_batch_begin(mm, vm);
	for (unsigned i = 0; i < n; i++) /* the pages stay the guest's: backed again, zeroed, on the next touch */
		released += drop_backing(mm, vm, ppns[i]);
	vm_batch_end(mm, vm);
	vm->balloon.nreported += n;
	vm->stat.reported += released;
	balloon_repaid(mm, vm, released);
out:
	mm_unlock(&mm->lock);
	return rc;
}

int mm_balloon_unlock(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, unsigned *bad)
{
	int rc = 0;
	unsigned i;

	if (n > MM_BALLOON_BATCH)
		return -E2BIG;
	mm_lock(&mm->lock);
	for (i = 0; i < n; i++) {
		if (!pmap_in_range(&vm->pmap, ppns[i])) {
			rc = -EFAULT;
			goto refuse;
		}
		if (pte_state(pmap_get(&vm->pmap, ppns[i])) != PS_BALLOONED) {
			rc = -ENOENT;
			goto refuse;
		}
		if (in_batch_before(ppns, i)) {
			rc = -EEXIST;
			goto refuse;
		}
	}
	for (i = 0; i < n; i++) /* back to the guest; backed again lazily on its next touch */
		pmap_set(&vm->pmap, ppns[i], pte_make(PS_UNBACKED, 0));
	vm->balloon.nunlocked += n;
	goto out;
refuse:
	vm->balloon.nrefused++;
	if (bad)
		*bad = i;
out:
	mm_unlock(&mm->lock);
	return rc;
}

void balloon_page_touched(struct mm *mm, struct mm_vm *vm)
{
	struct balloon *b = &vm->balloon;

	vm->stat.balloon_touches++;
	if (++b->touched > mm->tun.balloon_touch_limit && !b->distrusted) {
		b->distrusted = true;
		mm_log("mm: vm %s balloon distrusted: guest touched %lu ballooned pages", vm->name,
		       (unsigned long)b->touched);
	}
}

/* Pages a waiting VM is granted each second: enough for the fault it is stuck on to complete and its guest to reach
 * a point where it can be preempted (a return to user mode), not enough for a workload to drain the reserve. */
#define BALLOON_WAIT_GRANT 16

/* Did a fault of vm have to wait for machine memory within the last second? */
static bool waiting_for_memory(const struct mm *mm, const struct mm_vm *vm)
{
	return vm->stat.refused_faults && mm->now_ms - vm->last_refused_ms < 1000;
}

/* Progress check and credit for a waiting VM, once per tick: a balloon short of its target must be moving toward it. */
void balloon_check(struct mm *mm, struct mm_vm *vm)
{
	struct balloon *b = &vm->balloon;
	uint64_t size = mm_balloon_size(vm);

	/* A VM that waits cannot poll: one grant a second gets its fault through and its driver running (balloon.h). */
	if (waiting_for_memory(mm, vm) && mm->now_ms - b->last_grant_ms >= 1000) {
		if (b->connected && b->target > mm_balloon_size(vm))
			b->wait_credit = BALLOON_WAIT_GRANT;
		b->last_grant_ms = mm->now_ms;
	}
	if (b->distrusted)
		return;
	/* A guest whose faults wait for memory (blocked in low, or the pool at its reserve) cannot run its driver:
	 * that is no lag of the balloon's. */
	/* Nor is a driver that keeps reporting from a guest with almost nothing left to give (available memory under
	 * 1/16 of the VM): it follows as far as its guest can, and swapping (where there is swap) does the rest. */
	bool exhausted = vm->guest.known && mm->now_ms - vm->guest.last_ms < 2000 &&
			 vm->guest.avail_pages < vm->ram_pages / 16;
	bool waiting = vm->blocked || waiting_for_memory(mm, vm) || exhausted;
	if (size >= b->target || waiting || (b->connected && size > b->last_size)) {
		b->last_progress_ms = mm->now_ms;
	} else if (mm->now_ms - b->last_progress_ms > mm->tun.balloon_grace_ms) {
		b->distrusted = true;
		mm_log("mm: vm %s balloon distrusted: %s, size %lu target %lu pages", vm->name,
		       b->connected ? "not following its target" : "no driver", (unsigned long)size,
		       (unsigned long)b->target);
	}
	b->last_size = size;
}
