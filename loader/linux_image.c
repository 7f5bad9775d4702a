#include <ballast/compiler.h>
#include <ballast/errno.h>
#include <ballast/page.h>
#include <ballast/string.h>
#include "loader/linux_image.h"

/* ELF64 structures, as the System V ABI defines them: only what a loader reads. */
struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __packed;

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
} __packed;

#define ELF_CLASS64 2
#define ELF_DATA_LSB 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1

#define MIN_PROTOCOL 0x020c /* 2.12: xloadflags, the 64-bit entry */
#define VMLINUX_PROTOCOL 0x020f

static int parse_bzimage(const uint8_t *p, size_t len, struct linux_image *out)
{
	const struct setup_header *h = (const void *)(p + SETUP_HEADER_OFFSET);

	if (h->boot_flag != BOOT_FLAG_MAGIC || h->header != SETUP_HDRS_MAGIC)
		return -ENOEXEC;
	if (h->version < MIN_PROTOCOL)
		return -ENOTSUP;
	if (!(h->xloadflags & XLF_KERNEL_64) || !h->relocatable_kernel)
		return -ENOTSUP;
	uint64_t setup_size = ((uint64_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	if (setup_size >= len)
		return -ENOEXEC;
	/* The header runs from 0x1f1 to 0x202 + the byte at 0x201 (the jump's offset). */
	uint32_t hdr_len = 0x202 + p[0x201] - SETUP_HEADER_OFFSET;
	if (hdr_len > sizeof(struct setup_header) || SETUP_HEADER_OFFSET + hdr_len > len)
		hdr_len = sizeof(struct setup_header);

	uint64_t align = h->kernel_alignment ? h->kernel_alignment : 0x200000;
	uint64_t load = align_up(h->pref_address ? h->pref_address : 0x1000000, align);
	out->kind = LINUX_BZIMAGE;
	out->protocol = h->version;
	out->hdr = h;
	out->hdr_len = hdr_len;
	out->nseg = 1;
	out->seg[0] = (struct linux_segment){ .file_offset = setup_size, .file_size = len - setup_size,
					      .paddr = load, .mem_size = len - setup_size };
	out->entry = load + 0x200; /* the 64-bit entry point (boot.rst, "64-bit BOOT PROTOCOL") */
	out->load_start = load;
	/* The decompressor needs init_size bytes from the load address. */
	out->load_end = load + MAX((uint64_t)h->init_size, len - setup_size);
	return 0;
}

static int parse_vmlinux(const uint8_t *p, size_t len, struct linux_image *out)
{
	const struct elf64_ehdr *eh = (const void *)p;

	if (len < sizeof(*eh) || memcmp(eh->ident, "\177ELF", 4))
		return -ENOEXEC;
	if (eh->ident[4] != ELF_CLASS64 || eh->ident[5] != ELF_DATA_LSB || eh->machine != EM_X86_64)
		return -ENOEXEC;
	if (eh->type != ET_EXEC || eh->phentsize != sizeof(struct elf64_phdr))
		return -ENOTSUP;
	if (eh->phoff > len || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > len - eh->phoff)
		return -ENOEXEC;

	const struct elf64_phdr *ph = (const void *)(p + eh->phoff);
	out->kind = LINUX_VMLINUX;
	out->nseg = 0;
	out->load_start = UINT64_MAX;
	out->load_end = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD || !ph[i].memsz)
			continue;
		if (ph[i].offset > len || ph[i].filesz > len - ph[i].offset || ph[i].filesz > ph[i].memsz)
			return -ENOEXEC;
		if (out->nseg == LINUX_MAX_SEGMENTS)
			return -ENOTSUP;
		out->seg[out->nseg++] = (struct linux_segment){ .file_offset = ph[i].offset, .file_size = ph[i].filesz,
								.paddr = ph[i].paddr, .mem_size = ph[i].memsz };
		out->load_start = MIN(out->load_start, ph[i].paddr);
		out->load_end = MAX(out->load_end, ph[i].paddr + ph[i].memsz);
	}
	if (!out->nseg)
		return -ENOTSUP;
	/* vmlinux's ELF entry is the physical address of startup_64 (ENTRY(phys_startup_64) in its linker script). */
	if (eh->entry < out->load_start || eh->entry >= out->load_end)
		return -ENOEXEC;
	out->entry = eh->entry;
	out->protocol = VMLINUX_PROTOCOL;
	out->hdr = 0;
	out->hdr_len = 0;
	return 0;
}

int linux_image_parse(const void *image, size_t len, struct linux_image *out)
{
	const uint8_t *p = image;

	memset(out, 0, sizeof(*out));
	if (len >= 4 && !memcmp(p, "\177ELF", 4))
		return parse_vmlinux(p, len, out);
	if (len < SETUP_HEADER_OFFSET + sizeof(struct setup_header) + 512)
		return -ENOEXEC;
	return parse_bzimage(p, len, out);
}

static void add_e820(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	if (bp->e820_entries < E820_MAX_ZEROPAGE)
		bp->e820_table[bp->e820_entries++] = (struct boot_e820_entry){ addr, size, type };
}

int linux_build_zero_page(struct boot_params *bp, const struct linux_image *img, const struct linux_boot_layout *l)
{
	if (l->mem_bytes < (16ULL << 20) || img->load_end > l->mem_bytes)
		return -EINVAL;
	if (l->initrd_size && (l->initrd + l->initrd_size > l->mem_bytes ||
			       (l->initrd < img->load_end && l->initrd + l->initrd_size > img->load_start)))
		return -EINVAL;
	if (l->cmdline >= (1ULL << 32) || l->zero_page + sizeof(*bp) > l->mem_bytes)
		return -EINVAL;

	memset(bp, 0, sizeof(*bp));
	struct setup_header *h = &bp->hdr;
	if (img->hdr) {
		memcpy(h, img->hdr, img->hdr_len); /* bzImage: the kernel's own header, as boot.rst asks */
	} else {
		h->boot_flag = BOOT_FLAG_MAGIC;
		h->header = SETUP_HDRS_MAGIC;
		h->version = img->protocol;
		h->kernel_alignment = 0x200000;
		h->relocatable_kernel = 1;
		h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
		h->cmdline_size = 2047;
		h->init_size = img->load_end - img->load_start;
		h->pref_address = img->load_start;
	}
	h->type_of_loader = LOADER_TYPE_UNDEFINED;
	h->loadflags |= LOADED_HIGH;
	h->code32_start = img->load_start;
	h->cmd_line_ptr = (uint32_t)l->cmdline;
	h->ramdisk_image = (uint32_t)l->initrd;
	h->ramdisk_size = (uint32_t)l->initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(l->initrd >> 32);
	bp->ext_ramdisk_size = (uint32_t)(l->initrd_size >> 32);

	/* RAM below the EBDA, the legacy VGA/ROM hole, then RAM from 1 MiB: what a PC BIOS reports. */
	add_e820(bp, 0, 0x9fc00, E820_TYPE_RAM);
	add_e820(bp, 0x9fc00, 0x100000 - 0x9fc00, E820_TYPE_RESERVED);
	add_e820(bp, 0x100000, l->mem_bytes - 0x100000, E820_TYPE_RAM);
	return 0;
}
