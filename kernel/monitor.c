/*
 * The operator's monitor on the serial console.  A line that starts with '~' is a command (lib/monitor_cmd.c parses
 * it; "~ help" lists them); any other line goes to the console of the selected VM (the first VM until "~ console"
 * picks another).  Commands can also come from a script module (module string "monitor-script"), one per line as
 * "<seconds> <command>", run that many seconds after the guests started: that is how regression runs drive the
 * monitor without a person at the console.
 */
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/monitor_cmd.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "drivers/uart16550.h"
#include "kernel/hv_mm.h"
#include "kernel/monitor.h"
#include "kernel/periodic.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "mm/tunable_table.h"
#include "vdev/uart.h"

#define LINE_MAX 200
#define SCRIPT_MAX 32

static char line[LINE_MAX + 1];
static unsigned line_len;
static char console_vm[VMCONFIG_NAME_MAX + 1];

static struct {
	uint64_t at_ms;
	char cmd[LINE_MAX + 1];
} script[SCRIPT_MAX];
static unsigned nscript, script_next;
static uint64_t script_start_ms;

static const char *state_name(const struct vm *vm)
{
	static const char *const names[] = { [VM_CREATED] = "created", [VM_RUNNING] = "running",
					     [VM_STOPPED] = "stopped" };
	return vm->state == VM_RUNNING && vm->vcpu.halted ? "halted (idle)" : names[vm->state];
}

static void cmd_list(void)
{
	for (unsigned i = 0; i < sched_nvms(); i++) {
		struct vm *vm = sched_vm(i);
		struct mm_vm *m = vm->mm;
		printk("monitor: %-8s %-14s max %llu MiB min %llu MiB shares %u alloc %llu MiB balloon %llu MiB "
		       "exits %llu%s\n",
		       vm->name, state_name(vm), (unsigned long long)(m->max_pages >> 8),
		       (unsigned long long)(m->min_pages >> 8), m->shares, (unsigned long long)(mm_vm_alloc(m) >> 8),
		       (unsigned long long)(mm_balloon_size(m) >> 8), (unsigned long long)vm->stats.exits_total,
		       strcmp(vm->name, console_vm) ? "" : " (console)");
	}
}

/* The refusal hint below and the monitor's help name the shares limit in words. */
_Static_assert(POLICY_MAX_SHARES == 1000000u, "update the monitor's shares range");

static int cmd_set(const struct monitor_cmd *c, struct vm *vm)
{
	uint64_t pages = c->value >> PAGE_SHIFT;

	switch (c->kind) {
	case MONITOR_SET_SHARES:
		return mm_vm_set_shares(&hv_mm, vm->mm, (uint32_t)c->value);
	case MONITOR_SET_MIN:
		return mm_vm_set_min(&hv_mm, vm->mm, pages);
	case MONITOR_SET_TARGET:
		return mm_vm_set_target(&hv_mm, vm->mm, c->auto_ ? 0 : pages);
	case MONITOR_SET_MAX:
		return mm_vm_set_max(&hv_mm, vm->mm, pages);
	default:
		return -EINVAL;
	}
}

/* "~ tune": every tunable, live value and the boot default (hv_mm_init()'s: the table's defaults, with the real
 * device page count). */
static void cmd_tune(void)
{
	struct mm_tunables d;
	char v[TUNABLE_VALUE_MAX], dv[TUNABLE_VALUE_MAX];

	mm_tunables_default(&d);
	d.overhead_dev_pages = hv_mm_vm_device_pages();
	for (unsigned i = 0; i < tunable_count; i++) {
		const struct tunable *e = &tunable_table[i];
		tunable_format(e, tunable_get(e, &hv_mm.tun), v, sizeof(v));
		tunable_format(e, tunable_get(e, &d), dv, sizeof(dv));
		printk("monitor: tune %s = %s (default %s) - %s\n", e->name, v, dv, e->desc);
	}
}

/* The smallest sample set of the VMs now running: sample_pages cannot exceed it (mm_set_tunables()). */
static uint32_t sample_cap(void)
{
	uint32_t cap = UINT32_MAX;

	for (unsigned i = 0; i < sched_nvms(); i++) {
		struct vm *vm = sched_vm(i);
		if (vm->mm && vm->mm->sampler.cap < cap)
			cap = vm->mm->sampler.cap;
	}
	return cap;
}

/* "~ set tune NAME VALUE": the value on a copy of the live tunables, the whole set checked, then applied. */
static void cmd_set_tune(const struct monitor_cmd *c, const char *text)
{
	const struct tunable *e = &tunable_table[c->tunable];
	struct mm_tunables t = hv_mm.tun;
	char why[TUNABLE_WHY_MAX], v[TUNABLE_VALUE_MAX];
	uint64_t given = 0;
	int err = tunable_set(&t, e->name, strlen(e->name), c->tune_value, strlen(c->tune_value), &given, why,
			      sizeof(why));

	if (!err && e->boot_sized && tunable_get(e, &t) != tunable_get(e, &hv_mm.tun)) {
		tunable_format(e, tunable_get(e, &hv_mm.tun), v, sizeof(v));
		fmt_snprintf(why, sizeof(why), "%s is sized when the memory manager starts: it stays %s", e->name, v);
		err = -ERANGE;
	}
	if (!err && (err = mm_set_tunables(&hv_mm, &t)) < 0) {
		if (err == -ERANGE)
			fmt_snprintf(why, sizeof(why),
				     "sample_pages cannot exceed the %u-page sample sets the running VMs were created with",
				     sample_cap());
		else
			fmt_snprintf(why, sizeof(why), "%s", errno_name(err));
	}
	if (err)
		printk("monitor: %s: %s\n", text, why);
	else
		printk("monitor: %s: done\n", text);
}

