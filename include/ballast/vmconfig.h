/*
 * The VM configuration file (format: guests/configs/README.md): one text file, loaded as a multiboot module, that
 * declares the VMs ([vm NAME] sections: kernel and initrd module, command line, max, min, shares) and a few
 * machine-wide knobs ([machine]).  Parsing is pure: text and length in, a filled struct vmconfig out, no allocation,
 * nothing applied.  The hypervisor then checks the module names against its boot modules
 * (vmconfig_check_modules()), applies the machine knobs it was given, and starts every VM still marked valid.
 *
 * Error rule.  A parse never stops at an error: every error is recorded with its line number and a reason, and
 *   - an error on a line of a [vm] section (or a missing key, or min > max) makes that VM invalid: it is not
 *     started, the other VMs are not affected;
 *   - a section that cannot be a VM (bad or duplicate name, more than VMCONFIG_MAX_VMS, unknown section) is
 *     skipped whole, with one error at its header; the first section of a duplicated name stays valid;
 *   - an error on a line of [machine] or outside any section drops that line only (the knob keeps the
 *     hypervisor's default).
 * So the hypervisor keeps running after a bad file and can say which VMs it did start.
 */
#ifndef BALLAST_VMCONFIG_H
#define BALLAST_VMCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMCONFIG_MAX_VMS 16	   /* the scheduler's SCHED_MAX_VMS */
#define VMCONFIG_NAME_MAX 15	   /* VM names: 1..15 of [A-Za-z0-9_-] (kernel/vm.h's VM_NAME_MAX) */
#define VMCONFIG_MODULE_MAX 63	   /* module names: the first word of a multiboot module's string */
#define VMCONFIG_CMDLINE_MAX 1023  /* a guest's command line, in characters */
#define VMCONFIG_LINE_MAX 1279	   /* longest line of the file, without its end of line */
#define VMCONFIG_MAX_ERRORS 16	   /* errors kept in struct vmconfig; later ones are only counted */
#define VMCONFIG_MSG_MAX 128	   /* one error message, "line N: reason", with its NUL */
#define VMCONFIG_SIZE_MAX (1ULL << 40) /* largest size accepted anywhere (1024G): keeps page arithmetic small */
#define VMCONFIG_MAX_SHARES 1000000u   /* mm/policy.h's POLICY_MAX_SHARES */
#define VMCONFIG_DEFAULT_SHARES 1000u
#define VMCONFIG_MAX_TAX_PM 990u       /* idle-memory tax, per-mille: mm_tunables_check()'s limit */
#define VMCONFIG_MAX_SECONDS 86400u    /* longest memstat interval */

/* Page sharing scope ([machine] sharing = ...); DEFAULT: the key was not given. */
enum vmconfig_sharing {
	VMCONFIG_SHARING_DEFAULT = 0,
	VMCONFIG_SHARING_OFF,	 /* "off": no sharing scan at all */
	VMCONFIG_SHARING_VM,	 /* "vm": within each VM only (SHARE_PER_VM) */
	VMCONFIG_SHARING_GLOBAL, /* "global": any VM with any VM (SHARE_GLOBAL) */
	VMCONFIG_SHARING_SALTED, /* "salted": between VMs with the same salt (SHARE_SALTED) */
};

struct vmconfig_vm {
	char name[VMCONFIG_NAME_MAX + 1];
	char kernel[VMCONFIG_MODULE_MAX + 1]; /* module name of the guest kernel (bzImage or vmlinux) */
	char initrd[VMCONFIG_MODULE_MAX + 1]; /* module name of its initramfs; "" for none */
	char cmdline[VMCONFIG_CMDLINE_MAX + 1]; /* the guest's command line; "" by default */
	uint64_t max_bytes;		      /* the RAM the guest sees; whole pages, >= 1 page */
	uint64_t min_bytes;		      /* guaranteed machine memory; whole pages, <= max; default 0 */
	uint32_t shares;		      /* 1..VMCONFIG_MAX_SHARES; default VMCONFIG_DEFAULT_SHARES */
	uint16_t salt;			      /* sharing domain under "sharing = salted"; default 0 */
	bool valid;			      /* false: an error names this VM; do not start it */
	unsigned line;			      /* line of its [vm NAME] header */
	unsigned kernel_line, initrd_line;    /* lines of those keys (for vmconfig_check_modules()'s errors) */
};

