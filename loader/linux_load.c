/*
 * Putting a parsed Linux image into guest memory: segments, initramfs at the top of RAM, command line, zero page,
 * a GDT and identity-mapping page tables for the 64-bit entry, and the register state boot.rst specifies
 * (long mode, paging on with an identity map, CS/DS = __BOOT_CS/__BOOT_DS, interrupts off, RSI = zero page).
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "arch/x86_64/paging.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "loader/linux_image.h"
#include "loader/linux_load.h"

static struct boot_params zero_page;

static int write_boot_gdt(struct vm *vm)
{
	/* null, null, __BOOT_CS (64-bit code), __BOOT_DS (data) */
	static const uint64_t gdt[4] = { 0, 0, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL };

	return vm_write(vm, GUEST_BOOT_GDT, gdt, sizeof(gdt));
}

static int write_identity_map(struct vm *vm)
{
	uint64_t pml4e = (GUEST_PML4 + 0x1000) | PTE_P | PTE_W;
	int err = vm_write(vm, GUEST_PML4, &pml4e, sizeof(pml4e));

	for (uint64_t i = 0; !err && i < 4; i++) {
		uint64_t pdpte = (GUEST_PML4 + 0x2000 + i * 0x1000) | PTE_P | PTE_W;
		err = vm_write(vm, GUEST_PML4 + 0x1000 + i * 8, &pdpte, sizeof(pdpte));
	}
	for (uint64_t i = 0; !err && i < 4 * 512; i++) {
		uint64_t pde = (i << 21) | PTE_P | PTE_W | PTE_PS;
		err = vm_write(vm, GUEST_PML4 + 0x2000 + i * 8, &pde, sizeof(pde));
	}
	return err;
}

int linux_load(struct vm *vm, const void *kernel, size_t kernel_len, const void *initrd, size_t initrd_len,
	       const char *cmdline, struct vcpu_boot_state *boot)
{
	struct linux_image img;
	int err = linux_image_parse(kernel, kernel_len, &img);

	if (err) {
		printk("vm %s: the kernel module is not a bootable x86-64 Linux image (%s)\n", vm->name,
		       err == -ENOTSUP ? "unsupported: boot protocol < 2.12, no 64-bit entry or not relocatable"
				       : "not a bzImage or ELF, or truncated");
		return err;
	}
	size_t cmdlen = strlen(cmdline);
	if (cmdlen >= GUEST_CMDLINE_MAX) {
		printk("vm %s: command line of %zu bytes is over the %u-byte limit\n", vm->name, cmdlen, GUEST_CMDLINE_MAX);
		return -E2BIG;
	}
	struct linux_boot_layout layout = {
		.mem_bytes = vm->mem_bytes,
		.zero_page = GUEST_ZERO_PAGE,
		.cmdline = GUEST_CMDLINE,
		.initrd = initrd_len ? align_down(vm->mem_bytes - initrd_len, PAGE_SIZE) : 0,
		.initrd_size = initrd_len,
	};
	err = linux_build_zero_page(&zero_page, &img, &layout);
	if (err) {
		printk("vm %s: kernel (needs 0x%llx-0x%llx) and initramfs (%zu KiB) do not fit in %llu MiB of RAM\n",
		       vm->name, (unsigned long long)img.load_start, (unsigned long long)img.load_end, initrd_len >> 10,
		       (unsigned long long)(vm->mem_bytes >> 20));
		return err;
	}
	for (unsigned i = 0; !err && i < img.nseg; i++)
		err = vm_write(vm, img.seg[i].paddr, (const uint8_t *)kernel + img.seg[i].file_offset,
			       img.seg[i].file_size);
	err = err ?: vm_write(vm, layout.initrd, initrd, initrd_len);
	err = err ?: vm_write(vm, GUEST_CMDLINE, cmdline, cmdlen + 1);
	err = err ?: vm_write(vm, GUEST_ZERO_PAGE, &zero_page, sizeof(zero_page));
	err = err ?: write_boot_gdt(vm);
	err = err ?: write_identity_map(vm);
	if (err) {
		printk("vm %s: loading the kernel failed: %s\n", vm->name, errno_name(err));
		return err;
	}
	printk("vm %s: %s kernel, boot protocol %u.%02u, entry 0x%llx, occupies 0x%llx-0x%llx; initramfs %zu KiB at "
	       "0x%llx\n", vm->name, img.kind == LINUX_BZIMAGE ? "bzImage" : "vmlinux (uncompressed ELF)",
	       img.protocol >> 8, img.protocol & 0xff, (unsigned long long)img.entry,
	       (unsigned long long)img.load_start, (unsigned long long)img.load_end, initrd_len >> 10,
	       (unsigned long long)layout.initrd);

	*boot = (struct vcpu_boot_state){
		.long_mode = true,
		.rip = img.entry,
		.rsp = GUEST_BOOT_GDT - 16,
		.rsi = GUEST_ZERO_PAGE,
		.cr3 = GUEST_PML4,
		.gdt_base = GUEST_BOOT_GDT,
		.gdt_limit = 4 * 8 - 1,
		.cs = GUEST_BOOT_CS,
		.ds = GUEST_BOOT_DS,
	};
	return 0;
}
