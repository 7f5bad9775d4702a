/*
 * The statistics lines of SPEC §3, produced here so that the hypervisor's serial log and the simulator print the
 * identical, greppable form (STYLE principle 13).  Megabytes are whole MB (pages / 256), active is a whole percent.
 */
#include <ballast/format.h>
#include "mm/mm_internal.h"

static unsigned long mb(uint64_t pages)
{
	return (unsigned long)(pages * PAGE_SIZE >> 20);
}

/* The guest's own figure in MB, or "-" before its balloon driver has reported (it may have none). */
static const char *guest_mb(const struct mm_vm *vm, uint64_t pages, char *buf, size_t n)
{
	if (!vm->guest.known)
		return "-";
	fmt_snprintf(buf, n, "%lu", mb(pages));
	return buf;
}

/* SPEC §3's fields first; then the guest's view (free and available memory, from its balloon driver), the MB its
 * free page reports released so far, how many of its faults had to wait for machine memory, and the pages the
 * hypervisor has read back from swap and written to it. */
int mm_memstat_vm(struct mm *mm, const struct mm_vm *vm, char *buf, size_t n)
{
	char gfree[24], gavail[24];
	int len;

	mm_lock(&mm->lock);
	len = fmt_snprintf(buf, n,
			   "memstat t=%lu vm=%s max=%lu min=%lu shares=%u alloc=%lu active=%u shared=%lu balloon=%lu "
			   "swapped=%lu target=%lu state=%s gfree=%s gavail=%s reported=%lu waits=%lu swapins=%lu swapouts=%lu",
			   (unsigned long)mm->now_ms, vm->name, mb(vm->max_pages), mb(vm->min_pages), vm->shares,
			   mb(mm_vm_alloc(vm)), (unsigned)((sampler_active_q16(&vm->sampler, &mm->tun) * 100ULL + 32768) >> 16),
			   mb(vm->pmap.count[PS_SHARED]), mb(vm->pmap.count[PS_BALLOONED]), mb(vm->pmap.count[PS_SWAPPED]),
			   mb(vm->target), memstate_name(mm->state), guest_mb(vm, vm->guest.free_pages, gfree, sizeof(gfree)),
			   guest_mb(vm, vm->guest.avail_pages, gavail, sizeof(gavail)), mb(vm->stat.reported),
			   (unsigned long)vm->stat.refused_faults, (unsigned long)vm->stat.swap_ins,
			   (unsigned long)vm->stat.swap_outs);
	mm_unlock(&mm->lock);
	return len;
}

int mm_memstat_machine(struct mm *mm, char *buf, size_t n)
{
	int len;

	mm_lock(&mm->lock);
	len = fmt_snprintf(buf, n,
			   "memstat t=%lu machine total=%lu free=%lu shared=%lu hv=%lu swap=%lu/%lu vms=%u state=%s",
			   (unsigned long)mm->now_ms, mb(mm->pool.npages), mb(mpool_free_pages(&mm->pool)),
			   mb(mm->pool.count[MP_SHARED]), mb(mm->pool.count[MP_HV] + mm->pool.count[MP_HV_VM] + mm->pool.count[MP_IO]),
			   mb(mm->swap.used), mb(mm->swap.nslots), mm->nvms, memstate_name(mm->state));
	mm_unlock(&mm->lock);
	return len;
}
