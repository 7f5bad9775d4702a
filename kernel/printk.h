/*
 * The hypervisor's log.  Every line it prints starts with "[ballast] " so that the serial console, which also
 * carries each guest's console as "[<vm>] " lines, can be read and grepped by source (SPEC §3).
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <ballast/compiler.h>

#define LOG_PREFIX "[ballast] "

struct console_sink {
	void (*write)(const char *s, unsigned long n);
};

void console_init(void);
void console_register(const struct console_sink *sink);
/* Write raw bytes to every sink: used for lines that carry their own prefix (guest consoles). */
void console_write(const char *s, unsigned long n);

int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);

#endif
