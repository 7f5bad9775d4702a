/*
 * Housekeeping, run by the scheduler between slices about every 100 ms: the memory manager's tick (sharing scan,
 * sampling periods, free-memory state, targets; mm/mm.c paces each part itself), the periodic memstat lines
 * (SPEC §3) and the monitor's console input.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/hv_mm.h"
#include "kernel/monitor.h"
#include "kernel/periodic.h"
#include "kernel/printk.h"
#include "kernel/sched.h"

#define DEFAULT_MEMSTAT_S 5

static unsigned memstat_interval_s = DEFAULT_MEMSTAT_S;
static uint64_t next_memstat_ms = 0;
/* What the memory manager's tick costs (scan, sampling periods, targets): TSC cycles, for periodic_report(). */
static uint64_t tick_cycles, tick_max_cycles, tick_count, first_tick_tsc;

void periodic_set_memstat_interval(unsigned seconds)
{
	memstat_interval_s = seconds;
	next_memstat_ms = 0;
}

void periodic_memstat(void)
{
	char line[256];

	for (unsigned i = 0; i < sched_nvms(); i++) {
		struct vm *vm = sched_vm(i);
		if (vm->mm && vm->state != VM_STOPPED) {
			mm_memstat_vm(&hv_mm, vm->mm, line, sizeof(line));
			printk("%s\n", line);
		}
	}
	mm_memstat_machine(&hv_mm, line, sizeof(line));
	printk("%s\n", line);
}

void periodic_tick(uint64_t now)
{
	uint64_t now_ms = tsc_to_ns(now) / 1000000;

	uint64_t t0 = rdtsc();
	mm_tick(&hv_mm, now_ms);
	uint64_t spent = rdtsc() - t0;
	tick_cycles += spent;
	tick_max_cycles = MAX(tick_max_cycles, spent);
	if (!tick_count++)
		first_tick_tsc = t0;
	if (memstat_interval_s && now_ms >= next_memstat_ms) {
		if (next_memstat_ms)
			periodic_memstat();
		next_memstat_ms = now_ms + memstat_interval_s * 1000ULL;
	}
	monitor_poll();
}

void periodic_report(void)
{
	uint64_t wall = rdtsc() - first_tick_tsc, us = tsc_to_ns(tick_cycles) / 1000;

	if (!tick_count || !wall)
		return;
	printk("mm: ticks took %llu.%03llu s of %llu s (%llu.%02llu%%), %llu ticks, longest %llu us; "
	       "%u samples per VM and period, a period every %u ms\n",
	       (unsigned long long)(us / 1000000), (unsigned long long)(us / 1000 % 1000),
	       (unsigned long long)(tsc_to_ns(wall) / 1000000000), (unsigned long long)(tick_cycles * 100 / wall),
	       (unsigned long long)(tick_cycles * 10000 / wall % 100), (unsigned long long)tick_count,
	       (unsigned long long)(tsc_to_ns(tick_max_cycles) / 1000), hv_mm.tun.sample_pages,
	       hv_mm.tun.sample_period_ms);
}
