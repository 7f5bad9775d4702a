/* The guest's own page tables, walked by the hypervisor (to read the instruction at a guest's RIP, say). */
#ifndef KERNEL_GUEST_PAGING_H
#define KERNEL_GUEST_PAGING_H

#include <stdint.h>
#include "kernel/vm.h"

/* Translate linear address la through the 4-level tables at cr3 (long mode; CR4.LA57 clear).  0 and *gpa, or
 * -EFAULT (not present, or a table outside the guest), -EINVAL (5-level paging, which no guest here uses). */
int guest_linear_to_phys(struct vm *vm, uint64_t cr3, uint64_t cr4, uint64_t la, uint64_t *gpa);
/* Read n bytes at linear address la; they must not cross a page.  0, or guest_linear_to_phys()'s errors. */
int guest_read_linear(struct vm *vm, uint64_t cr3, uint64_t cr4, uint64_t la, void *dst, unsigned n);

#endif
