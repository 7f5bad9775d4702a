#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <ballast/compiler.h>

/* Say why, then stop the machine.  For what must never happen; a guest's failure stops only that guest. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);
/* The normal end of a run with nothing left to do: print the halt marker and stop. */
__noreturn void hypervisor_halt(const char *why);

#define BUG_ON(cond)                                                                      \
	do {                                                                              \
		if (unlikely(cond))                                                       \
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);          \
	} while (0)

#ifdef NDEBUG
#define ASSERT(cond) ((void)0)
#else
#define ASSERT(cond) BUG_ON(!(cond))
#endif

#endif