void monitor_execute(const char *text)
{
	struct monitor_cmd c;
	char why[128];
	struct vm *vm = 0;
	int err = 0;

	if (monitor_cmd_parse(text, &c, why, sizeof(why)) < 0) {
		/* A refused "set tune" already names the command and points at "~ tune". */
		printk("monitor: %s%s\n", why, strncmp(why, "set tune ", 9) ? " (\"~ help\" lists the commands)" : "");
		return;
	}
	if (c.vm[0] && !(vm = sched_find(c.vm))) {
		printk("monitor: no VM named %s\n", c.vm);
		return;
	}
	switch (c.kind) {
	case MONITOR_NONE:
		return;
	case MONITOR_HELP:
		printk("monitor: %s\n", monitor_cmd_help);
		return;
	case MONITOR_LIST:
		cmd_list();
		return;
	case MONITOR_MEM:
		periodic_memstat();
		return;
	case MONITOR_AUDIT:
		err = mm_audit(&hv_mm);
		printk("monitor: audit %s\n", err ? "FAILED (see above)" : "passed");
		return;
	case MONITOR_MEMSTAT:
		periodic_set_memstat_interval((unsigned)c.value);
		printk("monitor: memstat every %llu s\n", (unsigned long long)c.value);
		return;
	case MONITOR_CONSOLE:
		memcpy(console_vm, vm->name, sizeof(console_vm));
		printk("monitor: console input goes to %s\n", console_vm);
		return;
	case MONITOR_TUNE:
		cmd_tune();
		return;
	case MONITOR_SET_TUNE:
		cmd_set_tune(&c, text);
		return;
	case MONITOR_STOP:
		vm_stop(vm, "stopped by the operator");
		printk("monitor: %s stopped\n", vm->name);
		return;
	default:
		err = cmd_set(&c, vm);
		if (err)
			printk("monitor: %s: %s%s\n", text, errno_name(err),
			       err == -ERANGE ? " (max cannot exceed the RAM the guest booted with)" :
			       err == -EINVAL ? " (needs min <= max, target <= max; shares 1..1000000)" :
			       err == -ENOSPC ? " (does not fit beside the other VMs' minimums)" : "");
		else
			printk("monitor: %s: done\n", text);
	}
}

static void console_line(const char *text)
{
	struct vm *vm = console_vm[0] ? sched_find(console_vm) : sched_vm(0);

	if (!vm || vm->state == VM_STOPPED) {
		printk("monitor: no running VM takes console input (\"~ console <vm>\")\n");
		return;
	}
	for (const char *p = text; *p; p++)
		vuart_receive(vm, (uint8_t)*p);
	vuart_receive(vm, '\r');
}

static void run_script(void)
{
	uint64_t now_ms = tsc_to_ns(rdtsc()) / 1000000;

	if (!script_start_ms)
		script_start_ms = now_ms;
	while (script_next < nscript && now_ms - script_start_ms >= script[script_next].at_ms) {
		printk("monitor: script: %s\n", script[script_next].cmd);
		monitor_execute(script[script_next++].cmd);
	}
}

void monitor_poll(void)
{
	char ch;

	run_script();
	while (uart_getc(COM1_BASE, &ch)) {
		if (ch != '\r' && ch != '\n') {
			if (line_len < LINE_MAX)
				line[line_len++] = ch;
			continue;
		}
		line[line_len] = '\0';
		line_len = 0;
		const char *text;
		if (monitor_classify(line, &text) == MONITOR_LINE_COMMAND)
			monitor_execute(text);
		else
			console_line(text);
	}
}

int monitor_load_script(const char *text, uint64_t len)
{
	uint64_t i = 0;

	while (i < len) {
		uint64_t end = i, secs = 0;
		while (end < len && text[end] != '\n')
			end++;
		uint64_t p = i;
		while (p < end && (text[p] == ' ' || text[p] == '\t'))
			p++;
		if (p < end && text[p] != '#') {
			if (text[p] < '0' || text[p] > '9' || nscript == SCRIPT_MAX) {
				printk("monitor: script line %.*s: want \"<seconds> <command>\" (at most %u lines)\n",
				       (int)(end - i), text + i, SCRIPT_MAX);
				return -EINVAL;
			}
			while (p < end && text[p] >= '0' && text[p] <= '9')
				secs = secs * 10 + (uint64_t)(text[p++] - '0');
			while (p < end && (text[p] == ' ' || text[p] == '\t'))
				p++;
			uint64_t n = MIN(end - p, (uint64_t)LINE_MAX);
			while (n && (text[p + n - 1] == '\r' || text[p + n - 1] == ' '))
				n--;
			memcpy(script[nscript].cmd, text + p, n);
			script[nscript].cmd[n] = '\0';
			script[nscript++].at_ms = secs * 1000;
		}
		i = end + 1;
	}
	printk("monitor: script of %u commands loaded\n", nscript);
	return 0;
}
