/* Pieces of a text that is not NUL-terminated (a configuration module, a console line), shared by the parsers in
 * lib/vmconfig.c and lib/monitor_cmd.c. */
#ifndef LIB_SPAN_H
#define LIB_SPAN_H

#include <stddef.h>
#include <ballast/compiler.h>
#include <ballast/string.h>

#define QUOTE_MAX 32 /* characters of a value quoted in an error message */

struct span {
	const char *p;
	size_t n;
};

/* A value quoted in an error message: a NUL-terminated copy cut at QUOTE_MAX characters, so that one bad value
 * cannot make an error message run on. */
struct quoted {
	char s[QUOTE_MAX + 1];
};

static inline struct quoted quote(struct span v)
{
	struct quoted q;
	size_t n = v.n < QUOTE_MAX ? v.n : QUOTE_MAX;

	memcpy(q.s, v.p, n);
	q.s[n] = '\0';
	return q;
}
#define Q(v) (quote(v).s)

#endif
