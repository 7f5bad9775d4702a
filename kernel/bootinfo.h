/*
 * What the boot loader told us, in one loader-independent form: command line, modules (guest kernels, initramfs
 * images, the VM configuration) and the raw memory map, plus the physical ranges the boot information itself uses
 * (which must be reserved until we are done reading it).
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/memmap.h"

#define BOOTINFO_MAX_MODULES 32
#define BOOTINFO_MAX_RANGES (8 + BOOTINFO_MAX_MODULES) /* info, map, module list, every string */

struct boot_module {
	uint64_t start, end; /* physical, [start, end) */
	const char *cmdline; /* the module's string from grub.cfg; its first word names it */
};

struct boot_info {
	const char *loader;  /* "multiboot2" or "multiboot1" */
	const char *loader_name;
	const char *cmdline;
	bool efi_mmap;	     /* the map came from UEFI descriptors */
	struct boot_module module[BOOTINFO_MAX_MODULES];
	unsigned nmodules;
	unsigned modules_dropped;
	struct { uint64_t start, end; } info_range[BOOTINFO_MAX_RANGES]; /* the boot information's own memory */
	unsigned ninfo_ranges;
};

/* Physical address → pointer.  The hypervisor's is the identity; host tests map into a test buffer. */
typedef const void *(*phys_to_ptr_fn)(uint64_t paddr);

/* Parse the boot information and record the firmware memory map into map (raw entries, not yet built).
 * Returns 0, -EINVAL for an unknown magic or malformed information, -ENOENT when there is no memory map. */
int bootinfo_parse(struct boot_info *bi, struct memmap *map, uint32_t magic, uint64_t info_paddr,
		   phys_to_ptr_fn phys_to_ptr);

#endif
