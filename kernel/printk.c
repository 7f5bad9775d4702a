/*
 * printk: formats into the console sinks, inserting LOG_PREFIX at the start of every line.
 * Output is written through a small line buffer so that each sink sees whole lines whenever a line fits.
 */
#include <stdbool.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "drivers/uart16550.h"
#include "kernel/printk.h"

#define MAX_SINKS 4

static const struct console_sink *sinks[MAX_SINKS];
static unsigned nsinks;

static char line[256];
static unsigned line_len;
static bool at_line_start = true;

static void serial_write(const char *s, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc(COM1_BASE, '\r');
		uart_putc(COM1_BASE, s[i]);
	}
}

static const struct console_sink serial_sink = { .write = serial_write };

void console_init(void)
{
	uart_init(COM1_BASE, 115200);
	console_register(&serial_sink);
}

void console_register(const struct console_sink *sink)
{
	if (nsinks < MAX_SINKS)
		sinks[nsinks++] = sink;
}

void console_write(const char *s, unsigned long n)
{
	for (unsigned i = 0; i < nsinks; i++)
		sinks[i]->write(s, n);
}

static void flush_line(void)
{
	console_write(line, line_len);
	line_len = 0;
}

static void emit(char c, void *ctx)
{
	if (at_line_start) {
		for (const char *p = LOG_PREFIX; *p; p++)
			line[line_len++] = *p;
		at_line_start = false;
	}
	line[line_len++] = c;
	if (c == '\n') {
		at_line_start = true;
		flush_line();
	} else if (line_len == sizeof(line)) {
		flush_line(); /* a very long line goes out in pieces; the prefix appears only once */
	}
}

int vprintk(const char *fmt, va_list ap)
{
	int n = fmt_vformat(emit, 0, fmt, ap);

	/* A partial line is flushed too, so output before a hang is never lost; the next printk continues it. */
	if (line_len)
		flush_line();
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
