/*
 * The time-stamp counter as the hypervisor's clock.  Its frequency is measured against the PIT at boot: CPUID's
 * leaves 0x15/0x16 cannot be trusted (Bochs's Icelake model claims 3.5 GHz while its TSC ticks at the emulator's
 * instruction rate, SPEC §5).
 */
#ifndef ARCH_X86_64_TSC_H
#define ARCH_X86_64_TSC_H

#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/cpu.h"

extern uint64_t tsc_hz;

/* Measure tsc_hz over about 50 ms of the PIT's channel 2.  Returns tsc_hz. */
uint64_t tsc_calibrate(void);

/* a * b / c without overflow for the ranges used here (a: TSC cycles, b and c: frequencies). */
static inline uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	/* Split the 128-bit division by hand: freestanding builds have no __udivti3. */
	uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p;
	uint64_t q_hi = hi / c, r = hi % c, q_lo;

	__asm__("divq %4" : "=a"(q_lo), "=d"(r) : "a"(lo), "d"(r), "rm"(c));
	return (q_hi << 63 << 1) | q_lo; /* q_hi is 0 whenever the quotient fits in 64 bits */
}

static inline uint64_t tsc_to_ns(uint64_t cycles) { return muldiv64(cycles, 1000000000ULL, tsc_hz); }
static inline uint64_t ns_to_tsc(uint64_t ns) { return muldiv64(ns, tsc_hz, 1000000000ULL); }

/* Deadlines for polled device work: a TSC value, and whether it has passed (needs tsc_calibrate() first). */
static inline uint64_t tsc_deadline_ms(uint64_t ms) { return rdtsc() + ns_to_tsc(ms * 1000000ULL); }
static inline bool tsc_passed(uint64_t deadline) { return (int64_t)(rdtsc() - deadline) >= 0; }

/* Spin for at least ns nanoseconds (short hardware delays: an ATA reset pulse). */
static inline void tsc_delay_ns(uint64_t ns)
{
	uint64_t end = rdtsc() + ns_to_tsc(ns) + 1;

	while (!tsc_passed(end))
		cpu_relax();
}

#endif
