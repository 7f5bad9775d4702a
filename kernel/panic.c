#include <stdarg.h>
#include "arch/x86_64/cpu.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

__noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	cli();
	printk("PANIC: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\nhalted: panic\n");
	cpu_halt_forever();
}

__noreturn void hypervisor_halt(const char *why)
{
	printk("halted: %s\n", why);
	cpu_halt_forever();
}
