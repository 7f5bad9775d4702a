/*
 * Multiboot information structures, as the Multiboot 2 (1.6) and Multiboot 0.6.96 specifications define them.
 */
#ifndef BOOT_MULTIBOOT_H
#define BOOT_MULTIBOOT_H

#include <stdint.h>
#include <ballast/compiler.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289
#define MB1_BOOTLOADER_MAGIC 0x2badb002

/* Multiboot 2: an 8-byte header, then 8-byte-aligned tags, ended by a tag of type 0. */
struct mb2_info_header {
	uint32_t total_size;
	uint32_t reserved;
};

enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_BASIC_MEMINFO = 4,
	MB2_TAG_MMAP = 6,
	MB2_TAG_EFI64 = 12,
	MB2_TAG_EFI_MMAP = 17,
	MB2_TAG_EFI_BS_NOT_TERMINATED = 18,
};

struct mb2_tag {
	uint32_t type;
	uint32_t size; /* including this header, excluding padding to 8 */
};

struct mb2_tag_string { /* CMDLINE, LOADER_NAME */
	struct mb2_tag tag;
	char string[];
};

struct mb2_tag_module {
	struct mb2_tag tag;
	uint32_t mod_start;
	uint32_t mod_end;
	char cmdline[];
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t reserved;
};

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
	/* entries of entry_size bytes follow */
};

struct efi_memory_descriptor {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t num_pages;
	uint64_t attribute;
};

struct mb2_tag_efi_mmap {
	struct mb2_tag tag;
	uint32_t descr_size;
	uint32_t descr_vers;
	/* descriptors of descr_size bytes follow */
};

/* Multiboot 1 */
#define MB1_INFO_MEMORY BIT(0)
#define MB1_INFO_CMDLINE BIT(2)
#define MB1_INFO_MODS BIT(3)
#define MB1_INFO_MMAP BIT(6)
#define MB1_INFO_LOADER_NAME BIT(9)

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} __packed;

struct mb1_module {
	uint32_t mod_start, mod_end;
	uint32_t string;
	uint32_t reserved;
} __packed;

struct mb1_mmap_entry {
	uint32_t size; /* of the rest of the entry */
	uint64_t base;
	uint64_t len;
	uint32_t type;
} __packed;

_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "multiboot2 mmap entry");
_Static_assert(sizeof(struct efi_memory_descriptor) == 40, "EFI memory descriptor");
_Static_assert(sizeof(struct mb1_mmap_entry) == 24, "multiboot1 mmap entry");
_Static_assert(__builtin_offsetof(struct mb1_info, mmap_length) == 44, "multiboot1 info layout");

#endif
