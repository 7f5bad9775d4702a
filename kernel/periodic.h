/* The hypervisor's housekeeping between guest time slices (kernel/periodic.c). */
#ifndef KERNEL_PERIODIC_H
#define KERNEL_PERIODIC_H

#include <stdint.h>

/* Memory manager tick, memstat lines when due, monitor input.  now: TSC. */
void periodic_tick(uint64_t now);
/* Seconds between memstat reports; 0 turns them off. */
void periodic_set_memstat_interval(unsigned seconds);
/* Print one memstat line per VM and the machine line now. */
void periodic_memstat(void);

#endif
