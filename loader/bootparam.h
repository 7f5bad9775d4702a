/*
 * The Linux x86 boot protocol's structures (Documentation/arch/x86/boot.rst and zero-page.rst): the setup header
 * found at offset 0x1f1 of a bzImage, and the "zero page" (struct boot_params) a loader hands the kernel.
 * Only the fields ballast reads or writes are named; the rest is padding with asserted offsets.
 */
#ifndef LOADER_BOOTPARAM_H
#define LOADER_BOOTPARAM_H

#include <stdint.h>
#include <ballast/compiler.h>

#define SETUP_HEADER_OFFSET 0x1f1
#define BOOT_FLAG_MAGIC 0xaa55
#define SETUP_HDRS_MAGIC 0x53726448 /* "HdrS" */
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 BIT(0)
#define XLF_CAN_BE_LOADED_ABOVE_4G BIT(1)
#define LOADER_TYPE_UNDEFINED 0xff
#define E820_MAX_ZEROPAGE 128
#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __packed;

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __packed;

struct boot_params {
	uint8_t screen_info[0x40];	     /* 0x000: zero: no screen */
	uint8_t pad1[0xc0 - 0x40];
	uint32_t ext_ramdisk_image;	     /* 0x0c0 */
	uint32_t ext_ramdisk_size;	     /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;	     /* 0x0c8 */
	uint8_t pad2[0x1e8 - 0xcc];
	uint8_t e820_entries;		     /* 0x1e8 */
	uint8_t pad3[0x1f1 - 0x1e9];
	struct setup_header hdr;	     /* 0x1f1 */
	uint8_t pad4[0x2d0 - 0x1f1 - sizeof(struct setup_header)];
	struct boot_e820_entry e820_table[E820_MAX_ZEROPAGE]; /* 0x2d0 */
	uint8_t pad5[0x1000 - 0x2d0 - E820_MAX_ZEROPAGE * 20];
} __packed;

_Static_assert(sizeof(struct setup_header) == 0x26c - 0x1f1, "setup header ends at 0x26c");
_Static_assert(__builtin_offsetof(struct setup_header, version) == 0x206 - 0x1f1, "setup_header.version");
_Static_assert(__builtin_offsetof(struct setup_header, cmd_line_ptr) == 0x228 - 0x1f1, "cmd_line_ptr");
_Static_assert(__builtin_offsetof(struct setup_header, xloadflags) == 0x236 - 0x1f1, "xloadflags");
_Static_assert(__builtin_offsetof(struct setup_header, pref_address) == 0x258 - 0x1f1, "pref_address");
_Static_assert(__builtin_offsetof(struct boot_params, hdr) == 0x1f1, "boot_params.hdr");
_Static_assert(__builtin_offsetof(struct boot_params, e820_entries) == 0x1e8, "boot_params.e820_entries");
_Static_assert(__builtin_offsetof(struct boot_params, e820_table) == 0x2d0, "boot_params.e820_table");
_Static_assert(sizeof(struct boot_params) == 4096, "the zero page is one page");

#endif
