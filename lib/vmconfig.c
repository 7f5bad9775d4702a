/*
 * The VM configuration file parser (include/ballast/vmconfig.h; the format is documented in
 * guests/configs/README.md).
 *
 * The file is read line by line.  A line ends at '\n' (a '\r' before it is dropped); '#' at the start of a line or
 * after a space or tab begins a comment.  What is left is blank, a section header ("[vm NAME]", "[machine]") or
 * "key = value".  The parser keeps one piece of state, the current section: a VM being filled (SEC_VM), the machine
 * knobs (SEC_MACHINE), nothing yet (SEC_NONE) or a section being skipped because its header was refused (SEC_SKIP).
 * Checks that need the whole section (required keys, min <= max) run when the section ends: at the next header or
 * at the end of the file.
 */
#include <stdarg.h>
#include <ballast/compiler.h>
#include <ballast/digits.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/page.h>
#include <ballast/string.h>
#include <ballast/swap_area.h>
#include <ballast/vmconfig.h>
#include "lib/span.h"
#include "mm/policy.h"
#include "mm/tunable_table.h"

_Static_assert(VMCONFIG_MAX_SHARES == POLICY_MAX_SHARES, "shares limit must match the policy's");


static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(struct span s)
{
	while (s.n && is_blank(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

static bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && !memcmp(s.p, lit, n);
}

/* The next blank-separated word of *rest (empty at the end); *rest moves past it. */
static struct span next_word(struct span *rest)
{
	struct span w;

	*rest = trim(*rest);
	w.p = rest->p;
	for (w.n = 0; w.n < rest->n && !is_blank(rest->p[w.n]); w.n++)
		;
	rest->p += w.n;
	rest->n -= w.n;
	return w;
}

/* Copy s into buf of size n; s.n < n is the caller's check. */
static void span_copy(struct span s, char *buf)
{
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
}

/* ---- value parsers ------------------------------------------------------------------------------------------ */

int vmconfig_parse_uint(const char *s, size_t n, uint64_t lo, uint64_t hi, uint64_t *v, char *why, size_t whylen)
{
	struct span q = { s, n };
	bool overflow;

	if (!n || parse_digits(s, n, v, &overflow) != n) {
		fmt_snprintf(why, whylen, "'%s' is not a number", Q(q));
		return -EINVAL;
	}
	if (overflow || *v < lo || *v > hi) {
		fmt_snprintf(why, whylen, "'%s' is out of range (%llu..%llu)", Q(q), (unsigned long long)lo,
			     (unsigned long long)hi);
		return -ERANGE;
	}
	return 0;
}

int vmconfig_parse_size(const char *s, size_t n, uint64_t *bytes, char *why, size_t whylen)
{
	struct span q = { s, n };
	uint64_t v;
	unsigned shift = 0;
	bool overflow;
	size_t i = parse_digits(s, n, &v, &overflow);

	if (i && i + 1 == n) {
		switch (s[i]) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		default: i = 0; break; /* not a size */
		}
	} else if (i != n) {
		i = 0;
	}
	if (!i) {
		fmt_snprintf(why, whylen, "'%s' is not a size (a number with an optional K, M or G)", Q(q));
		return -EINVAL;
	}
	if (overflow || v > (VMCONFIG_SIZE_MAX >> shift)) {
		fmt_snprintf(why, whylen, "'%s' is too large (at most %lluG)", Q(q),
			     (unsigned long long)(VMCONFIG_SIZE_MAX >> 30));
		return -ERANGE;
	}
	v <<= shift;
	if (v % PAGE_SIZE) {
		fmt_snprintf(why, whylen, "'%s' is not a whole number of 4 KiB pages%s", Q(q),
			     shift ? "" : " (a bare number is bytes)");
		return -EINVAL;
	}
	*bytes = v;
	return 0;
}

int vmconfig_parse_seconds(const char *s, size_t n, unsigned *seconds, char *why, size_t whylen)
{
	struct span q = { s, n };
	uint64_t v, unit = 1;
	bool overflow;
	size_t i;

	if (span_eq(q, "off")) {
		*seconds = 0;
		return 0;
	}
	i = parse_digits(s, n, &v, &overflow);
	if (i && i + 1 == n) {
		switch (s[i]) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		default: i = 0; break;
		}
	} else if (i != n) {
		i = 0;
	}
	if (!i) {
		fmt_snprintf(why, whylen, "'%s' is not a duration (seconds, with an optional s, m or h, or off)", Q(q));
		return -EINVAL;
	}
	if (overflow || v > VMCONFIG_MAX_SECONDS / unit) {
		fmt_snprintf(why, whylen, "'%s' is too long (at most %us)", Q(q), VMCONFIG_MAX_SECONDS);
		return -ERANGE;
	}
	*seconds = (unsigned)(v * unit);
	return 0;
}

