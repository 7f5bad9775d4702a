/* Host tests for loader/linux_image.c: bzImage setup headers and ELF vmlinux images, good and damaged, and the
 * zero page built from them.  Images are synthesised with the layout of Debian's 6.1 kernel (SPEC §5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "loader/linux_image.h"

#define BZ_LEN (64 * 1024)

/* A bzImage like Debian's: protocol 2.15, 39 setup sectors, 2 MiB alignment, relocatable, xloadflags 0x7f. */
static uint8_t *make_bzimage(void)
{
	uint8_t *p = calloc(1, BZ_LEN);
	struct setup_header *h = (void *)(p + SETUP_HEADER_OFFSET);

	h->setup_sects = 39;
	h->boot_flag = BOOT_FLAG_MAGIC;
	h->jump = 0x66eb;
	p[0x201] = 0x6a; /* header length: 0x202 + 0x6a = 0x26c */
	h->header = SETUP_HDRS_MAGIC;
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->xloadflags = 0x7f;
	h->cmdline_size = 2047;
	h->pref_address = 0x1000000;
	h->init_size = 0x3f9c000;
	return p;
}

static void bzimage_parsed(void **state)
{
	uint8_t *p = make_bzimage();
	struct linux_image img;

	assert_int_equal(linux_image_parse(p, BZ_LEN, &img), 0);
	assert_int_equal(img.kind, LINUX_BZIMAGE);
	assert_int_equal(img.protocol, 0x020f);
	assert_int_equal(img.nseg, 1);
	assert_int_equal(img.seg[0].file_offset, 40 * 512);
	assert_int_equal(img.seg[0].file_size, BZ_LEN - 40 * 512);
	assert_int_equal(img.seg[0].paddr, 0x1000000);
	assert_int_equal(img.entry, 0x1000200);
	assert_int_equal(img.load_end, 0x1000000 + 0x3f9c000);
	assert_int_equal(img.hdr_len, 0x26c - 0x1f1);
	free(p);
}

static void bzimage_rejected(void **state)
{
	struct linux_image img;
	uint8_t *p;

	p = make_bzimage();
	((struct setup_header *)(p + SETUP_HEADER_OFFSET))->header = 0x12345678; /* wrong magic */
	assert_int_equal(linux_image_parse(p, BZ_LEN, &img), -8);
	free(p);

	p = make_bzimage();
	((struct setup_header *)(p + SETUP_HEADER_OFFSET))->boot_flag = 0;
	assert_int_equal(linux_image_parse(p, BZ_LEN, &img), -8);
	free(p);

	p = make_bzimage();
	((struct setup_header *)(p + SETUP_HEADER_OFFSET))->version = 0x020b; /* before the 64-bit entry */
	assert_int_equal(linux_image_parse(p, BZ_LEN, &img), -95);
	free(p);

	p = make_bzimage();
	((struct setup_header *)(p + SETUP_HEADER_OFFSET))->xloadflags = 0; /* no 64-bit entry */
	assert_int_equal(linux_image_parse(p, BZ_LEN, &img), -95);
	free(p);

	p = make_bzimage();
	((struct setup_header *)(p + SETUP_HEADER_OFFSET))->relocatable_kernel = 0;
	assert_int_equal(linux_image_parse(p, BZ_LEN, &img), -95);
	free(p);

	p = make_bzimage();
	assert_int_equal(linux_image_parse(p, 0x300, &img), -8);	     /* truncated inside the header */
	assert_int_equal(linux_image_parse(p, 40 * 512, &img), -8);   /* nothing after the setup sectors */
	assert_int_equal(linux_image_parse(p, 0, &img), -8);
	free(p);
}

/* An ELF64 vmlinux: header, two program headers, payload. */
struct fake_elf {
	uint8_t bytes[8192];
};

