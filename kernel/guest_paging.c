/*
 * A walk of the guest's 4-level page tables (SDM Vol. 3A §4.5): CR3 -> PML4 -> PDPT -> PD -> PT, with 1 GiB and
 * 2 MiB leaves.  Entries are read through the memory manager like any other hypervisor access to guest memory, so a
 * table page the guest never touched reads as zeros (not present).  Accessed and dirty bits are left alone: the
 * walk is the hypervisor's, not an access by the guest.
 */
#include <ballast/errno.h>
#include "arch/x86_64/cpu.h"
#include "kernel/guest_paging.h"

#define PTE_PRESENT BIT(0)
#define PTE_LARGE BIT(7)		 /* PS: a 1 GiB (PDPT) or 2 MiB (PD) leaf */
#define PTE_ADDR 0x000ffffffffff000ULL /* bits 51:12 */
#define CR4_LA57 BIT(12)

int guest_linear_to_phys(struct vm *vm, uint64_t cr3, uint64_t cr4, uint64_t la, uint64_t *gpa)
{
	uint64_t table = cr3 & PTE_ADDR;

	if (cr4 & CR4_LA57)
		return -EINVAL;
	for (int level = 3; level >= 0; level--) {
		unsigned shift = 12 + 9 * (unsigned)level;
		uint64_t e;
		if (vm_read(vm, table + ((la >> shift) & 511) * 8, &e, sizeof(e)) < 0 || !(e & PTE_PRESENT))
			return -EFAULT;
		if (level == 0 || (level <= 2 && (e & PTE_LARGE))) {
			uint64_t size = 1ULL << shift;
			*gpa = (e & PTE_ADDR & ~(size - 1)) | (la & (size - 1));
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return -EFAULT;
}

int guest_read_linear(struct vm *vm, uint64_t cr3, uint64_t cr4, uint64_t la, void *dst, unsigned n)
{
	uint64_t gpa;
	int err;

	if ((la & 0xfff) + n > 4096)
		return -EINVAL;
	if ((err = guest_linear_to_phys(vm, cr3, cr4, la, &gpa)) < 0)
		return err;
	return vm_read(vm, gpa, dst, n);
}
