/*
 * The memory manager's environment seam (STYLE principle 2).
 *
 * Everything in mm/ is pure C with no hardware in it; the few services it needs from whatever hosts it are declared
 * here and nowhere else.  Two implementations exist:
 *   - host builds (unit tests, simulator, benchmarks): tests/env/host_env.c, over libc;
 *   - the hypervisor: written by the kernel side, over its console, spinlocks and boot-time metadata heap.
 *
 * Contract for an implementation:
 *   mm_env_panic   print "mm: BUG at FILE:LINE: EXPR" and stop (hypervisor: park the CPU; host: abort()).
 *   mm_lock_*      a non-recursive mutual-exclusion lock over one struct mm_lock (a spinlock is fine: the core
 *                  never sleeps and never calls out while holding it except through struct mm_ops).
 *   mm_zalloc      zeroed metadata memory (pmap arrays, sharing frames), NULL on failure.  It must NOT come from
 *                  the machine-page pool the core manages (mm_init's ranges): the hypervisor sets a heap aside at
 *                  boot.  Sizes are multiples of 8 bytes and can be large (a pmap is 8 bytes per guest page).
 *   mm_free        release what mm_zalloc returned; the size is passed back so a bump/page allocator can use it.
 *   mm_log         one line of log text, printf-style via lib/format.c's conversions, no trailing newline.
 */
#ifndef MM_ENV_H
#define MM_ENV_H

#include <stddef.h>
#include <stdint.h>
#include <ballast/compiler.h>

__noreturn void mm_env_panic(const char *file, int line, const char *expr);

/* BUG_ON: a condition that must never happen, checked in every build.  ASSERT: debug-only invariant checks. */
#define MM_BUG_ON(cond)                                                                \
	do {                                                                           \
		if (unlikely(cond))                                                    \
			mm_env_panic(__FILE__, __LINE__, #cond);                       \
	} while (0)
#ifdef MM_NDEBUG
#define MM_ASSERT(cond) ((void)0)
#else
#define MM_ASSERT(cond) MM_BUG_ON(!(cond))
#endif

/* Opaque storage for one lock; the implementation decides what the word means. */
struct mm_lock {
	volatile uint64_t word;
};
void mm_lock_init(struct mm_lock *l);
void mm_lock(struct mm_lock *l);
void mm_unlock(struct mm_lock *l);

void *mm_zalloc(size_t bytes);
void mm_free(void *p, size_t bytes);

void mm_log(const char *fmt, ...) __printf(1, 2);

#endif
