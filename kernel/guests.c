/*
 * Starting the guests: from the VM configuration file (a module named "config", format in guests/configs/README.md)
 * or, without one, a single VM described by the modules themselves: a module whose first word is "kernel" is the
 * guest kernel (the rest of its string is the guest's command line), one named "initrd" its initramfs, and
 * ballast's own command line sets the VM's memory with vm.mem=<MiB>.
 * A VM that cannot start (bad configuration, missing module, refused by admission control, bad kernel image) is
 * reported and skipped; the others start.
 */
#include <ballast/cmdline.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include <ballast/vmconfig.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/guests.h"
#include "kernel/hv_mm.h"
#include "kernel/monitor.h"
#include "kernel/periodic.h"
#include "kernel/memory.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/vm.h"
#include "loader/linux_load.h"
#include "mm/tunable_table.h"
#include "vmx/vcpu.h"

#define DEFAULT_VM_MIB 256
#define DEFAULT_SHARES 1000

_Static_assert(VMCONFIG_MAX_VMS <= SCHED_MAX_VMS, "every configured VM fits in the run queue");

static struct vm vms[SCHED_MAX_VMS];
static unsigned nvms;
static struct vmconfig config; /* large (command lines): not on the stack */

static const struct boot_module *find_module(const struct boot_info *bi, const char *name)
{
	char word[64];

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

/* Create, load and queue one VM; false (with the reason printed) when it cannot start. */
static bool start_vm(const struct vm_params *p, const struct boot_module *kernel, const struct boot_module *initrd,
		     const char *cmdline)
{
	struct vm *vm = &vms[nvms];
	struct vcpu_boot_state boot;
	int err;

	if (nvms == SCHED_MAX_VMS) {
		printk("vm %s: not started: at most %u VMs\n", p->name, SCHED_MAX_VMS);
		return false;
	}
	err = vm_create(vm, p, nvms);
	err = err ?: linux_load(vm, (const void *)kernel->start, kernel->end - kernel->start,
				initrd ? (const void *)initrd->start : 0, initrd ? initrd->end - initrd->start : 0, cmdline,
				&boot);
	err = err ?: vcpu_init(vm, &boot);
	err = err ?: sched_add(vm);
	if (err) {
		printk("vm %s: not started: %s\n", p->name, errno_name(err));
		vm_destroy(vm);
		return false;
	}
	nvms++;
	/* Admission counted an estimate; the EPT tables are all built now, so the real figure can be shown beside it. */
	printk("vm %s: admitted: overhead %llu KiB reserved (EPT tables in use %llu pages, pmap %llu pages, VMCS, "
	       "bitmaps and device state %u pages)\n",
	       vm->name, (unsigned long long)vm->mm->overhead_pages * 4, (unsigned long long)vm->ept.table_pages,
	       (unsigned long long)(align_up(vm->npages * 8, PAGE_SIZE) >> PAGE_SHIFT), hv_mm_vm_device_pages());
	printk("vm %s: starting with max %llu MiB, min %llu MiB, shares %u, command line \"%s\"\n", vm->name,
	       (unsigned long long)(p->max_bytes >> 20), (unsigned long long)(p->min_bytes >> 20), p->shares, cmdline);
	return true;
}

/* The legacy single-VM form. */
static unsigned start_from_modules(const struct boot_info *bi)
{
	const struct boot_module *kernel = find_module(bi, "kernel"), *initrd = find_module(bi, "initrd");
	char value[32];
	uint64_t mib = DEFAULT_VM_MIB;

	if (!kernel) {
		printk("guests: no VM configuration (module \"config\") and no module named \"kernel\": nothing to run\n");
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
	struct vm_params p = { .name = "vm1", .max_bytes = mib << 20, .min_bytes = 0, .shares = DEFAULT_SHARES };
	return start_vm(&p, kernel, initrd, cmdline);
}

static bool module_exists(const char *name, void *ctx)
{
	return find_module(ctx, name) != 0;
}

/* The configuration's machine knobs go to the statistics and the memory manager: every tunable the file gave
 * (vmconfig_machine.given), over the memory manager's boot values, in one mm_set_tunables() before any VM exists.
 * The parser has already refused a combination that fails mm_tunables_check(); what is left to refuse here is a
 * change to a field sized at mm_init. */
static void apply_machine(const struct vmconfig_machine *m)
{
	struct mm_tunables t = hv_mm.tun;
	char why[TUNABLE_WHY_MAX] = "", v[TUNABLE_VALUE_MAX];
	int err;

	if (m->has_memstat_interval)
		periodic_set_memstat_interval(m->memstat_interval_s);
	if (!m->given)
		return;
	for (unsigned i = 0; i < tunable_count; i++) {
		const struct tunable *e = &tunable_table[i];
		if (!(m->given & BIT(i)))
			continue;
		tunable_put(e, &t, tunable_get(e, &m->tun));
		tunable_format(e, tunable_get(e, &t), v, sizeof(v));
		printk("config: tune %s = %s\n", e->name, v);
	}
	err = mm_tunables_why(&t, why, sizeof(why));
	if (!err && (err = mm_set_tunables(&hv_mm, &t)) == -ERANGE)
		fmt_snprintf(why, sizeof(why), "share_frames is sized when the memory manager starts");
	if (err)
		printk("config: [machine] tunables refused (%s): defaults kept for every tunable\n", why);
}

static bool config_loaded;

const struct vmconfig_machine *guests_load_config(const struct boot_info *bi)
{
	const struct boot_module *cm = find_module(bi, "config");

	if (!cm)
		return 0;
	if (!config_loaded) {
		vmconfig_parse((const char *)cm->start, cm->end - cm->start, &config);
		vmconfig_check_modules(&config, module_exists, (void *)bi);
		for (unsigned i = 0; i < config.nerrors; i++)
			printk("config: %s\n", config.err[i].msg);
		config_loaded = true;
	}
	return &config.machine;
}

/* The VMs the configuration module declares; errors are reported by line and the good VMs start anyway. */
static unsigned start_from_config(const struct boot_info *bi)
{
	unsigned started = 0;

	guests_load_config(bi);
	apply_machine(&config.machine);
	for (unsigned i = 0; i < config.nvms; i++) {
		const struct vmconfig_vm *c = &config.vm[i];
		if (!c->valid) {
			printk("vm %s: not started: its configuration has errors (above)\n", c->name);
			continue;
		}
		struct vm_params p = { .name = c->name, .max_bytes = c->max_bytes, .min_bytes = c->min_bytes,
				       .shares = c->shares };
		started += start_vm(&p, find_module(bi, c->kernel), c->initrd[0] ? find_module(bi, c->initrd) : 0,
				    c->cmdline);
	}
	printk("guests: %u of %u configured VMs started\n", started, config.nvms);
	return started;
}

int guests_run(const struct boot_info *bi)
{
	const struct boot_module *cm = find_module(bi, "config"), *script = find_module(bi, "monitor-script");
	unsigned started = cm ? start_from_config(bi) : start_from_modules(bi);

	if (script)
		monitor_load_script((const char *)script->start, script->end - script->start);

	if (!started)
		return 0;
	printk("guests: %u started (%llu ms since power-on by the TSC)\n", started,
	       (unsigned long long)(tsc_to_ns(rdtsc()) / 1000000));
	return (int)sched_run();
}
