/* Timing helpers for the mm/ benchmarks (figures printed, not asserted). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Keep a value alive so the compiler cannot drop the work that produced it. */
static volatile uint64_t bench_sink;

#endif
