/* The hypervisor's housekeeping between guest time slices (kernel/periodic.c). */
#ifndef KERNEL_PERIODIC_H
#define KERNEL_PERIODIC_H

#include <stdint.h>

/* Memory manager tick, memstat lines when due, monitor input.  now: TSC. */
void periodic_tick(uint64_t now);
/* Seconds between memstat reports; 0 turns them off. */
void periodic_set_memstat_interval(unsigned seconds);
/* The memory manager's cost over the run: time in its ticks against wall time (at the end). */
void periodic_report(void);
/* Print one memstat line per VM and the machine line now. */
void periodic_memstat(void);

#endif
