/* Host tests for kernel/bootinfo.c: multiboot 1 and 2 information built in a buffer that stands for physical memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "boot/multiboot.h"
#include "kernel/bootinfo.h"

/* "Physical memory": address p is phys[p]. */
static uint8_t phys[65536] __attribute__((aligned(8)));

static const void *p2v(uint64_t paddr)
{
	return paddr && paddr < sizeof(phys) ? &phys[paddr] : NULL;
}

struct mb2_builder {
	uint32_t start, off;
};

static void *mb2_tag(struct mb2_builder *b, uint32_t type, uint32_t size)
{
	struct mb2_tag *t = (void *)&phys[b->off];
	t->type = type;
	t->size = size;
	b->off += (size + 7) & ~7u;
	return t;
}

static uint32_t mb2_finish(struct mb2_builder *b)
{
	mb2_tag(b, MB2_TAG_END, 8);
	struct mb2_info_header *h = (void *)&phys[b->start];
	h->total_size = b->off - b->start;
	return b->start;
}

static struct mb2_builder mb2_begin(void)
{
	memset(phys, 0, sizeof(phys));
	return (struct mb2_builder){ .start = 0x1000, .off = 0x1000 + 8 };
}

static void add_string_tag(struct mb2_builder *b, uint32_t type, const char *s)
{
	struct mb2_tag_string *t = mb2_tag(b, type, 8 + strlen(s) + 1);
	strcpy(t->string, s);
}

static void add_module_tag(struct mb2_builder *b, uint32_t start, uint32_t end, const char *s)
{
	struct mb2_tag_module *t = mb2_tag(b, MB2_TAG_MODULE, 16 + strlen(s) + 1);
	t->mod_start = start;
	t->mod_end = end;
	strcpy(t->cmdline, s);
}

static void add_mmap_tag(struct mb2_builder *b, const struct mb2_mmap_entry *e, unsigned n)
{
	struct mb2_tag_mmap *t = mb2_tag(b, MB2_TAG_MMAP, 16 + n * sizeof(*e));
	t->entry_size = sizeof(*e);
	memcpy((uint8_t *)t + 16, e, n * sizeof(*e));
}

static const struct mb2_mmap_entry grub_map[] = {
	{ 0x0, 0x9fc00, 1, 0 },
	{ 0x9fc00, 0x400, 2, 0 },
	{ 0x100000, 0x1fef0000, 1, 0 },
	{ 0x1fff0000, 0x10000, 3, 0 },
};

static void mb2_full(void **state)
{
	struct boot_info bi;
	struct memmap map;
	struct mb2_builder b = mb2_begin();

	add_string_tag(&b, MB2_TAG_CMDLINE, "test=fault");
	add_string_tag(&b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
	add_module_tag(&b, 0x200000, 0x300000, "vm1-kernel");
	add_module_tag(&b, 0x300000, 0x380000, "vm1-initrd");
	add_mmap_tag(&b, grub_map, 4);
	uint32_t at = mb2_finish(&b);

	memmap_init(&map);
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), 0);
	assert_string_equal(bi.loader, "multiboot2");
	assert_string_equal(bi.cmdline, "test=fault");
	assert_string_equal(bi.loader_name, "GRUB 2.06");
	assert_int_equal(bi.nmodules, 2);
	assert_int_equal(bi.module[1].start, 0x300000);
	assert_int_equal(bi.module[1].end, 0x380000);
	assert_string_equal(bi.module[1].cmdline, "vm1-initrd");
	assert_int_equal(map.nraw, 4);
	assert_int_equal(bi.ninfo_ranges, 1);
	assert_int_equal(bi.info_range[0].start, at);
	assert_false(bi.efi_mmap);
	memmap_build(&map);
	assert_int_equal(memmap_usable_bytes(&map), 0x9f000 + 0x1fef0000);
}

/* GRUB on UEFI hands both maps: the e820 form wins; alone, the EFI form is used. */
static void mb2_efi_map(void **state)
{
	struct boot_info bi;
	struct memmap map;

	for (int with_e820 = 0; with_e820 < 2; with_e820++) {
		struct mb2_builder b = mb2_begin();
		struct mb2_tag_efi_mmap *t = mb2_tag(&b, MB2_TAG_EFI_MMAP, 16 + 2 * 48);
		t->descr_size = 48; /* firmware descriptors are often larger than the struct */
		struct efi_memory_descriptor *d = (void *)((uint8_t *)t + 16);
		d->type = 7;
		d->phys_start = 0x100000;
		d->num_pages = 0x100;
		d = (void *)((uint8_t *)d + 48);
		d->type = 3;
		d->phys_start = 0x200000;
		d->num_pages = 0x10;
		if (with_e820)
			add_mmap_tag(&b, grub_map, 4);
		uint32_t at = mb2_finish(&b);
		memmap_init(&map);
		assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), 0);
		memmap_build(&map);
		if (with_e820) {
			assert_false(bi.efi_mmap);
			assert_int_equal(map.nraw, 4);
		} else {
			assert_true(bi.efi_mmap);
			assert_int_equal(memmap_usable_bytes(&map), 0x110000);
		}
	}
}

