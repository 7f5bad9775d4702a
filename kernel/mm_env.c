/*
 * The hypervisor's side of the memory manager's environment seam (mm/mm_env.h): panic through the console,
 * spinlocks, metadata from whole frames of the frame allocator (never from the pool the core manages), log lines.
 */
#include <stdarg.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "mm/mm_env.h"

__noreturn void mm_env_panic(const char *file, int line, const char *expr)
{
	panic("mm: BUG at %s:%d: %s", file, line, expr);
}

void mm_lock_init(struct mm_lock *l)
{
	l->word = 0;
}

void mm_lock(struct mm_lock *l)
{
	while (__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE))
		while (l->word)
			cpu_relax();
}

void mm_unlock(struct mm_lock *l)
{
	__atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
}

/* Metadata is rare and large (pmaps, hash tables), so whole contiguous frames serve it well. */
void *mm_zalloc(size_t bytes)
{
	uint64_t pages = align_up(bytes ? bytes : 1, PAGE_SIZE) >> PAGE_SHIFT;
	mpn_t m = frame_alloc_run(&frames, pages, 1);

	if (!mpn_valid(m))
		return 0;
	memset(mpn_to_ptr(m), 0, pages * PAGE_SIZE);
	return mpn_to_ptr(m);
}

void mm_free(void *p, size_t bytes)
{
	if (!p)
		return;
	uint64_t pages = align_up(bytes ? bytes : 1, PAGE_SIZE) >> PAGE_SHIFT;
	BUG_ON(frame_free_run(&frames, maddr_to_mpn((uint64_t)p), pages) != 0);
}

void mm_log(const char *fmt, ...)
{
	char line[200];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printk("%s\n", line); /* the core's messages name themselves ("mm: ...") */
}