bool vmconfig_name_valid(const char *s, size_t n)
{
	if (!n || n > VMCONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int vmconfig_format_size(uint64_t bytes, char *buf, size_t n)
{
	static const struct { unsigned shift; char suffix; } units[] = { { 30, 'G' }, { 20, 'M' }, { 10, 'K' } };

	for (unsigned i = 0; i < ARRAY_SIZE(units); i++)
		if (bytes && !(bytes & ((1ULL << units[i].shift) - 1)))
			return fmt_snprintf(buf, n, "%llu%c", (unsigned long long)(bytes >> units[i].shift),
					    units[i].suffix);
	return fmt_snprintf(buf, n, "%llu", (unsigned long long)bytes);
}

/* ---- the file ----------------------------------------------------------------------------------------------- */

enum section { SEC_NONE, SEC_MACHINE, SEC_VM, SEC_SKIP };

/* Keys of a [vm] section; the strings also form the "unknown key" hint. */
enum vm_key { VK_KERNEL, VK_INITRD, VK_CMDLINE, VK_MAX, VK_MIN, VK_SHARES, VK_SALT, NR_VM_KEYS };
static const char *const vm_keys[NR_VM_KEYS] = {
	[VK_KERNEL] = "kernel", [VK_INITRD] = "initrd", [VK_CMDLINE] = "cmdline", [VK_MAX] = "max",
	[VK_MIN] = "min",	[VK_SHARES] = "shares", [VK_SALT] = "salt",
};
#define VM_KEY_LIST "kernel, initrd, cmdline, max, min, shares, salt"

/* Keys of [machine]: memstat_interval (not a memory-manager knob), then every entry of the table of tunables
 * (mm/tunable_table.h) under its name. */
#define MACHINE_MEMSTAT "memstat_interval"
#define MACHINE_SWAP "swap"

struct parser {
	struct vmconfig *cfg;
	unsigned line;			    /* the line being read, 1-based */
	enum section sec;
	int vm;				    /* SEC_VM: index of the section's VM */
	unsigned vm_key_line[NR_VM_KEYS];   /* SEC_VM: line where each key was given, 0 if not yet */
	unsigned vm_key_ok;		    /* SEC_VM: bit per key whose value parsed */
	unsigned machine_line;		    /* line of the [machine] header, 0 if none yet */
	unsigned memstat_line;		    /* line of memstat_interval, 0 if not given */
	unsigned swap_line;		    /* line of swap, 0 if not given */
	unsigned tunable_line[TUNABLE_MAX]; /* line of each tunable's key, 0 if not given */
};

static void add_error_v(struct vmconfig *cfg, unsigned line, int vm, const char *fmt, va_list ap)
{
	if (vm >= 0)
		cfg->vm[vm].valid = false;
	if (cfg->nerrors++ >= VMCONFIG_MAX_ERRORS)
		return;
	struct vmconfig_error *e = &cfg->err[cfg->nerrors - 1];
	int n = fmt_snprintf(e->msg, sizeof(e->msg), "line %u: ", line);
	e->line = line;
	e->vm = vm;
	fmt_vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
}

static void __printf(4, 5) add_error(struct vmconfig *cfg, unsigned line, int vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_error_v(cfg, line, vm, fmt, ap);
	va_end(ap);
}

/* An error at line; it makes the current section's VM invalid if there is one. */
static void __printf(3, 4) error_at(struct parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_error_v(ps->cfg, line, ps->sec == SEC_VM ? ps->vm : -1, fmt, ap);
	va_end(ap);
}

/* The tunables of [machine] must work together (thresholds decreasing ...): if they do not, none of them applies. */
static void end_machine(struct parser *ps)
{
	struct vmconfig_machine *m = &ps->cfg->machine;
	char why[VMCONFIG_MSG_MAX];

	if (!m->given || !mm_tunables_why(&m->tun, why, sizeof(why)))
		return;
	error_at(ps, ps->machine_line, "[machine]: %s: defaults kept for every tunable", why);
	mm_tunables_default(&m->tun);
	m->given = 0;
}

/* The checks that need the whole section. */
static void end_section(struct parser *ps)
{
	struct vmconfig_vm *vm;

	if (ps->sec == SEC_MACHINE)
		end_machine(ps);
	if (ps->sec != SEC_VM)
		return;
	vm = &ps->cfg->vm[ps->vm];
	if (!ps->vm_key_line[VK_KERNEL])
		error_at(ps, vm->line, "vm %s: missing kernel = MODULE", vm->name);
	if (!ps->vm_key_line[VK_MAX])
		error_at(ps, vm->line, "vm %s: missing max = SIZE", vm->name);
	if ((ps->vm_key_ok & BIT(VK_MIN)) && (ps->vm_key_ok & BIT(VK_MAX)) && vm->min_bytes > vm->max_bytes) {
		char min[24], max[24];
		vmconfig_format_size(vm->min_bytes, min, sizeof(min));
		vmconfig_format_size(vm->max_bytes, max, sizeof(max));
		error_at(ps, ps->vm_key_line[VK_MIN], "min (%s) > max (%s)", min, max);
	}
}

static void header(struct parser *ps, struct span s)
{
	struct vmconfig *cfg = ps->cfg;
	struct span inner, kind, name;
	size_t close;

	end_section(ps);
	ps->sec = SEC_SKIP; /* until the header is accepted */
	for (close = 1; close < s.n && s.p[close] != ']'; close++)
		;
	if (close == s.n) {
		error_at(ps, ps->line, "section header without ']'");
		return;
	}
	if (close + 1 != s.n) {
		struct span junk = trim((struct span){ s.p + close + 1, s.n - close - 1 });
		error_at(ps, ps->line, "unexpected '%s' after ']'", Q(junk));
		return;
	}
	inner = (struct span){ s.p + 1, close - 1 };
	kind = next_word(&inner);
	name = next_word(&inner);
	inner = trim(inner);

	if (span_eq(kind, "machine")) {
		if (name.n) {
			error_at(ps, ps->line, "[machine] takes no name");
			return;
		}
		if (ps->machine_line) {
			error_at(ps, ps->line, "duplicate [machine] section (first at line %u)", ps->machine_line);
			return;
		}
		ps->machine_line = ps->line;
		ps->sec = SEC_MACHINE;
		return;
	}
	if (!span_eq(kind, "vm")) {
		struct span all = { s.p, close + 1 };
		error_at(ps, ps->line, "unknown section '%s' (expected [vm NAME] or [machine])", Q(all));
		return;
	}
	if (!name.n) {
		error_at(ps, ps->line, "[vm] needs a name: [vm NAME]");
		return;
	}
	if (inner.n) {
		error_at(ps, ps->line, "unexpected '%s' after the VM name", Q(inner));
		return;
	}
	if (!vmconfig_name_valid(name.p, name.n)) {
		error_at(ps, ps->line, "bad VM name '%s' (1 to %u of A-Z a-z 0-9 _ -)", Q(name), VMCONFIG_NAME_MAX);
		return;
	}
	for (unsigned i = 0; i < cfg->nvms; i++) {
		if (span_eq(name, cfg->vm[i].name)) {
			error_at(ps, ps->line, "duplicate VM name '%s' (first at line %u)", Q(name), cfg->vm[i].line);
			return;
		}
	}
	if (cfg->nvms == VMCONFIG_MAX_VMS) {
		error_at(ps, ps->line, "too many VMs (at most %u): '%s' skipped", VMCONFIG_MAX_VMS, Q(name));
		return;
	}

	struct vmconfig_vm *vm = &cfg->vm[cfg->nvms];
	memset(vm, 0, sizeof(*vm));
	span_copy(name, vm->name);
	vm->shares = VMCONFIG_DEFAULT_SHARES;
	vm->valid = true;
	vm->line = ps->line;
	ps->vm = (int)cfg->nvms++;
	ps->sec = SEC_VM;
	memset(ps->vm_key_line, 0, sizeof(ps->vm_key_line));
	ps->vm_key_ok = 0;
}

/* Index of key in names[0..n), or -1. */
static int find_key(const char *const *names, unsigned n, struct span key)
{
	for (unsigned i = 0; i < n; i++)
		if (names[i] && span_eq(key, names[i]))
			return (int)i;
	return -1;
}

/* A module name: one word of at most VMCONFIG_MODULE_MAX characters. */
static bool module_value(struct parser *ps, const char *key, struct span v, char *out)
{
	struct span rest = v, w = next_word(&rest);

	if (rest.n) {
		error_at(ps, ps->line, "%s: module name '%s' must be one word", key, Q(v));
		return false;
	}
	if (w.n > VMCONFIG_MODULE_MAX) {
		error_at(ps, ps->line, "%s: module name longer than %u characters", key, VMCONFIG_MODULE_MAX);
		return false;
	}
	span_copy(w, out);
	return true;
}

/* Parse the value of a [vm] key; true if it is good. */
static bool vm_value(struct parser *ps, enum vm_key k, struct span v)
{
	struct vmconfig_vm *vm = &ps->cfg->vm[ps->vm];
	char why[VMCONFIG_MSG_MAX];
	uint64_t u;
	int err = 0;

	switch (k) {
	case VK_KERNEL:
		vm->kernel_line = ps->line;
		return module_value(ps, "kernel", v, vm->kernel);
	case VK_INITRD:
		vm->initrd_line = ps->line;
		return module_value(ps, "initrd", v, vm->initrd);
	case VK_CMDLINE:
		if (v.n > VMCONFIG_CMDLINE_MAX) {
			error_at(ps, ps->line, "cmdline: longer than %u characters", VMCONFIG_CMDLINE_MAX);
			return false;
		}
		span_copy(v, vm->cmdline);
		return true;
	case VK_MAX:
		err = vmconfig_parse_size(v.p, v.n, &vm->max_bytes, why, sizeof(why));
		if (!err && !vm->max_bytes) {
			error_at(ps, ps->line, "max: must be at least 4K");
			return false;
		}
		break;
	case VK_MIN:
		err = vmconfig_parse_size(v.p, v.n, &vm->min_bytes, why, sizeof(why));
		break;
	case VK_SHARES:
		err = vmconfig_parse_uint(v.p, v.n, 1, VMCONFIG_MAX_SHARES, &u, why, sizeof(why));
		vm->shares = err ? vm->shares : (uint32_t)u;
		break;
	case VK_SALT:
		err = vmconfig_parse_uint(v.p, v.n, 0, UINT16_MAX, &u, why, sizeof(why));
		vm->salt = err ? vm->salt : (uint16_t)u;
		break;
	case NR_VM_KEYS:
		break;
	}
	if (err)
		error_at(ps, ps->line, "%s: %s", vm_keys[k], why);
	return !err;
}

/* A [machine] key: memstat_interval or a tunable (the table's parser, so its errors are the monitor's). */
static void machine_value(struct parser *ps, struct span key, struct span v)
{
	struct vmconfig_machine *m = &ps->cfg->machine;
	char why[VMCONFIG_MSG_MAX];
	unsigned *line, u;
	int t = -1;

	if (span_eq(key, MACHINE_MEMSTAT)) {
		line = &ps->memstat_line;
	} else if (span_eq(key, MACHINE_SWAP)) {
		line = &ps->swap_line;
	} else if ((t = tunable_find(key.p, key.n)) >= 0) {
		line = &ps->tunable_line[t];
	} else {
		error_at(ps, ps->line, "unknown key '%s' in [machine] (memstat_interval, swap or a tunable: see ~ tune)",
			 Q(key));
		return;
	}
	if (*line) {
		error_at(ps, ps->line, "duplicate key '%s' (first at line %u)", Q(key), *line);
		return;
	}
	*line = ps->line;
	if (!v.n) {
		error_at(ps, ps->line, "%s: missing value", Q(key));
		return;
	}
	if (line == &ps->swap_line) {
		char text[40];
		if (span_eq(v, "auto")) {
			m->swap = VMCONFIG_SWAP_AUTO;
		} else if (span_eq(v, "off")) {
			m->swap = VMCONFIG_SWAP_OFF;
		} else if (v.n < sizeof(text) && (memcpy(text, v.p, v.n), text[v.n] = 0,
						  swap_area_uuid_parse(text, m->swap_uuid) == 0)) {
			m->swap = VMCONFIG_SWAP_UUID;
		} else {
			error_at(ps, ps->line, "swap: '%s' is not auto, off or a swap area's UUID", Q(v));
		}
		return;
	}
	if (t < 0) {
		if (vmconfig_parse_seconds(v.p, v.n, &u, why, sizeof(why))) {
			error_at(ps, ps->line, "%s: %s", MACHINE_MEMSTAT, why);
			return;
		}
		m->has_memstat_interval = true;
		m->memstat_interval_s = u;
		return;
	}
	const struct tunable *e = &tunable_table[t];
	struct mm_tunables c = m->tun, d;
	uint64_t given = m->given;
	if (tunable_parse_into(&c, key.p, key.n, v.p, v.n, &given, why, sizeof(why))) {
		error_at(ps, ps->line, "%s: %s", e->name, why);
		return;
	}
	mm_tunables_default(&d);
	if (e->boot_sized && tunable_get(e, &c) != tunable_get(e, &d)) {
		char def[TUNABLE_VALUE_MAX];
		tunable_format(e, tunable_get(e, &d), def, sizeof(def));
		error_at(ps, ps->line, "%s: sized when the memory manager starts, before this file is read "
			 "(it stays %s)", e->name, def);
		return;
	}
	m->tun = c;
	m->given = given;
}

static void key_value(struct parser *ps, struct span s)
{
	const char *eq = NULL;
	struct span key, value;
	int k;

	for (size_t i = 0; i < s.n && !eq; i++)
		if (s.p[i] == '=')
			eq = &s.p[i];
	if (!eq) {
		error_at(ps, ps->line, "expected 'key = value' or a [section], not '%s'", Q(s));
		return;
	}
	key = trim((struct span){ s.p, (size_t)(eq - s.p) });
	value = trim((struct span){ eq + 1, s.n - (size_t)(eq - s.p) - 1 });
	if (!key.n) {
		error_at(ps, ps->line, "missing key before '='");
		return;
	}

	switch (ps->sec) {
	case SEC_NONE:
		error_at(ps, ps->line, "'%s' is outside a section (start one with [vm NAME] or [machine])", Q(key));
		return;
	case SEC_SKIP:
		return; /* the header's error covers the section */
	case SEC_VM:
		k = find_key(vm_keys, NR_VM_KEYS, key);
		if (k < 0) {
			error_at(ps, ps->line, "unknown key '%s' in [vm] (" VM_KEY_LIST ")", Q(key));
			return;
		}
		if (ps->vm_key_line[k]) {
			error_at(ps, ps->line, "duplicate key '%s' (first at line %u)", vm_keys[k], ps->vm_key_line[k]);
			return;
		}
		ps->vm_key_line[k] = ps->line;
		if (!value.n && k != VK_CMDLINE) {
			error_at(ps, ps->line, "%s: missing value", vm_keys[k]);
			return;
		}
		if (vm_value(ps, (enum vm_key)k, value))
			ps->vm_key_ok |= (unsigned)BIT(k);
		return;
	case SEC_MACHINE:
		machine_value(ps, key, value);
		return;
	}
}

static void parse_line(struct parser *ps, struct span s)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			error_at(ps, ps->line, "control character 0x%02x in the line", c);
			return;
		}
		if (c == '#' && (i == 0 || is_blank(s.p[i - 1]))) {
			s.n = i; /* a comment to the end of the line */
			break;
		}
	}
	s = trim(s);
	if (!s.n)
		return;
	if (s.p[0] == '[')
		header(ps, s);
	else
		key_value(ps, s);
}

