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

static uint64_t balloon_cap(const struct mm *mm, const struct mm_vm *vm)
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

uint64_t mm_balloon_target(struct mm *mm, struct mm_vm *vm)
{
	uint64_t t;

	mm_lock(&mm->lock);
	t = vm->balloon.target;
	mm_unlock(&mm->lock);
	return t;
}

/* The balloon holds what the VM must give up to come down to its allocation target: max - target, capped. */
void balloon_set_target(struct mm *mm, struct mm_vm *vm)
{
	uint64_t want = vm->ram_pages > vm->target ? vm->ram_pages - vm->target : 0;

	vm->balloon.target = MIN(want, balloon_cap(mm, vm));
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

/* Give up whatever backs ppn (a machine page or a swap slot); the entry is left UNBACKED. */
static void drop_backing(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);

	switch (pte_state(e)) {
	case PS_PRIVATE:
	case PS_SHARED:
		vm_release_backing(mm, vm, ppn);
		break;
	case PS_SWAPPED: /* the guest gave up a page we had swapped: its slot is free too */
		swap_slot_free(&mm->swap, pte_obj(e));
		vm->swap_used--;
		pmap_set(&vm->pmap, ppn, pte_make(PS_UNBACKED, 0));
		break;
	default:
		break;
	}
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
	if (mm_balloon_size(vm) + n > balloon_cap(mm, vm))
		rc = -ENOSPC;
	else
		rc = validate(vm, ppns, n, &where);
	if (rc < 0) {
		vm->balloon.nrefused++;
		if (bad)
			*bad = where;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) { /* all valid: give up each page's backing, wherever it is */
		drop_backing(mm, vm, ppns[i]);
		pmap_set(&vm->pmap, ppns[i], pte_make(PS_BALLOONED, 0));
	}
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
	for (unsigned i = 0; i < n; i++) /* the pages stay the guest's: backed again, zeroed, on the next touch */
		drop_backing(mm, vm, ppns[i]);
	vm->balloon.nreported += n;
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

/* Progress check, once per tick: a balloon short of its target must be moving toward it. */
void balloon_check(struct mm *mm, struct mm_vm *vm)
{
	struct balloon *b = &vm->balloon;
	uint64_t size = mm_balloon_size(vm);

	if (b->distrusted)
		return;
	if (size >= b->target || (b->connected && size > b->last_size)) {
		b->last_progress_ms = mm->now_ms;
	} else if (mm->now_ms - b->last_progress_ms > mm->tun.balloon_grace_ms) {
		b->distrusted = true;
		mm_log("mm: vm %s balloon distrusted: %s, size %lu target %lu pages", vm->name,
		       b->connected ? "not following its target" : "no driver", (unsigned long)size,
		       (unsigned long)b->target);
	}
	b->last_size = size;
}
