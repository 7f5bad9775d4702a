/*
 * The VM configuration file (format: guests/configs/README.md): one text file, loaded as a multiboot module, that
 * declares the VMs ([vm NAME] sections: kernel and initrd module, command line, max, min, shares) and the
 * machine-wide knobs ([machine]: memstat_interval and every memory-manager tunable of mm/tunable_table.h).
 * Parsing is pure: text and length in, a filled struct vmconfig out, no allocation, nothing applied.  The
 * hypervisor then checks the module names against its boot modules (vmconfig_check_modules()), applies the
 * machine knobs it was given, and starts every VM still marked valid.
 *
 * Error rule.  A parse never stops at an error: every error is recorded with its line number and a reason, and
 *   - an error on a line of a [vm] section (or a missing key, or min > max) makes that VM invalid: it is not
 *     started, the other VMs are not affected;
 *   - a section that cannot be a VM (bad or duplicate name, more than VMCONFIG_MAX_VMS, unknown section) is
 *     skipped whole, with one error at its header; the first section of a duplicated name stays valid;
 *   - an error on a line of [machine] or outside any section drops that line only (the knob keeps the
 *     hypervisor's default);
 *   - tunables that parse but fail mm_tunables_check() together (free_soft above free_high ...) are all dropped,
 *     with one error at the [machine] header giving the reason: the memory manager keeps its defaults.
 * So the hypervisor keeps running after a bad file and can say which VMs it did start.
 */
#ifndef BALLAST_VMCONFIG_H
#define BALLAST_VMCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/tunables.h"

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
#define VMCONFIG_MAX_SECONDS 86400u    /* longest memstat interval */

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

/* Machine-wide knobs.  The tunables: tun holds mm_tunables_default() with every given key's value, and bit i of
 * given says tunable_table[i] was set ("sharing = off" sets scan_vm_pps and scan_total_pps to 0); the hypervisor
 * copies only those fields into its own tunables.  given is 0 when the combination was refused. */
/* [machine] swap: which signed swap area the hypervisor uses (SPEC §2.7). */
enum vmconfig_swap {
	VMCONFIG_SWAP_AUTO = 0, /* the first disk found with a ballast swap signature (default) */
	VMCONFIG_SWAP_OFF,	/* none: the hypervisor swaps nothing, whatever the disks carry */
	VMCONFIG_SWAP_UUID,	/* the area with this UUID, or none */
};

struct vmconfig_machine {
	bool has_memstat_interval;
	unsigned memstat_interval_s; /* seconds between memstat lines; 0 turns them off */
	enum vmconfig_swap swap;
	uint8_t swap_uuid[16]; /* VMCONFIG_SWAP_UUID */
	struct mm_tunables tun;
	uint64_t given;
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
