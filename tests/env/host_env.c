/*
 * mm/mm_env.h over libc, for host builds (unit tests, simulator, benchmarks).  Single-threaded: the lock only
 * checks that it is never taken twice (the core's locks are not recursive, and this finds a violation at once).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ballast/format.h>
#include "mm/mm_env.h"
#include "tests/env/host_env.h"

char mm_env_last_log[256];
bool mm_env_verbose;
size_t mm_env_allocated;
unsigned long mm_env_log_count;

void mm_env_panic(const char *file, int line, const char *expr)
{
	fprintf(stderr, "mm: BUG at %s:%d: %s\n", file, line, expr);
	abort();
}

void mm_lock_init(struct mm_lock *l)
{
	l->word = 0;
}

void mm_lock(struct mm_lock *l)
{
	if (l->word)
		mm_env_panic(__FILE__, __LINE__, "mm_lock: already held (recursive locking)");
	l->word = 1;
}

void mm_unlock(struct mm_lock *l)
{
	if (!l->word)
		mm_env_panic(__FILE__, __LINE__, "mm_unlock: not held");
	l->word = 0;
}

void *mm_zalloc(size_t bytes)
{
	void *p = calloc(1, bytes ? bytes : 1);
	if (p)
		mm_env_allocated += bytes;
	return p;
}

void mm_free(void *p, size_t bytes)
{
	if (p)
		mm_env_allocated -= bytes;
	free(p);
}

void mm_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(mm_env_last_log, sizeof(mm_env_last_log), fmt, ap);
	va_end(ap);
	mm_env_log_count++;
	if (mm_env_verbose)
		fprintf(stderr, "%s\n", mm_env_last_log);
}
