/*
 * kmain: what the hypervisor does between the boot stub and running guests.
 */
#include <stdint.h>
#include <ballast/cmdline.h>
#include <ballast/errno.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/desc.h"
#include "arch/x86_64/paging.h"
#include <ballast/string.h>
#include <ballast/vmconfig.h>
#include "arch/x86_64/tsc.h"
#include "drivers/i8259.h"
#include "drivers/pci/pci.h"
#include "kernel/bootinfo.h"
#include "kernel/disk_selftest.h"
#include "kernel/disks.h"
#include "kernel/guests.h"
#include "kernel/hv_mm.h"
#include "kernel/memory.h"
#include "kernel/periodic.h"
#include "kernel/vm.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/swap_io.h"
#include "vmx/vmx.h"

#define BALLAST_VERSION "0.1"

static struct boot_info boot_info;

static const void *identity(uint64_t paddr)
{
	return paddr && paddr < BOOT_IDENTITY_MAP_END ? (const void *)paddr : 0;
}

/* Boot-test hooks: deliberate failures that prove an exception in the hypervisor is reported in full, and
 * self-tests of hardware paths that a normal boot does not exercise (test=disk writes to swap areas). */
static void run_test_hook(const char *cmdline)
{
	char what[16];

	if (!cmdline_get(cmdline, "test", what, sizeof(what)))
		return;
	printk("test hook: %s\n", what);
	if (!strcmp(what, "fault"))
		*(volatile uint64_t *)0xdead000000ULL = 0x5a5a; /* canonical, never mapped: #PF with CR2 = this address */
	else if (!strcmp(what, "ud"))
		__asm__ volatile("ud2");
	else if (!strcmp(what, "disk"))
		disk_selftest();
	else
		printk("test hook: unknown test '%s'\n", what);
}

void kmain(uint32_t magic, uint64_t info)
{
	console_init();
	printk("ballast " BALLAST_VERSION ": type-1 micro-hypervisor for Linux guests (VT-x, EPT)\n");
	gdt_init();
	idt_init();
	i8259_init_masked();

	int err = bootinfo_parse(&boot_info, &machine_map, magic, info, identity);
	if (err)
		panic("cannot read the boot information (magic 0x%x at 0x%llx): %s", magic, (unsigned long long)info,
		      errno_name(err));
	printk("booted by %s (%s), command line \"%s\"\n", boot_info.loader,
	       boot_info.loader_name ? boot_info.loader_name : "unknown loader",
	       boot_info.cmdline ? boot_info.cmdline : "");
	for (unsigned i = 0; i < boot_info.nmodules; i++)
		printk("module %u: %llx-%llx (%llu KiB) \"%s\"\n", i, (unsigned long long)boot_info.module[i].start,
		       (unsigned long long)boot_info.module[i].end,
		       (unsigned long long)((boot_info.module[i].end - boot_info.module[i].start) >> 10),
		       boot_info.module[i].cmdline ? boot_info.module[i].cmdline : "");
	if (boot_info.modules_dropped)
		printk("warning: %u modules beyond the first %u were ignored\n", boot_info.modules_dropped,
		       BOOTINFO_MAX_MODULES);

	memory_init(&boot_info);
	/* The TSC before the disks: their commands' deadlines are TSC values. */
	tsc_calibrate();
	printk("tsc: %llu.%03llu MHz (measured against the PIT)\n", (unsigned long long)(tsc_hz / 1000000),
	       (unsigned long long)(tsc_hz / 1000 % 1000));
	/* Host devices before the VT-x check, so that they are found (and tested) in QEMU's TCG, which has no VT-x. */
	pci_init();
	disks_init(boot_info.cmdline);
	const struct vmconfig_machine *mc = guests_load_config(&boot_info);
	disks_choose_swap(mc && mc->swap == VMCONFIG_SWAP_OFF, mc && mc->swap == VMCONFIG_SWAP_UUID ? mc->swap_uuid : 0);
	run_test_hook(boot_info.cmdline);

	if (vmx_detect() < 0)
		hypervisor_halt("no usable VT-x");
	if (vmx_cpu_enable() < 0)
		hypervisor_halt("cannot enter VMX operation");
	printk("boot complete (%llu ms since power-on by the TSC)\n", (unsigned long long)(tsc_to_ns(rdtsc()) / 1000000));
	vm_switch_init();
	hv_mm_init();
	int clean = guests_run(&boot_info);
	printk("guests: %d stopped cleanly\n", clean);
	periodic_report();
	swap_io_report();
	hypervisor_halt(boot_info.nmodules ? "all guests stopped" : "no guests to run yet");
}