static void mb2_malformed(void **state)
{
	struct boot_info bi;
	struct memmap map;
	struct mb2_builder b;
	uint32_t at;

	/* wrong magic */
	b = mb2_begin();
	add_mmap_tag(&b, grub_map, 4);
	at = mb2_finish(&b);
	memmap_init(&map);
	assert_int_equal(bootinfo_parse(&bi, &map, 0x12345678, at, p2v), -22);

	/* a tag whose size runs past the total */
	b = mb2_begin();
	add_mmap_tag(&b, grub_map, 4);
	struct mb2_tag *bad = mb2_tag(&b, MB2_TAG_CMDLINE, 16);
	at = mb2_finish(&b);
	bad->size = 4000;
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), -22);

	/* a tag smaller than a tag header */
	b = mb2_begin();
	bad = mb2_tag(&b, MB2_TAG_CMDLINE, 8);
	at = mb2_finish(&b);
	bad->size = 4;
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), -22);

	/* no memory map */
	b = mb2_begin();
	add_string_tag(&b, MB2_TAG_CMDLINE, "x");
	at = mb2_finish(&b);
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), -2);

	/* a module that ends before it starts */
	b = mb2_begin();
	add_mmap_tag(&b, grub_map, 4);
	add_module_tag(&b, 0x300000, 0x200000, "backwards");
	at = mb2_finish(&b);
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), -22);

	/* mmap entries smaller than the specification's */
	b = mb2_begin();
	add_mmap_tag(&b, grub_map, 4);
	at = mb2_finish(&b);
	((struct mb2_tag_mmap *)&phys[at + 8])->entry_size = 8;
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), -22);

	/* a command line without its terminating NUL inside the tag is dropped, not read past */
	b = mb2_begin();
	add_mmap_tag(&b, grub_map, 4);
	struct mb2_tag_string *s = mb2_tag(&b, MB2_TAG_CMDLINE, 12);
	memcpy(s->string, "abcd", 4);
	memset((uint8_t *)s + 12, 'z', 4); /* the padding after the tag is not NUL either */
	at = mb2_finish(&b);
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), 0);
	assert_null(bi.cmdline);

	/* truncated: total size smaller than a header and a tag */
	b = mb2_begin();
	at = mb2_finish(&b);
	((struct mb2_info_header *)&phys[at])->total_size = 8;
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), -22);
}

static void mb1_qemu_style(void **state)
{
	struct boot_info bi;
	struct memmap map;

	memset(phys, 0, sizeof(phys));
	struct mb1_info *mbi = (void *)&phys[0x500];
	mbi->flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP | MB1_INFO_LOADER_NAME;
	strcpy((char *)&phys[0x600], "build/ballast.elf test=ud");
	mbi->cmdline = 0x600;
	strcpy((char *)&phys[0x680], "qemu");
	mbi->boot_loader_name = 0x680;
	struct mb1_module *mods = (void *)&phys[0x700];
	mods[0] = (struct mb1_module){ .mod_start = 0x400000, .mod_end = 0x500000, .string = 0x780 };
	strcpy((char *)&phys[0x780], "initrd");
	mbi->mods_count = 1;
	mbi->mods_addr = 0x700;
	struct mb1_mmap_entry *e = (void *)&phys[0x800];
	e[0] = (struct mb1_mmap_entry){ .size = 20, .base = 0, .len = 0x9fc00, .type = 1 };
	e[1] = (struct mb1_mmap_entry){ .size = 20, .base = 0x100000, .len = 0x1ff00000, .type = 1 };
	e[2] = (struct mb1_mmap_entry){ .size = 20, .base = 0xfffc0000, .len = 0x40000, .type = 2 };
	mbi->mmap_addr = 0x800;
	mbi->mmap_length = 3 * sizeof(*e);

	memmap_init(&map);
	assert_int_equal(bootinfo_parse(&bi, &map, MB1_BOOTLOADER_MAGIC, 0x500, p2v), 0);
	assert_string_equal(bi.loader, "multiboot1");
	assert_string_equal(bi.cmdline, "build/ballast.elf test=ud");
	assert_string_equal(bi.loader_name, "qemu");
	assert_int_equal(bi.nmodules, 1);
	assert_string_equal(bi.module[0].cmdline, "initrd");
	assert_int_equal(map.nraw, 3);
	assert_int_equal(bi.ninfo_ranges, 6); /* info, module list, map, and three strings */

	/* no memory map at all */
	mbi->flags &= ~MB1_INFO_MMAP;
	memmap_init(&map);
	assert_int_equal(bootinfo_parse(&bi, &map, MB1_BOOTLOADER_MAGIC, 0x500, p2v), -2);
	/* a bad entry size */
	mbi->flags |= MB1_INFO_MMAP;
	e[1].size = 4;
	memmap_init(&map);
	assert_int_equal(bootinfo_parse(&bi, &map, MB1_BOOTLOADER_MAGIC, 0x500, p2v), -22);
}

static void too_many_modules_counted(void **state)
{
	struct boot_info bi;
	struct memmap map;
	struct mb2_builder b = mb2_begin();

	add_mmap_tag(&b, grub_map, 4);
	for (unsigned i = 0; i < BOOTINFO_MAX_MODULES + 3; i++)
		add_module_tag(&b, 0x100000 + i * 0x1000, 0x100000 + i * 0x1000 + 0x800, "m");
	uint32_t at = mb2_finish(&b);
	memmap_init(&map);
	assert_int_equal(bootinfo_parse(&bi, &map, MB2_BOOTLOADER_MAGIC, at, p2v), 0);
	assert_int_equal(bi.nmodules, BOOTINFO_MAX_MODULES);
	assert_int_equal(bi.modules_dropped, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mb2_full),
		cmocka_unit_test(mb2_efi_map),
		cmocka_unit_test(mb2_malformed),
		cmocka_unit_test(mb1_qemu_style),
		cmocka_unit_test(too_many_modules_counted),
	};
	return cmocka_run_group_tests_name("bootinfo", tests, NULL, NULL);
}
