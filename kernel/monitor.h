/* The operator's monitor on the serial console (kernel/monitor.c). */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

#include <stdint.h>

/* Read what arrived on the host console: monitor commands run, other lines go to the selected VM's console. */
void monitor_poll(void);
/* Run one monitor command line (without the prefix); also used for scheduled commands. */
void monitor_execute(const char *line);
/* Commands to run later: lines "<seconds> <command>" (seconds after the guests started), '#' comments. */
int monitor_load_script(const char *text, uint64_t len);

#endif
