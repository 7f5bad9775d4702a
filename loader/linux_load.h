/* Loading a Linux kernel and initramfs into a VM and preparing its first instruction (see linux_image.h). */
#ifndef LOADER_LINUX_LOAD_H
#define LOADER_LINUX_LOAD_H

#include <stddef.h>
#include "vmx/vcpu.h"

struct vm;

/* Guest-physical layout of what the loader writes below 1 MiB. */
#define GUEST_BOOT_GDT 0x6000
#define GUEST_ZERO_PAGE 0x7000
#define GUEST_PML4 0x9000	     /* identity map of 0-4 GiB: PML4, PDPT, four page directories of 2 MiB pages */
#define GUEST_CMDLINE 0x20000
#define GUEST_CMDLINE_MAX 2048
#define GUEST_BOOT_CS 0x10	     /* __BOOT_CS and __BOOT_DS, as boot.rst requires for the 64-bit entry */
#define GUEST_BOOT_DS 0x18

int linux_load(struct vm *vm, const void *kernel, size_t kernel_len, const void *initrd, size_t initrd_len,
	       const char *cmdline, struct vcpu_boot_state *boot);

#endif
