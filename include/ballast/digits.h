/* Decimal digits in text that is not NUL-terminated, for the parsers of the configuration file, the monitor and the
 * tunables (lib/vmconfig.c, mm/tunable_table.c). */
#ifndef BALLAST_DIGITS_H
#define BALLAST_DIGITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The digits at the start of s (n characters) into *v; returns how many, 0 if none.  *overflow when the number
 * does not fit in 64 bits (*v then holds its first digits). */
static inline size_t parse_digits(const char *s, size_t n, uint64_t *v, bool *overflow)
{
	size_t i;

	*v = 0;
	*overflow = false;
	for (i = 0; i < n && is_digit(s[i]); i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (*v > (UINT64_MAX - d) / 10)
			*overflow = true;
		else
			*v = *v * 10 + d;
	}
	return i;
}

#endif
