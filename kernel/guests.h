/* Starting the guests the boot modules describe, and running them until they stop. */
#ifndef KERNEL_GUESTS_H
#define KERNEL_GUESTS_H

#include "kernel/bootinfo.h"

/* Returns the number of VMs that stopped cleanly; prints a summary line for the boot tests. */
int guests_run(const struct boot_info *bi);
/* Parse the configuration module (once; its errors are printed then) for what must be known before the memory
 * manager starts, such as the swap area.  NULL without a configuration module. */
struct vmconfig_machine;
const struct vmconfig_machine *guests_load_config(const struct boot_info *bi);

#endif
