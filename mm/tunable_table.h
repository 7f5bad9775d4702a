/*
 * The table of tunables: one entry per field of struct mm_tunables (mm/tunables.h), with the name an operator
 * types, a one-line description, the unit the value is written in, where the field lies and its bounds.  The
 * configuration file's [machine] keys (lib/vmconfig.c) and the monitor's "~ tune" / "~ set tune" (lib/monitor_cmd.c,
 * kernel/monitor.c) are both this table, so a knob means the same thing and is refused for the same reason in both.
 * tests/unit/test_tunable_table.c proves every byte of struct mm_tunables belongs to exactly one entry: a field
 * added to the struct without an entry fails it.
 *
 * Names are the field names less the suffix that names a fixed-point representation the parser converts (_ms, _pm,
 * _q16); suffixes that say what a count counts (_pages, _pps) stay.  share_scope is "sharing".
 *
 * Units, as written (no spaces inside a value):
 *   TU_COUNT  decimal digits ("64")
 *   TU_MS     digits with ms, s, m or h ("500ms", "30s", "2m", "1h"); bare digits are milliseconds
 *   TU_PM     a fraction with up to three decimals ("0.75") or a percentage with up to one ("75%", "62.5%")
 *   TU_Q16    a fraction with up to five decimals ("0.125") or a percentage with up to three ("12.5%"), rounded
 *             to the nearest 1/65536
 *   TU_ENUM   one of the entry's names ("global")
 *   TU_U64    decimal digits, or 0x and hex digits ("0x62616c6c617374")
 * Values are formatted back the same way: the largest of h, m, s that divides a duration ("30s", "1500ms"), a
 * fraction without trailing zeros ("0.75", "1"), the name of an enum value, a seed in hex.
 */
#ifndef MM_TUNABLE_TABLE_H
#define MM_TUNABLE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/tunables.h"

enum tunable_unit { TU_COUNT, TU_MS, TU_PM, TU_Q16, TU_ENUM, TU_U64 };

struct tunable {
	const char *name;	  /* what the operator types: "free_high" */
	const char *desc;	  /* one line, for "~ tune" */
	enum tunable_unit unit;
	const char *count_unit;	  /* TU_COUNT: what is counted ("pages", "pages/s"), for the range in errors */
	uint16_t offset, width;	  /* of the field in struct mm_tunables (width 4 or 8) */
	uint64_t min, max;	  /* in the field's own representation (per-mille, Q16, ms ...) */
	const char *const *names; /* TU_ENUM: names[v] for v in min..max */
	bool boot_sized;	  /* sized when the memory manager starts: mm_set_tunables() refuses a change */
};

extern const struct tunable tunable_table[];
extern const unsigned tunable_count;

#define TUNABLE_MAX 64		/* entries at most: a uint64_t has one bit per entry (struct vmconfig_machine) */
#define TUNABLE_VALUE_MAX 32	/* longest formatted value, with its NUL */
#define TUNABLE_WHY_MAX 128	/* a reason that fits every message in this file */

/* Index of the entry named name (n characters, not necessarily NUL-terminated), or -1. */
int tunable_find(const char *name, size_t n);

/* The field of *t that e describes, widened to 64 bits; and back (v must be within e->min..e->max). */
uint64_t tunable_get(const struct tunable *e, const struct mm_tunables *t);
void tunable_put(const struct tunable *e, struct mm_tunables *t, uint64_t v);

/* Parse n characters of s in e's unit into *v.  0; -EINVAL (not of the unit's form: why says which forms are
 * accepted) or -ERANGE (outside e's bounds: why gives the range in the unit).  why quotes the value, without naming
 * the tunable: "'2' is out of range (0 to 0.99, or 0% to 99%)". */
int tunable_parse(const struct tunable *e, const char *s, size_t n, uint64_t *v, char *why, size_t whylen);

/* v in e's unit ("30s", "0.75", "global").  Returns what fmt_snprintf() returns. */
int tunable_format(const struct tunable *e, uint64_t v, char *buf, size_t n);

/* e's bounds in its unit: "100ms to 24h", "0 to 0.99, or 0% to 99%", "global, vm, salted". */
int tunable_format_range(const struct tunable *e, char *buf, size_t n);

/* A fixed-point value v / one as a decimal fraction with at most ndec decimals, rounded, trailing zeros dropped
 * ("0.125", "1", "0.06").  For per-mille (one 1000, ndec 3) and Q16 (one 65536, ndec 5) values in messages. */
int tunable_format_fraction(uint64_t v, uint64_t one, unsigned ndec, char *buf, size_t n);

/* Parse value into the field of *t named name, without checking the whole struct (a configuration section checks
 * its combination at its end).  On success *given gets the bit of every entry written: usually the one named, but
 * "sharing = off" (the configuration file's word for no sharing scan, which is not a scope) writes 0 into
 * scan_vm_pps and scan_total_pps instead.  -ENOENT: no such tunable ("unknown tunable 'x' (see ~ tune)");
 * -EINVAL, -ERANGE: as tunable_parse().  *t and *given are unchanged on error. */
int tunable_parse_into(struct mm_tunables *t, const char *name, size_t nn, const char *value, size_t vn,
		       uint64_t *given, char *why, size_t whylen);

/* tunable_parse_into() on a copy of *t, then the whole struct must pass mm_tunables_why(): -EINVAL with its reason
 * if not.  *t is changed only on success. */
int tunable_set(struct mm_tunables *t, const char *name, size_t nn, const char *value, size_t vn, uint64_t *given,
		char *why, size_t whylen);

/* mm_tunables_check() with a reason (mm/tunables.c): 0, or -EINVAL and one line naming the tunables at fault in the
 * table's names and units ("free_soft (0.07) must be below free_high (0.06)").  why may be NULL when whylen is 0. */
int mm_tunables_why(const struct mm_tunables *t, char *why, size_t whylen);

#endif
