/*
 * The machine memory map: what firmware reports (BIOS e820 through multiboot, or the UEFI memory map), minus what
 * ballast must never hand out (its own image, every multiboot module, the multiboot information, the real-mode
 * area).  Firmware maps arrive unsorted, overlapping and with zero-length entries; memmap_build() turns the raw
 * entries into a sorted list of disjoint, page-aligned ranges in which the most restrictive type wins an overlap.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include <stdint.h>

/* Region types, in increasing order of restriction: when entries overlap, the larger value wins. */
enum mem_type {
	MEM_USABLE = 1,       /* RAM the frame allocator may hand out */
	MEM_ACPI_RECLAIM = 3, /* firmware tables; RAM once parsed, which ballast never does */
	MEM_ACPI_NVS = 4,     /* must be preserved across sleep */
	MEM_BAD = 5,	      /* defective RAM */
	MEM_RESERVED = 6,     /* firmware-reserved, or any type we do not know */
	MEM_BALLAST = 7,      /* the hypervisor image, modules, boot information: in use, never free */
};

#define MEMMAP_MAX_RAW 160 /* raw entries: firmware's (typically < 64) plus ballast's reservations */
#define MEMMAP_MAX 256	   /* built ranges: at most 2 per raw entry boundary pair, in practice far fewer */

struct mem_region {
	uint64_t base;
	uint64_t len;
	uint32_t type; /* enum mem_type */
};

struct memmap {
	struct mem_region raw[MEMMAP_MAX_RAW];
	unsigned nraw;
	unsigned dropped; /* raw entries ignored because the table was full */
	struct mem_region region[MEMMAP_MAX]; /* built by memmap_build(): sorted, disjoint, merged */
	unsigned n;
};

void memmap_init(struct memmap *m);
/* Record a firmware entry with an e820 type (1 usable, 2 reserved, 3 ACPI, 4 NVS, 5 bad; others reserved).
 * Zero-length entries are ignored; an entry that runs past 2^64 is clipped.  Returns -ENOSPC when full. */
int memmap_add_e820(struct memmap *m, uint64_t base, uint64_t len, uint32_t e820_type);
/* Record a UEFI memory descriptor (EFI_MEMORY_TYPE; boot-services and loader memory is usable after boot). */
int memmap_add_efi(struct memmap *m, uint64_t base, uint64_t npages, uint32_t efi_type);
/* Mark [base, base+len) as in use by ballast; wins over any firmware type. */
int memmap_reserve(struct memmap *m, uint64_t base, uint64_t len);
/* Build region[] from raw[]; usable ranges shrink inward to whole pages.  Returns the number of ranges. */
unsigned memmap_build(struct memmap *m);

uint64_t memmap_usable_bytes(const struct memmap *m);
uint64_t memmap_type_bytes(const struct memmap *m, enum mem_type type);
uint64_t memmap_highest_usable(const struct memmap *m); /* end address of the last usable byte + 1 */
/* Find an aligned, usable, built range of len bytes at or above min_addr; returns its base or UINT64_MAX. */
uint64_t memmap_find_usable(const struct memmap *m, uint64_t len, uint64_t align, uint64_t min_addr);
const char *mem_type_name(uint32_t type);

#endif
