/*
 * printf-style formatting without floating point, shared by the hypervisor's console and by mm/'s statistics lines.
 * One formatter (fmt_vformat) emits characters through a callback; the buffer forms are thin wrappers around it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <ballast/format.h>

struct spec {
	bool left, zero, plus;
	int width, precision; /* precision < 0: none given */
};

struct out {
	void (*emit)(char c, void *ctx);
	void *ctx;
	int count;
};

static void put(struct out *o, char c)
{
	o->emit(c, o->ctx);
	o->count++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_string(struct out *o, const struct spec *s, const char *str)
{
	int len = 0;

	if (!str)
		str = "(null)";
	while ((s->precision < 0 || len < s->precision) && str[len]) /* the precision bounds the read too */
		len++;
	if (!s->left)
		pad(o, ' ', s->width - len);
	for (int i = 0; i < len; i++)
		put(o, str[i]);
	if (s->left)
		pad(o, ' ', s->width - len);
}

static void put_number(struct out *o, const struct spec *s, uint64_t v, bool negative, unsigned base, bool upper,
		       const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0, plen = 0, sign = negative || s->plus;

	do {
		buf[n++] = digits[v % base];
		v /= base;
	} while (v);
	while (prefix && prefix[plen])
		plen++;

	int ndigits = n < s->precision ? s->precision : n;
	int total = ndigits + sign + plen;

	if (!s->left && !(s->zero && s->precision < 0))
		pad(o, ' ', s->width - total);
	if (sign)
		put(o, negative ? '-' : '+');
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	if (!s->left && s->zero && s->precision < 0)
		pad(o, '0', s->width - total);
	pad(o, '0', ndigits - n);
	while (n)
		put(o, buf[--n]);
	if (s->left)
		pad(o, ' ', s->width - total);
}

int fmt_vformat(void (*emit)(char c, void *ctx), void *ctx, const char *fmt, va_list ap)
{
	struct out o = { .emit = emit, .ctx = ctx };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		struct spec s = { .precision = -1 };

		for (;; fmt++) {
			if (fmt[1] == '-')
				s.left = true;
			else if (fmt[1] == '0')
				s.zero = true;
			else if (fmt[1] == '+')
				s.plus = true;
			else
				break;
		}
		fmt++;
		if (*fmt == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0) {
				s.left = true;
				s.width = -s.width;
			}
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			s.width = s.width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			s.precision = 0;
			if (*fmt == '*') {
				s.precision = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				s.precision = s.precision * 10 + (*fmt++ - '0');
		}

		int longs = 0; /* 0: int, 1: long, 2: long long, -1: short, -2: char */
		for (;; fmt++) {
			if (*fmt == 'l')
				longs++;
			else if (*fmt == 'z')
				longs = 1;
			else if (*fmt == 'h')
				longs--;
			else
				break;
		}

		uint64_t u;
		int64_t i;
		switch (*fmt) {
		case 'd':
		case 'i':
			i = longs >= 2 ? va_arg(ap, long long) : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
			if (longs == -1)
				i = (short)i;
			else if (longs <= -2)
				i = (signed char)i;
			u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
			put_number(&o, &s, u, i < 0, 10, false, NULL);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = longs >= 2	 ? va_arg(ap, unsigned long long)
			    : longs == 1 ? va_arg(ap, unsigned long)
					 : va_arg(ap, unsigned int);
			if (longs == -1)
				u = (unsigned short)u;
			else if (longs <= -2)
				u = (unsigned char)u;
			s.plus = false;
			put_number(&o, &s, u, false, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16, *fmt == 'X', NULL);
			break;
		case 'p':
			s.plus = false;
			put_number(&o, &s, (uintptr_t)va_arg(ap, void *), false, 16, false, "0x");
			break;
		case 'c': {
			char c[2] = { (char)va_arg(ap, int), 0 };
			s.precision = 1;
			put_string(&o, &s, c);
			break;
		}
		case 's':
			put_string(&o, &s, va_arg(ap, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			return o.count; /* a lone '%' at the end: stop */
		default:
			/* Unknown conversion: show it rather than guess, so the bad format string is visible. */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	return o.count;
}

struct bufctx {
	char *buf;
	size_t size, pos;
};

static void emit_buf(char c, void *ctx)
{
	struct bufctx *b = ctx;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct bufctx b = { .buf = buf, .size = n };
	int len = fmt_vformat(emit_buf, &b, fmt, ap);

	if (n)
		buf[b.pos < n ? b.pos : n - 1] = '\0';
	return len;
}

int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = fmt_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len;
}
