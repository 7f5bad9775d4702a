/*
 * The serial-console monitor's command language (lib/monitor_cmd.c): what a line means, not what it does.  The
 * hypervisor (kernel/monitor.c) reads lines, asks monitor_classify() whether each is for the monitor or for the
 * selected VM's console, parses commands with monitor_cmd_parse() and executes them.
 *
 * A line whose first character is MONITOR_PREFIX ('~') is a command ("~ set vm2 shares 2000"; blanks after the '~'
 * are optional).  Every other line is console input for the selected VM; "~~text" sends "~text" to it.
 *
 *   help                          list the commands (monitor_cmd_help)
 *   list                          the VMs and their state
 *   mem                           machine memory overview
 *   set VM shares N               1..VMCONFIG_MAX_SHARES
 *   set VM min SIZE               SIZE as in the configuration file: 64M, 1G, 4096K (whole 4 KiB pages)
 *   set VM max SIZE               at least 4K
 *   set VM target SIZE|auto       pin the VM's balloon target (at least 4K), or give it back to the policy
 *   tune                          every memory-manager tunable: value, default, meaning (mm/tunable_table.h)
 *   set tune NAME VALUE           a tunable, VALUE in its unit (30s, 0.75, 75%, global ...); "set tune shares N"
 *                                 and the other VM settings still mean the VM named "tune"
 *   stop VM
 *   console VM                    send console input to VM
 *   memstat SECONDS|off           memstat line interval (5, 5s, 2m; off or 0 stops them)
 *   audit                         check the machine-page accounting
 */
#ifndef BALLAST_MONITOR_CMD_H
#define BALLAST_MONITOR_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ballast/vmconfig.h>

#define MONITOR_PREFIX '~'

enum monitor_cmd_kind {
	MONITOR_NONE,	    /* an empty command line ("~" alone): nothing to do */
	MONITOR_HELP,
	MONITOR_LIST,
	MONITOR_MEM,
	MONITOR_SET_SHARES, /* value: shares */
	MONITOR_SET_MIN,    /* value: bytes, whole pages */
	MONITOR_SET_MAX,    /* value: bytes, whole pages, > 0 */
	MONITOR_SET_TARGET, /* value: bytes, whole pages, > 0; or auto_ (value 0): the policy decides again */
	MONITOR_STOP,
	MONITOR_CONSOLE,
	MONITOR_MEMSTAT,    /* value: seconds, 0 = off */
	MONITOR_AUDIT,
	MONITOR_TUNE,	    /* list the tunables */
	MONITOR_SET_TUNE,   /* tunable: index in tunable_table; tune_value: its value, already parsed once */
};

#define MONITOR_VALUE_MAX 32 /* longest value of "set tune NAME VALUE" */

struct monitor_cmd {
	enum monitor_cmd_kind kind;
	char vm[VMCONFIG_NAME_MAX + 1]; /* set, stop, console: a well-formed name (whether it exists is not checked) */
	uint64_t value;
	bool auto_;			/* set VM target auto */
	int tunable;			/* MONITOR_SET_TUNE */
	char tune_value[MONITOR_VALUE_MAX + 1];
};

enum monitor_line {
	MONITOR_LINE_CONSOLE, /* *text: what to send to the selected VM */
	MONITOR_LINE_COMMAND, /* *text: the command after the prefix, for monitor_cmd_parse() */
};

/* Which kind of line this is, and the text that goes on (line without its prefix or escape). */
enum monitor_line monitor_classify(const char *line, const char **text);

/* Parse one command (NUL-terminated, without the prefix; a trailing "\r" or "\n" is ignored) into *cmd.  0, or
 * -EINVAL with a one-line reason in why: unknown command, missing argument, bad number or size, bad VM name,
 * unexpected text after the command.  "set tune NAME VALUE" checks the name and the value on its own (its unit and
 * bounds); whether the tunables then still work together is for the executor (tunable_set()).  Its reasons start
 * with the command: "set tune tax 2: '2' is out of range (0 to 0.99, or 0% to 99%)". */
int monitor_cmd_parse(const char *line, struct monitor_cmd *cmd, char *why, size_t whylen);

/* The help text: one line per command, each ending in '\n'. */
extern const char monitor_cmd_help[];

#endif
