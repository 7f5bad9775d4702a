/* Machine memory at boot: the built memory map and the frame allocator every later allocation comes from. */
#ifndef KERNEL_MEMORY_H
#define KERNEL_MEMORY_H

#include "kernel/bootinfo.h"
#include "mm/frame_alloc.h"
#include "mm/memmap.h"

extern struct memmap machine_map;
extern struct frame_alloc frames;

/* Reserve the image, the modules, the boot information and the real-mode area; build the map; start the frame
 * allocator; print the map and totals. */
void memory_init(const struct boot_info *bi);

/* The hypervisor identity-maps machine memory: a machine address is its own virtual address. */
static inline void *maddr_to_ptr(uint64_t maddr) { return (void *)maddr; }
static inline void *mpn_to_ptr(mpn_t m) { return maddr_to_ptr(mpn_to_maddr(m)); }

#endif
