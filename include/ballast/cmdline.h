/* Reading "key=value" words from a command line (ballast's own, a module's, a VM's). */
#ifndef BALLAST_CMDLINE_H
#define BALLAST_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Copies the value of key into buf (NUL-terminated, truncated to n) and returns true if the word "key=..." or a
 * bare "key" (value "") is present.  Words are separated by spaces; the first match wins. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t n);
/* The first word (a module's name, by ballast's convention); copied into buf. */
void cmdline_first_word(const char *cmdline, char *buf, size_t n);

#endif
