/*
 * Multiboot 1 and 2 information → struct boot_info + raw memory map.  Treats its input as untrusted: every tag and
 * entry is bounds-checked against the sizes the loader gave, so a malformed structure is an error, not a crash.
 */
#include <ballast/compiler.h>
#include <ballast/errno.h>
#include <ballast/page.h>
#include <ballast/string.h>
#include "boot/multiboot.h"
#include "kernel/bootinfo.h"

static void add_info_range(struct boot_info *bi, uint64_t start, uint64_t len)
{
	if (len && bi->ninfo_ranges < BOOTINFO_MAX_RANGES) {
		bi->info_range[bi->ninfo_ranges].start = start;
		bi->info_range[bi->ninfo_ranges].end = start + len;
		bi->ninfo_ranges++;
	}
}

/* A string the loader placed somewhere in memory (multiboot1 does): reserve it with its NUL. */
static const char *mb1_string(struct boot_info *bi, uint64_t paddr, phys_to_ptr_fn p2v)
{
	const char *str = paddr ? p2v(paddr) : 0;

	if (str)
		add_info_range(bi, paddr, strlen(str) + 1);
	return str;
}

static void add_module(struct boot_info *bi, uint64_t start, uint64_t end, const char *cmdline)
{
	if (bi->nmodules == BOOTINFO_MAX_MODULES) {
		bi->modules_dropped++;
		return;
	}
	bi->module[bi->nmodules++] = (struct boot_module){ .start = start, .end = end, .cmdline = cmdline };
}

/* A string inside a tag must end inside the tag. */
static const char *tag_string(const char *s, uint64_t avail)
{
	for (uint64_t i = 0; i < avail; i++)
		if (s[i] == '\0')
			return s;
	return 0;
}

static int parse_mb2(struct boot_info *bi, struct memmap *map, uint64_t info_paddr, phys_to_ptr_fn p2v)
{
	const struct mb2_info_header *hdr = p2v(info_paddr);
	const uint8_t *base = (const uint8_t *)hdr;
	bool have_mmap = false, have_efi = false;

	if (!hdr || hdr->total_size < sizeof(*hdr) + sizeof(struct mb2_tag) || hdr->total_size > (16u << 20))
		return -EINVAL;
	bi->loader = "multiboot2";
	add_info_range(bi, info_paddr, hdr->total_size);

	/* First pass finds whether an e820-style map exists: it wins over the EFI one (GRUB gives both on UEFI, and
	 * the e820 form already folds boot-services memory into "usable"). */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t off = sizeof(*hdr);
		while (off + sizeof(struct mb2_tag) <= hdr->total_size) {
			const struct mb2_tag *tag = (const void *)(base + off);
			if (tag->type == MB2_TAG_END)
				break;
			if (tag->size < sizeof(*tag) || tag->size > hdr->total_size - off)
				return -EINVAL;
			uint32_t body = tag->size - sizeof(*tag);

			if (pass == 0) {
				have_mmap |= tag->type == MB2_TAG_MMAP;
				have_efi |= tag->type == MB2_TAG_EFI_MMAP;
			} else if (tag->type == MB2_TAG_CMDLINE) {
				bi->cmdline = tag_string(((const struct mb2_tag_string *)tag)->string, body);
			} else if (tag->type == MB2_TAG_LOADER_NAME) {
				bi->loader_name = tag_string(((const struct mb2_tag_string *)tag)->string, body);
			} else if (tag->type == MB2_TAG_MODULE && body >= 8) {
				const struct mb2_tag_module *m = (const void *)tag;
				if (m->mod_end < m->mod_start)
					return -EINVAL;
				add_module(bi, m->mod_start, m->mod_end, tag_string(m->cmdline, body - 8));
			} else if (tag->type == MB2_TAG_MMAP && body >= 8) {
				const struct mb2_tag_mmap *t = (const void *)tag;
				if (t->entry_size < sizeof(struct mb2_mmap_entry))
					return -EINVAL;
				for (uint32_t e = 8; e + t->entry_size <= body; e += t->entry_size) {
					const struct mb2_mmap_entry *ent = (const void *)((const uint8_t *)tag + 8 + e);
					memmap_add_e820(map, ent->base, ent->len, ent->type);
				}
			} else if (tag->type == MB2_TAG_EFI_MMAP && !have_mmap && body >= 8) {
				const struct mb2_tag_efi_mmap *t = (const void *)tag;
				if (t->descr_size < sizeof(struct efi_memory_descriptor))
					return -EINVAL;
				for (uint32_t e = 8; e + t->descr_size <= body; e += t->descr_size) {
					const struct efi_memory_descriptor *d = (const void *)((const uint8_t *)tag + 8 + e);
					memmap_add_efi(map, d->phys_start, d->num_pages, d->type);
				}
				bi->efi_mmap = true;
			}
			off += align_up(tag->size, 8);
		}
	}
	return have_mmap || have_efi ? 0 : -ENOENT;
}

static int parse_mb1(struct boot_info *bi, struct memmap *map, uint64_t info_paddr, phys_to_ptr_fn p2v)
{
	const struct mb1_info *mbi = p2v(info_paddr);

	if (!mbi)
		return -EINVAL;
	bi->loader = "multiboot1";
	add_info_range(bi, info_paddr, sizeof(*mbi));
	if (mbi->flags & MB1_INFO_CMDLINE)
		bi->cmdline = mb1_string(bi, mbi->cmdline, p2v);
	if (mbi->flags & MB1_INFO_LOADER_NAME)
		bi->loader_name = mb1_string(bi, mbi->boot_loader_name, p2v);
	if (mbi->flags & MB1_INFO_MODS) {
		const struct mb1_module *mods = p2v(mbi->mods_addr);
		if (!mods || mbi->mods_count > 1024)
			return -EINVAL;
		add_info_range(bi, mbi->mods_addr, (uint64_t)mbi->mods_count * sizeof(*mods));
		for (uint32_t i = 0; i < mbi->mods_count; i++) {
			if (mods[i].mod_end < mods[i].mod_start)
				return -EINVAL;
			add_module(bi, mods[i].mod_start, mods[i].mod_end, mb1_string(bi, mods[i].string, p2v));
		}
	}
	if (!(mbi->flags & MB1_INFO_MMAP))
		return -ENOENT;
	const uint8_t *p = p2v(mbi->mmap_addr);
	if (!p)
		return -EINVAL;
	add_info_range(bi, mbi->mmap_addr, mbi->mmap_length);
	/* Each entry's size field excludes itself; walk by it, as the specification says. */
	for (uint32_t off = 0; off + sizeof(struct mb1_mmap_entry) <= mbi->mmap_length;) {
		const struct mb1_mmap_entry *e = (const void *)(p + off);
		if (e->size < 20)
			return -EINVAL;
		memmap_add_e820(map, e->base, e->len, e->type);
		off += e->size + 4;
	}
	return 0;
}

int bootinfo_parse(struct boot_info *bi, struct memmap *map, uint32_t magic, uint64_t info_paddr,
		   phys_to_ptr_fn phys_to_ptr)
{
	memset(bi, 0, sizeof(*bi));
	if (magic == MB2_BOOTLOADER_MAGIC)
		return parse_mb2(bi, map, info_paddr, phys_to_ptr);
	if (magic == MB1_BOOTLOADER_MAGIC)
		return parse_mb1(bi, map, info_paddr, phys_to_ptr);
	return -EINVAL;
}
