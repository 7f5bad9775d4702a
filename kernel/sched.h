/* Running several VMs on the boot CPU (kernel/sched.c). */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "kernel/vm.h"

#define SCHED_MAX_VMS 16

/* Add a created VM to the run queue; -ENOSPC when full. */
int sched_add(struct vm *vm);
/* Run every queued VM until all have stopped; each stopped VM is reported and destroyed at once, returning its
 * memory, while the others go on.  Returns the number that stopped cleanly (powered off / halted). */
unsigned sched_run(void);
/* The queued VMs, stopped ones included until they are reaped (monitor, statistics). */
unsigned sched_nvms(void);
struct vm *sched_vm(unsigned i);
struct vm *sched_find(const char *name);

#endif
