/* Host tests for mm/memmap.c: firmware-shaped maps, good and bad. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include "mm/memmap.h"

static struct memmap *new_map(void)
{
	struct memmap *m = malloc(sizeof(*m));
	memmap_init(m);
	return m;
}

static void expect_region(const struct memmap *m, unsigned i, uint64_t base, uint64_t end, uint32_t type)
{
	assert_true(i < m->n);
	assert_int_equal(m->region[i].base, base);
	assert_int_equal(m->region[i].base + m->region[i].len, end);
	assert_int_equal(m->region[i].type, type);
}

/* The e820 map Bochs's BIOS reports for 512 MiB, in firmware order. */
static void bochs_e820(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0x0, 0x9f000, 1);
	memmap_add_e820(m, 0x9f000, 0x1000, 2);
	memmap_add_e820(m, 0xe8000, 0x18000, 2);
	memmap_add_e820(m, 0x100000, 0x1fef0000, 1);
	memmap_add_e820(m, 0x1fff0000, 0x10000, 3);
	memmap_add_e820(m, 0xfffc0000, 0x40000, 2);
	memmap_build(m);
	assert_int_equal(m->n, 6);
	expect_region(m, 0, 0, 0x9f000, MEM_USABLE);
	expect_region(m, 3, 0x100000, 0x1fff0000, MEM_USABLE);
	expect_region(m, 4, 0x1fff0000, 0x20000000, MEM_ACPI_RECLAIM);
	assert_int_equal(memmap_usable_bytes(m), 0x9f000 + 0x1fef0000);
	assert_int_equal(memmap_highest_usable(m), 0x1fff0000);
	free(m);
}

static void unsorted_entries_are_sorted(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0x200000, 0x100000, 1);
	memmap_add_e820(m, 0x0, 0x80000, 1);
	memmap_add_e820(m, 0x100000, 0x100000, 2);
	memmap_build(m);
	assert_int_equal(m->n, 3);
	expect_region(m, 0, 0, 0x80000, MEM_USABLE);
	expect_region(m, 1, 0x100000, 0x200000, MEM_RESERVED);
	expect_region(m, 2, 0x200000, 0x300000, MEM_USABLE);
	free(m);
}

/* Overlaps: the more restrictive type wins, whatever the order. */
static void overlap_reserved_wins(void **state)
{
	for (int order = 0; order < 2; order++) {
		struct memmap *m = new_map();
		if (order == 0) {
			memmap_add_e820(m, 0x100000, 0x400000, 1);
			memmap_add_e820(m, 0x200000, 0x100000, 2);
		} else {
			memmap_add_e820(m, 0x200000, 0x100000, 2);
			memmap_add_e820(m, 0x100000, 0x400000, 1);
		}
		memmap_build(m);
		assert_int_equal(m->n, 3);
		expect_region(m, 0, 0x100000, 0x200000, MEM_USABLE);
		expect_region(m, 1, 0x200000, 0x300000, MEM_RESERVED);
		expect_region(m, 2, 0x300000, 0x500000, MEM_USABLE);
		free(m);
	}
}

static void duplicate_and_adjacent_merge(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0x100000, 0x100000, 1);
	memmap_add_e820(m, 0x100000, 0x100000, 1);
	memmap_add_e820(m, 0x200000, 0x100000, 1);
	memmap_add_e820(m, 0x180000, 0x100000, 1);
	memmap_build(m);
	assert_int_equal(m->n, 1);
	expect_region(m, 0, 0x100000, 0x300000, MEM_USABLE);
	free(m);
}

static void zero_length_ignored(void **state)
{
	struct memmap *m = new_map();
	assert_int_equal(memmap_add_e820(m, 0x100000, 0, 1), 0);
	assert_int_equal(m->nraw, 0);
	memmap_add_e820(m, 0x100000, 0x1000, 1);
	memmap_build(m);
	assert_int_equal(m->n, 1);
	free(m);
}

static void above_4g_and_holes(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0x100000, 0xbff00000, 1);	     /* to 3 GiB */
	memmap_add_e820(m, 0x100000000ULL, 0x140000000ULL, 1); /* 4 GiB .. 9 GiB */
	memmap_add_e820(m, 0xfec00000, 0x1000, 2);
	memmap_build(m);
	assert_int_equal(m->n, 3);
	expect_region(m, 2, 0x100000000ULL, 0x240000000ULL, MEM_USABLE);
	assert_int_equal(memmap_highest_usable(m), 0x240000000ULL);
	assert_int_equal(memmap_usable_bytes(m), 0xbff00000ULL + 0x140000000ULL);
	free(m);
}

static void unaligned_usable_shrinks_inward(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0x100800, 0x3000, 1); /* 0x100800..0x103800: only 0x101000..0x103000 is whole pages */
	memmap_add_e820(m, 0x200000, 0x800, 1);	 /* less than a page: nothing */
	memmap_build(m);
	assert_int_equal(m->n, 1);
	expect_region(m, 0, 0x101000, 0x103000, MEM_USABLE);
	free(m);
}

static void entry_wrapping_past_2_64_is_clipped(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0xfffffffffffff000ULL, 0x10000, 2);
	memmap_add_e820(m, 0x100000, 0x100000, 1);
	memmap_build(m);
	assert_int_equal(m->n, 2);
	expect_region(m, 0, 0x100000, 0x200000, MEM_USABLE);
	assert_int_equal(m->region[1].type, MEM_RESERVED);
	free(m);
}