static struct fake_elf *make_vmlinux(void)
{
	struct fake_elf *f = calloc(1, sizeof(*f));
	uint8_t *p = f->bytes;
	memcpy(p, "\177ELF", 4);
	p[4] = 2; /* 64-bit */
	p[5] = 1; /* little endian */
	p[6] = 1;
	*(uint16_t *)(p + 16) = 2;	   /* ET_EXEC */
	*(uint16_t *)(p + 18) = 62;	   /* x86-64 */
	*(uint64_t *)(p + 24) = 0x1000000; /* entry */
	*(uint64_t *)(p + 32) = 64;	   /* phoff */
	*(uint16_t *)(p + 54) = 56;	   /* phentsize */
	*(uint16_t *)(p + 56) = 3;	   /* phnum */
	uint8_t *ph = p + 64;
	/* PT_LOAD text: 4 KiB of file at 0x1000000 */
	*(uint32_t *)ph = 1;
	*(uint64_t *)(ph + 8) = 4096;
	*(uint64_t *)(ph + 24) = 0x1000000;
	*(uint64_t *)(ph + 32) = 2048;
	*(uint64_t *)(ph + 40) = 2048;
	ph += 56;
	/* PT_NOTE: ignored */
	*(uint32_t *)ph = 4;
	ph += 56;
	/* PT_LOAD data+bss at 0x2000000: 1 KiB of file, 1 MiB of memory */
	*(uint32_t *)ph = 1;
	*(uint64_t *)(ph + 8) = 6144;
	*(uint64_t *)(ph + 24) = 0x2000000;
	*(uint64_t *)(ph + 32) = 1024;
	*(uint64_t *)(ph + 40) = 0x100000;
	return f;
}

static void vmlinux_parsed(void **state)
{
	struct fake_elf *f = make_vmlinux();
	struct linux_image img;

	assert_int_equal(linux_image_parse(f->bytes, sizeof(f->bytes), &img), 0);
	assert_int_equal(img.kind, LINUX_VMLINUX);
	assert_int_equal(img.nseg, 2);
	assert_int_equal(img.entry, 0x1000000);
	assert_int_equal(img.load_start, 0x1000000);
	assert_int_equal(img.load_end, 0x2100000);
	assert_int_equal(img.seg[1].file_size, 1024);
	assert_int_equal(img.seg[1].mem_size, 0x100000);
	free(f);
}

static void vmlinux_rejected(void **state)
{
	struct linux_image img;
	struct fake_elf *f;

	f = make_vmlinux();
	*(uint16_t *)(f->bytes + 18) = 3; /* i386 */
	assert_int_equal(linux_image_parse(f->bytes, sizeof(f->bytes), &img), -8);
	free(f);

	f = make_vmlinux();
	f->bytes[4] = 1; /* 32-bit ELF */
	assert_int_equal(linux_image_parse(f->bytes, sizeof(f->bytes), &img), -8);
	free(f);

	f = make_vmlinux();
	assert_int_equal(linux_image_parse(f->bytes, 6144 + 512, &img), -8); /* segment past the end */
	assert_int_equal(linux_image_parse(f->bytes, 100, &img), -8);	     /* program headers past the end */
	free(f);

	f = make_vmlinux();
	*(uint64_t *)(f->bytes + 24) = 0x5000000; /* entry outside every segment */
	assert_int_equal(linux_image_parse(f->bytes, sizeof(f->bytes), &img), -8);
	free(f);

	f = make_vmlinux();
	*(uint32_t *)(f->bytes + 64) = 4;
	*(uint32_t *)(f->bytes + 64 + 112) = 4; /* no PT_LOAD at all */
	assert_int_equal(linux_image_parse(f->bytes, sizeof(f->bytes), &img), -95);
	free(f);

	f = make_vmlinux();
	*(uint64_t *)(f->bytes + 64 + 32) = 8192; /* filesz > memsz */
	assert_int_equal(linux_image_parse(f->bytes, sizeof(f->bytes), &img), -8);
	free(f);
}

