/*
 * Formatted output into a buffer, shared by the hypervisor and host builds (lib/format.c).  No floating point: the
 * hypervisor is built without SSE.  Supports %d %i %u %x %X %o %c %s %p %% with the l, ll, z and h modifiers, width,
 * '-' (left), '0' (zero pad), '+' and precision for strings and integers.
 */
#ifndef BALLAST_FORMAT_H
#define BALLAST_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <ballast/compiler.h>

/* Like C's vsnprintf: writes at most n bytes including the NUL, returns the length the full output would have. */
int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...) __printf(3, 4);

/* Stream form: emit(c, ctx) is called for each character; returns the number of characters emitted. */
int fmt_vformat(void (*emit)(char c, void *ctx), void *ctx, const char *fmt, va_list ap);

#endif
