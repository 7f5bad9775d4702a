/*
 * Recognising a Linux kernel image and preparing its boot parameters, without touching guest memory: pure code,
 * tested on the host with real and damaged images.
 *
 * Two forms of the same unmodified Debian kernel are accepted:
 *  - the bzImage users have: its protected-mode part is loaded at the preferred address and entered at +0x200
 *    (the 64-bit entry, boot protocol ≥ 2.12 with XLF_KERNEL_64); it then decompresses itself;
 *  - the uncompressed ELF vmlinux extracted from that bzImage by scripts/guest: its PT_LOAD segments are loaded at
 *    their physical addresses and its ELF entry (startup_64) is entered with the same 64-bit protocol, skipping
 *    the decompression that costs ~45 s under Bochs (SPEC §5).
 */
#ifndef LOADER_LINUX_IMAGE_H
#define LOADER_LINUX_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "loader/bootparam.h"

#define LINUX_MAX_SEGMENTS 8

enum linux_image_kind { LINUX_BZIMAGE, LINUX_VMLINUX };

struct linux_segment {
	uint64_t file_offset, file_size; /* bytes to copy from the image */
	uint64_t paddr, mem_size;	 /* where, and how much memory (the rest is zero) */
};

struct linux_image {
	enum linux_image_kind kind;
	struct linux_segment seg[LINUX_MAX_SEGMENTS];
	unsigned nseg;
	uint64_t entry;	     /* guest-physical 64-bit entry point */
	uint64_t load_start; /* lowest and highest physical address the kernel occupies while booting */
	uint64_t load_end;
	uint16_t protocol;   /* boot protocol version (bzImage); 0x020f assumed for vmlinux */
	const struct setup_header *hdr; /* inside the image (bzImage only) */
	uint32_t hdr_len;		 /* bytes of setup header the image defines */
};

/* Recognise either form.  -ENOEXEC: neither a bzImage nor an x86-64 ELF, or truncated; -ENOTSUP: a form ballast
 * cannot boot (old protocol, no 64-bit entry, not relocatable, no loadable segment). */
int linux_image_parse(const void *image, size_t len, struct linux_image *out);

struct linux_boot_layout {
	uint64_t mem_bytes;	       /* guest RAM size */
	uint64_t zero_page;	       /* guest-physical addresses chosen by the loader */
	uint64_t cmdline;
	uint64_t initrd, initrd_size;  /* initrd_size 0: none */
};

/* Fill the zero page: setup header (copied or synthesised), command line and initrd pointers, loader type, and an
 * e820 map describing mem_bytes of RAM with the legacy holes (640 KiB-1 MiB reserved).  Returns 0 or -EINVAL if
 * the layout does not fit (initrd beyond RAM, pointers above 4 GiB without the ext_ fields...). */
int linux_build_zero_page(struct boot_params *bp, const struct linux_image *img, const struct linux_boot_layout *l);

#endif
