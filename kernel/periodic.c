/*
 * Housekeeping, run by the scheduler between slices about every 100 ms: the memory manager's tick (sharing scan,
 * sampling periods, free-memory state, targets; mm/mm.c paces each part itself), the periodic memstat lines
 * (SPEC §3) and the monitor's console input.
 */
#include "arch/x86_64/tsc.h"
#include "kernel/hv_mm.h"
#include "kernel/monitor.h"
#include "kernel/periodic.h"
#include "kernel/printk.h"
#include "kernel/sched.h"

#define DEFAULT_MEMSTAT_S 5

static unsigned memstat_interval_s = DEFAULT_MEMSTAT_S;
static uint64_t next_memstat_ms = 0;

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

	mm_tick(&hv_mm, now_ms);
	if (memstat_interval_s && now_ms >= next_memstat_ms) {
		if (next_memstat_ms)
			periodic_memstat();
		next_memstat_ms = now_ms + memstat_interval_s * 1000ULL;
	}
	monitor_poll();
}