static void zero_page_from_bzimage(void **state)
{
	uint8_t *p = make_bzimage();
	struct linux_image img;
	struct boot_params *bp = malloc(sizeof(*bp));
	struct linux_boot_layout l = { .mem_bytes = 256 << 20, .zero_page = 0x7000, .cmdline = 0x20000,
				       .initrd = (256 << 20) - 0x200000, .initrd_size = 0x1ff000 };

	assert_int_equal(linux_image_parse(p, BZ_LEN, &img), 0);
	assert_int_equal(linux_build_zero_page(bp, &img, &l), 0);
	assert_int_equal(bp->hdr.setup_sects, 39); /* copied from the image */
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_true(bp->hdr.loadflags & LOADED_HIGH);
	assert_int_equal(bp->hdr.cmd_line_ptr, 0x20000);
	assert_int_equal(bp->hdr.ramdisk_image, (256 << 20) - 0x200000);
	assert_int_equal(bp->hdr.ramdisk_size, 0x1ff000);
	/* e820: low RAM, the legacy hole, RAM from 1 MiB to the end */
	assert_int_equal(bp->e820_entries, 3);
	assert_int_equal(bp->e820_table[0].addr, 0);
	assert_int_equal(bp->e820_table[0].size, 0x9fc00);
	assert_int_equal(bp->e820_table[1].type, E820_TYPE_RESERVED);
	assert_int_equal(bp->e820_table[2].addr, 0x100000);
	assert_int_equal(bp->e820_table[2].addr + bp->e820_table[2].size, 256 << 20);
	assert_int_equal(bp->e820_table[2].type, E820_TYPE_RAM);
	uint64_t ram = 0;
	for (unsigned i = 0; i < bp->e820_entries; i++)
		if (bp->e820_table[i].type == E820_TYPE_RAM)
			ram += bp->e820_table[i].size;
	assert_int_equal(ram, (256 << 20) - 0x60400);
	free(bp);
	free(p);
}

static void zero_page_synthesised_for_vmlinux(void **state)
{
	struct fake_elf *f = make_vmlinux();
	struct linux_image img;
	struct boot_params *bp = malloc(sizeof(*bp));
	struct linux_boot_layout l = { .mem_bytes = 64 << 20, .zero_page = 0x7000, .cmdline = 0x20000 };

	assert_int_equal(linux_image_parse(f->bytes, sizeof(f->bytes), &img), 0);
	assert_int_equal(linux_build_zero_page(bp, &img, &l), 0);
	assert_int_equal(bp->hdr.boot_flag, BOOT_FLAG_MAGIC);
	assert_int_equal(bp->hdr.header, SETUP_HDRS_MAGIC);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_true(bp->hdr.xloadflags & XLF_KERNEL_64);
	assert_int_equal(bp->hdr.init_size, 0x1100000);
	assert_int_equal(bp->hdr.ramdisk_size, 0);
	free(bp);
	free(f);
}

static void zero_page_layout_errors(void **state)
{
	uint8_t *p = make_bzimage();
	struct linux_image img;
	struct boot_params *bp = malloc(sizeof(*bp));

	assert_int_equal(linux_image_parse(p, BZ_LEN, &img), 0);
	/* RAM too small for the kernel's init_size */
	struct linux_boot_layout small = { .mem_bytes = 64 << 20, .zero_page = 0x7000, .cmdline = 0x20000 };
	assert_int_equal(linux_build_zero_page(bp, &img, &small), -22);
	/* initrd beyond RAM */
	struct linux_boot_layout past = { .mem_bytes = 256 << 20, .zero_page = 0x7000, .cmdline = 0x20000,
					  .initrd = (256 << 20) - 0x1000, .initrd_size = 0x2000 };
	assert_int_equal(linux_build_zero_page(bp, &img, &past), -22);
	/* initrd overlapping the kernel's decompression area */
	struct linux_boot_layout overlap = { .mem_bytes = 256 << 20, .zero_page = 0x7000, .cmdline = 0x20000,
					     .initrd = 0x2000000, .initrd_size = 0x100000 };
	assert_int_equal(linux_build_zero_page(bp, &img, &overlap), -22);
	free(bp);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bzimage_parsed),
		cmocka_unit_test(bzimage_rejected),
		cmocka_unit_test(vmlinux_parsed),
		cmocka_unit_test(vmlinux_rejected),
		cmocka_unit_test(zero_page_from_bzimage),
		cmocka_unit_test(zero_page_synthesised_for_vmlinux),
		cmocka_unit_test(zero_page_layout_errors),
	};
	return cmocka_run_group_tests_name("linux_image", tests, NULL, NULL);
}