/* Machine-wide knobs; each applies only where has_* is set (sharing: where not DEFAULT). */
struct vmconfig_machine {
	bool has_memstat_interval;
	unsigned memstat_interval_s; /* seconds between memstat lines; 0 turns them off */
	bool has_tax;
	unsigned tax_pm;	     /* idle-memory tax tau, per-mille (0.75 -> 750), 0..VMCONFIG_MAX_TAX_PM */
	enum vmconfig_sharing sharing;
};

struct vmconfig_error {
	unsigned line; /* 1-based line of the file */
	int vm;	       /* index in vm[] of the VM it made invalid, or -1 */
	char msg[VMCONFIG_MSG_MAX]; /* "line 7: min (512M) > max (256M)" */
};

struct vmconfig {
	struct vmconfig_vm vm[VMCONFIG_MAX_VMS]; /* in file order, invalid ones included */
	unsigned nvms;
	struct vmconfig_machine machine;
	struct vmconfig_error err[VMCONFIG_MAX_ERRORS]; /* the first MIN(nerrors, VMCONFIG_MAX_ERRORS) */
	unsigned nerrors;				 /* all errors found */
};

/* Parse len bytes of text (need not be NUL-terminated) into *out (fully overwritten).  0 if the file has no error,
 * -EINVAL if it has any: out->err says which, out->vm[i].valid which VMs may still start. */
int vmconfig_parse(const char *text, size_t len, struct vmconfig *out);

/* Check every valid VM's kernel and initrd against the boot modules: exists(name, ctx) says whether a module of that
 * name was loaded.  A VM naming a missing module becomes invalid with an error at the key's line.  0, or -ENOENT if
 * any VM was invalidated. */
int vmconfig_check_modules(struct vmconfig *cfg, bool (*exists)(const char *name, void *ctx), void *ctx);

/* Number of VMs with valid set. */
unsigned vmconfig_nvalid(const struct vmconfig *cfg);

/* ---- value parsers shared with the monitor (lib/monitor_cmd.c) -------------------------------------------------
 * Each takes a string of n characters (not necessarily NUL-terminated), returns 0 and the value, or a negative
 * error and a one-line reason in why (which quotes the value, without naming the key). */

/* A size: decimal digits with an optional K, M or G suffix (binary units, either case); without a suffix, bytes.
 * It must be a whole number of 4 KiB pages and at most VMCONFIG_SIZE_MAX.  -EINVAL (not a size, not whole pages),
 * -ERANGE (too large). */
int vmconfig_parse_size(const char *s, size_t n, uint64_t *bytes, char *why, size_t whylen);
/* A decimal number in lo..hi.  -EINVAL (not a number), -ERANGE (outside lo..hi). */
int vmconfig_parse_uint(const char *s, size_t n, uint64_t lo, uint64_t hi, uint64_t *v, char *why, size_t whylen);
/* A duration in whole seconds: digits with an optional s, m or h suffix, or "off" (0); at most
 * VMCONFIG_MAX_SECONDS.  -EINVAL, -ERANGE. */
int vmconfig_parse_seconds(const char *s, size_t n, unsigned *seconds, char *why, size_t whylen);
/* A VM name: 1..VMCONFIG_NAME_MAX characters of [A-Za-z0-9_-]. */
bool vmconfig_name_valid(const char *s, size_t n);
/* A size the way the file would write it: the largest of G, M, K that divides it exactly ("256M", "1536K"), else
 * bytes.  Returns what fmt_snprintf() returns. */
int vmconfig_format_size(uint64_t bytes, char *buf, size_t n);

#endif
