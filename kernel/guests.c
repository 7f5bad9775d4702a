/*
 * Until the VM configuration file arrives, one VM is described by the boot modules themselves: a module whose
 * first word is "kernel" is the guest kernel (the rest of its string is the guest's command line), a module named
 * "initrd" its initramfs.  ballast's own command line sets the VM's memory with vm.mem=<MiB>.
 */
#include <ballast/cmdline.h>
#include <ballast/errno.h>
#include <ballast/string.h>
#include "kernel/guests.h"
#include "kernel/memory.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "loader/linux_load.h"
#include "vmx/vcpu.h"

#define DEFAULT_VM_MIB 256

static struct vm vm1;

static const struct boot_module *find_module(const struct boot_info *bi, const char *name)
{
	char word[32];

	for (unsigned i = 0; i < bi->nmodules; i++) {
		cmdline_first_word(bi->module[i].cmdline, word, sizeof(word));
		if (!strcmp(word, name))
			return &bi->module[i];
	}
	return 0;
}

static uint64_t parse_mib(const char *s, uint64_t fallback)
{
	uint64_t v = 0;

	if (!*s)
		return fallback;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return *s ? fallback : v;
}

int guests_run(const struct boot_info *bi)
{
	const struct boot_module *kernel = find_module(bi, "kernel"), *initrd = find_module(bi, "initrd");
	char value[32];
	uint64_t mib = DEFAULT_VM_MIB;

	if (!kernel) {
		printk("guests: no module named \"kernel\": nothing to run\n");
		return 0;
	}
	if (cmdline_get(bi->cmdline, "vm.mem", value, sizeof(value)))
		mib = parse_mib(value, DEFAULT_VM_MIB);
	/* The guest's command line is the kernel module's string after its first word. */
	const char *cmdline = kernel->cmdline ? kernel->cmdline : "";
	while (*cmdline == ' ')
		cmdline++;
	while (*cmdline && *cmdline != ' ')
		cmdline++;
	while (*cmdline == ' ')
		cmdline++;

	struct vm *vm = &vm1;
	int err = vm_create(vm, "vm1", 0, mib << 20);
	struct vcpu_boot_state boot;
	err = err ?: linux_load(vm, (const void *)kernel->start, kernel->end - kernel->start,
				initrd ? (const void *)initrd->start : 0, initrd ? initrd->end - initrd->start : 0, cmdline,
				&boot);
	err = err ?: vcpu_init(vm, &boot);
	if (err) {
		printk("vm %s: not started: %s\n", vm->name, errno_name(err));
		vm_destroy(vm);
		return 0;
	}
	printk("vm %s: starting with %llu MiB, command line \"%s\"\n", vm->name, (unsigned long long)mib, cmdline);
	err = vm_run(vm);
	vm_destroy(vm);
	return err == 0;
}
