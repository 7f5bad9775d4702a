/*
 * Building the machine memory map (see memmap.h).
 *
 * memmap_build() sweeps the boundaries of all raw entries: between two consecutive boundaries every raw entry either
 * covers the whole elementary interval or none of it, so the interval's type is the most restrictive covering type
 * (uncovered intervals are holes and are left out).  Adjacent intervals of one type are merged.  The raw table is
 * small (≤ 160 entries), so the O(n²) sweep costs nothing at boot and needs no allocation.
 */
#include <stdbool.h>
#include <ballast/compiler.h>
#include <ballast/errno.h>
#include <ballast/page.h>
#include <ballast/string.h>
#include "mm/memmap.h"

void memmap_init(struct memmap *m)
{
	memset(m, 0, sizeof(*m));
}

static int add_raw(struct memmap *m, uint64_t base, uint64_t len, uint32_t type)
{
	if (len == 0)
		return 0;
	if (base + len < base) /* wraps past 2^64: keep what exists */
		len = 0 - base;
	if (m->nraw == MEMMAP_MAX_RAW) {
		m->dropped++;
		return -ENOSPC;
	}
	m->raw[m->nraw++] = (struct mem_region){ .base = base, .len = len, .type = type };
	return 0;
}

int memmap_add_e820(struct memmap *m, uint64_t base, uint64_t len, uint32_t e820_type)
{
	uint32_t type;

	switch (e820_type) {
	case 1: type = MEM_USABLE; break;
	case 3: type = MEM_ACPI_RECLAIM; break;
	case 4: type = MEM_ACPI_NVS; break;
	case 5: type = MEM_BAD; break;
	default: type = MEM_RESERVED; break; /* 2, and types newer than we know */
	}
	return add_raw(m, base, len, type);
}

int memmap_add_efi(struct memmap *m, uint64_t base, uint64_t npages, uint32_t efi_type)
{
	uint32_t type;

	if (npages > (UINT64_MAX >> 12))
		npages = UINT64_MAX >> 12;
	switch (efi_type) {
	case 1: /* EfiLoaderCode */
	case 2: /* EfiLoaderData */
	case 3: /* EfiBootServicesCode */
	case 4: /* EfiBootServicesData: all free once boot services are gone (multiboot2 leaves them gone) */
	case 7: /* EfiConventionalMemory */
		type = MEM_USABLE;
		break;
	case 8: type = MEM_BAD; break;	       /* EfiUnusableMemory */
	case 9: type = MEM_ACPI_RECLAIM; break; /* EfiACPIReclaimMemory */
	case 10: type = MEM_ACPI_NVS; break;    /* EfiACPIMemoryNVS */
	default: type = MEM_RESERVED; break;    /* runtime services, MMIO, persistent memory, unknown */
	}
	return add_raw(m, base, npages << 12, type);
}

int memmap_reserve(struct memmap *m, uint64_t base, uint64_t len)
{
	return add_raw(m, base, len, MEM_BALLAST);
}

static void insert_sorted(uint64_t *v, unsigned *n, uint64_t x)
{
	unsigned i = *n;

	for (unsigned j = 0; j < *n; j++)
		if (v[j] == x)
			return;
	while (i > 0 && v[i - 1] > x) {
		v[i] = v[i - 1];
		i--;
	}
	v[i] = x;
	(*n)++;
}

static void append_region(struct memmap *m, uint64_t base, uint64_t end, uint32_t type)
{
	if (type == MEM_USABLE) { /* only whole pages are usable */
		base = align_up(base, PAGE_SIZE);
		end = align_down(end, PAGE_SIZE);
	}
	if (end <= base)
		return;
	if (m->n) {
		struct mem_region *last = &m->region[m->n - 1];
		if (last->type == type && last->base + last->len == base) {
			last->len += end - base;
			return;
		}
	}
	if (m->n < MEMMAP_MAX)
		m->region[m->n++] = (struct mem_region){ .base = base, .len = end - base, .type = type };
	else
		m->dropped++;
}

unsigned memmap_build(struct memmap *m)
{
	/* Every raw entry adds two boundaries: its base and the byte after its end.  An entry that reaches 2^64 has
	 * no representable end, so it adds only its base and the final interval runs to the top. */
	static uint64_t bounds[2 * MEMMAP_MAX_RAW];
	unsigned nb = 0;

	m->n = 0;
	for (unsigned i = 0; i < m->nraw; i++) {
		insert_sorted(bounds, &nb, m->raw[i].base);
		uint64_t last = m->raw[i].base + (m->raw[i].len - 1);
		if (last != UINT64_MAX)
			insert_sorted(bounds, &nb, last + 1);
	}
	for (unsigned b = 0; b < nb; b++) {
		uint64_t lo = bounds[b];
		uint64_t hi_last = b + 1 < nb ? bounds[b + 1] - 1 : UINT64_MAX; /* last byte of the interval */
		uint32_t type = 0;

		for (unsigned i = 0; i < m->nraw; i++) {
			const struct mem_region *r = &m->raw[i];
			if (r->base <= lo && lo <= r->base + (r->len - 1))
				type = MAX(type, r->type);
		}
		if (b + 1 == nb && type == 0)
			break; /* the open interval after the last end is a hole */
		if (type)
			append_region(m, lo, hi_last == UINT64_MAX ? UINT64_MAX : hi_last + 1, type); /* 2^64 - 1 stands for 2^64 */
	}
	return m->n;
}

uint64_t memmap_type_bytes(const struct memmap *m, enum mem_type type)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < m->n; i++)
		if (m->region[i].type == (uint32_t)type)
			sum += m->region[i].len;
	return sum;
}

uint64_t memmap_usable_bytes(const struct memmap *m)
{
	return memmap_type_bytes(m, MEM_USABLE);
}

uint64_t memmap_highest_usable(const struct memmap *m)
{
	uint64_t top = 0;

	for (unsigned i = 0; i < m->n; i++)
		if (m->region[i].type == MEM_USABLE)
			top = MAX(top, m->region[i].base + m->region[i].len);
	return top;
}

uint64_t memmap_find_usable(const struct memmap *m, uint64_t len, uint64_t align, uint64_t min_addr)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct mem_region *r = &m->region[i];
		if (r->type != MEM_USABLE)
			continue;
		uint64_t base = align_up(MAX(r->base, min_addr), align);
		if (base >= r->base && base + len > base && base + len <= r->base + r->len)
			return base;
	}
	return UINT64_MAX;
}

const char *mem_type_name(uint32_t type)
{
	switch (type) {
	case MEM_USABLE: return "usable";
	case MEM_ACPI_RECLAIM: return "ACPI";
	case MEM_ACPI_NVS: return "ACPI NVS";
	case MEM_BAD: return "bad";
	case MEM_RESERVED: return "reserved";
	case MEM_BALLAST: return "ballast";
	default: return "?";
	}
}