/* A module inside a free region splits it; the module's range is never usable. */
static void module_inside_free_region(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0x100000, 0x7f00000, 1);
	memmap_reserve(m, 0x100000, 0x20000);	   /* hypervisor image */
	memmap_reserve(m, 0x400123, 0x1000000);	   /* a kernel module, not page aligned */
	memmap_reserve(m, 0x1500000, 0x10);	   /* a tiny module just after */
	memmap_build(m);
	assert_int_equal(memmap_find_usable(m, 0x1000, 0x1000, 0), 0x120000);
	for (unsigned i = 0; i < m->n; i++) {
		const struct mem_region *r = &m->region[i];
		if (r->type != MEM_USABLE)
			continue;
		/* no usable byte overlaps a reservation */
		assert_true(r->base + r->len <= 0x100000 || r->base >= 0x120000);
		assert_true(r->base + r->len <= 0x400000 || r->base >= 0x1401000);
		assert_true(r->base + r->len <= 0x1500000 || r->base >= 0x1501000);
		assert_int_equal(r->base % 0x1000, 0);
		assert_int_equal(r->len % 0x1000, 0);
	}
	assert_int_equal(memmap_usable_bytes(m), 0x7f00000 - 0x20000 - 0x1001000 - 0x1000);
	free(m);
}

static void efi_types_map(void **state)
{
	struct memmap *m = new_map();
	memmap_add_efi(m, 0x0, 0xa0, 7);	    /* conventional */
	memmap_add_efi(m, 0x100000, 0x100, 4);	    /* boot services data: usable */
	memmap_add_efi(m, 0x200000, 0x100, 2);	    /* loader data: usable */
	memmap_add_efi(m, 0x300000, 0x10, 5);	    /* runtime services code: reserved */
	memmap_add_efi(m, 0x310000, 0x10, 9);	    /* ACPI reclaim */
	memmap_add_efi(m, 0x320000, 0x10, 10);	    /* ACPI NVS */
	memmap_add_efi(m, 0x330000, 0x10, 8);	    /* unusable */
	memmap_add_efi(m, 0xfed00000, 0x1, 11);	    /* MMIO */
	memmap_build(m);
	assert_int_equal(memmap_usable_bytes(m), 0xa0000 + 0x200000);
	assert_int_equal(memmap_type_bytes(m, MEM_ACPI_RECLAIM), 0x10000);
	assert_int_equal(memmap_type_bytes(m, MEM_ACPI_NVS), 0x10000);
	assert_int_equal(memmap_type_bytes(m, MEM_BAD), 0x10000);
	assert_int_equal(memmap_type_bytes(m, MEM_RESERVED), 0x10000 + 0x1000);
	free(m);
}

static void unknown_e820_type_is_reserved(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0x100000, 0x100000, 12); /* persistent memory and newer: not ours */
	memmap_add_e820(m, 0x300000, 0x100000, 5);
	memmap_build(m);
	assert_int_equal(memmap_usable_bytes(m), 0);
	assert_int_equal(m->region[0].type, MEM_RESERVED);
	assert_int_equal(m->region[1].type, MEM_BAD);
	free(m);
}

static void full_table_reports_dropped(void **state)
{
	struct memmap *m = new_map();
	int err = 0;
	for (unsigned i = 0; i < MEMMAP_MAX_RAW + 5; i++)
		err = memmap_add_e820(m, (uint64_t)i * 0x200000, 0x100000, 1);
	assert_int_equal(err, -28 /* ENOSPC */);
	assert_int_equal(m->dropped, 5);
	memmap_build(m);
	assert_int_equal(m->n, MEMMAP_MAX_RAW);
	free(m);
}

static void find_usable_respects_alignment_and_min(void **state)
{
	struct memmap *m = new_map();
	memmap_add_e820(m, 0x1000, 0x9e000, 1);
	memmap_add_e820(m, 0x100000, 0x1000000, 1);
	memmap_build(m);
	assert_int_equal(memmap_find_usable(m, 0x2000, 0x1000, 0), 0x1000);
	assert_int_equal(memmap_find_usable(m, 0x200000, 0x200000, 0), 0x200000);
	assert_int_equal(memmap_find_usable(m, 0x1000, 0x1000, 0x100000), 0x100000);
	assert_int_equal(memmap_find_usable(m, 0x2000000, 0x1000, 0), UINT64_MAX);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bochs_e820),
		cmocka_unit_test(unsorted_entries_are_sorted),
		cmocka_unit_test(overlap_reserved_wins),
		cmocka_unit_test(duplicate_and_adjacent_merge),
		cmocka_unit_test(zero_length_ignored),
		cmocka_unit_test(above_4g_and_holes),
		cmocka_unit_test(unaligned_usable_shrinks_inward),
		cmocka_unit_test(entry_wrapping_past_2_64_is_clipped),
		cmocka_unit_test(module_inside_free_region),
		cmocka_unit_test(efi_types_map),
		cmocka_unit_test(unknown_e820_type_is_reserved),
		cmocka_unit_test(full_table_reports_dropped),
		cmocka_unit_test(find_usable_respects_alignment_and_min),
	};
	return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}