int vmconfig_parse(const char *text, size_t len, struct vmconfig *out)
{
	struct parser ps = { .cfg = out, .sec = SEC_NONE };
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	mm_tunables_default(&out->machine.tun);
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) /* a UTF-8 byte-order mark some editors write */
		pos = 3;
	while (pos < len) {
		struct span s = { text + pos, 0 };
		while (pos + s.n < len && text[pos + s.n] != '\n')
			s.n++;
		pos += s.n + 1; /* past the '\n' (or the end) */
		if (s.n && s.p[s.n - 1] == '\r')
			s.n--;
		ps.line++;
		if (s.n > VMCONFIG_LINE_MAX) {
			struct span t = trim(s);
			if (t.n && t.p[0] == '[') { /* a header we cannot read: skip its section, not the one before */
				end_section(&ps);
				ps.sec = SEC_SKIP;
			}
			error_at(&ps, ps.line, "line longer than %u characters", VMCONFIG_LINE_MAX);
			continue;
		}
		parse_line(&ps, s);
	}
	end_section(&ps);
	return out->nerrors ? -EINVAL : 0;
}

int vmconfig_check_modules(struct vmconfig *cfg, bool (*exists)(const char *name, void *ctx), void *ctx)
{
	int ret = 0;

	for (unsigned i = 0; i < cfg->nvms; i++) {
		struct vmconfig_vm *vm = &cfg->vm[i];
		if (!vm->valid)
			continue;
		if (!exists(vm->kernel, ctx)) {
			add_error(cfg, vm->kernel_line, (int)i, "kernel: no module named '%s'", vm->kernel);
			ret = -ENOENT;
		}
		if (vm->initrd[0] && !exists(vm->initrd, ctx)) {
			add_error(cfg, vm->initrd_line, (int)i, "initrd: no module named '%s'", vm->initrd);
			ret = -ENOENT;
		}
	}
	return ret;
}

unsigned vmconfig_nvalid(const struct vmconfig *cfg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->nvms; i++)
		n += cfg->vm[i].valid;
	return n;
}
