/*
 * The hypervisor's memory manager instance: the mm core (mm/mm.h) over the machine's real pages and each VM's EPT.
 */
#ifndef KERNEL_HV_MM_H
#define KERNEL_HV_MM_H

#include "mm/mm.h"

struct vm;

extern struct mm hv_mm;

/* Hand the machine pages the hypervisor does not keep for itself to the mm core.  Panics if that is impossible:
 * nothing can run without it. */
void hv_mm_init(void);
/* The EPT behind mm VM id (the pmap ops reach VMs by id); set at VM creation, cleared at destruction. */
void hv_mm_attach(unsigned mm_id, struct vm *vm);
void hv_mm_detach(unsigned mm_id);
struct vm *hv_mm_vm(unsigned mm_id); /* NULL when none is attached */
/* Per-VM overhead outside the pool that admission must count: VMCS, bitmaps, device state (struct vm). */
uint32_t hv_mm_vm_device_pages(void);

#endif
