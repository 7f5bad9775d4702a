/*
 * Parsing the serial-console monitor's commands (include/ballast/monitor_cmd.h).  A command is blank-separated
 * words: the command name, then a fixed number of arguments per command.  Values use the configuration file's
 * parsers (lib/vmconfig.c), so "set vm1 min 64M" means what "min = 64M" means in the file.
 */
#include <ballast/compiler.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/monitor_cmd.h>
#include <ballast/string.h>
#include <ballast/vmconfig.h>
#include "lib/span.h"
#include "mm/tunable_table.h"

#define MAX_WORDS 4  /* "set VM field value": the longest command */

static const struct {
	const char *name;
	enum monitor_cmd_kind kind; /* set: MONITOR_SET_SHARES stands for the four settings */
	unsigned nargs;
	const char *usage;
} commands[] = {
	{ "help", MONITOR_HELP, 0, "help" },
	{ "list", MONITOR_LIST, 0, "list" },
	{ "mem", MONITOR_MEM, 0, "mem" },
	{ "set", MONITOR_SET_SHARES, 3, "set VM shares|min|max|target VALUE, or set tune NAME VALUE" },
	{ "stop", MONITOR_STOP, 1, "stop VM" },
	{ "console", MONITOR_CONSOLE, 1, "console VM" },
	{ "memstat", MONITOR_MEMSTAT, 1, "memstat SECONDS|off" },
	{ "audit", MONITOR_AUDIT, 0, "audit" },
	{ "tune", MONITOR_TUNE, 0, "tune" },
};

const char monitor_cmd_help[] =
	"~ help                       this list\n"
	"~ list                       the VMs and their state\n"
	"~ mem                        machine memory overview\n"
	"~ set VM shares N            relative importance, 1..1000000\n"
	"~ set VM min SIZE            guaranteed memory (K, M, G; whole 4 KiB pages)\n"
	"~ set VM max SIZE            memory limit, up to the RAM the VM booted with\n"
	"~ set VM target SIZE|auto    pin the balloon target, or give it back to the policy\n"
	"~ stop VM                    stop a VM\n"
	"~ console VM                 send console input (lines without '~') to VM\n"
	"~ memstat SECONDS|off        interval of the memstat lines\n"
	"~ audit                      check the machine-page accounting\n"
	"~ tune                       the memory manager's tunables: value, default, meaning\n"
	"~ set tune NAME VALUE        change a tunable live (VALUE as ~ tune shows it: 30s, 0.75, 75%, global)\n";

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool word_eq(struct span w, const char *lit)
{
	size_t n = strlen(lit);
	return w.n == n && !memcmp(w.p, lit, n);
}

enum monitor_line monitor_classify(const char *line, const char **text)
{
	if (line[0] != MONITOR_PREFIX) {
		*text = line;
		return MONITOR_LINE_CONSOLE;
	}
	if (line[1] == MONITOR_PREFIX) {
		*text = line + 1; /* "~~x": the VM gets "~x" */
		return MONITOR_LINE_CONSOLE;
	}
	for (line++; *line == ' ' || *line == '\t'; line++)
		;
	*text = line;
	return MONITOR_LINE_COMMAND;
}

/* Split line into words; returns how many there are (only the first MAX_WORDS + 1 are stored). */
static unsigned split(const char *line, struct span *w)
{
	unsigned n = 0;

	for (;;) {
		while (is_blank(*line))
			line++;
		if (!*line)
			return n;
		struct span cur = { line, 0 };
		while (line[cur.n] && !is_blank(line[cur.n]))
			cur.n++;
		if (n <= MAX_WORDS)
			w[n] = cur;
		n++;
		line += cur.n;
	}
}

static int vm_name(struct span w, struct monitor_cmd *cmd, char *why, size_t whylen)
{
	if (!vmconfig_name_valid(w.p, w.n)) {
		fmt_snprintf(why, whylen, "bad VM name '%s' (1 to %u of A-Z a-z 0-9 _ -)", Q(w), VMCONFIG_NAME_MAX);
		return -EINVAL;
	}
	memcpy(cmd->vm, w.p, w.n);
	cmd->vm[w.n] = '\0';
	return 0;
}

static const struct {
	const char *name;
	enum monitor_cmd_kind kind;
} settings[] = {
	{ "shares", MONITOR_SET_SHARES },
	{ "min", MONITOR_SET_MIN },
	{ "max", MONITOR_SET_MAX },
	{ "target", MONITOR_SET_TARGET },
};

static bool is_vm_setting(struct span w)
{
	for (unsigned i = 0; i < ARRAY_SIZE(settings); i++)
		if (word_eq(w, settings[i].name))
			return true;
	return false;
}

/* "set tune NAME VALUE": w[2] and w[3], checked against the table on a scratch copy of the defaults (the form and
 * the bounds; the executor applies it to the live values). */
static int parse_set_tune(const struct span *w, struct monitor_cmd *cmd, char *why, size_t whylen)
{
	struct span name = w[2], value = w[3];
	char reason[TUNABLE_WHY_MAX];
	struct mm_tunables scratch;
	uint64_t given = 0;
	int err;

	mm_tunables_default(&scratch);
	err = tunable_parse_into(&scratch, name.p, name.n, value.p, value.n, &given, reason, sizeof(reason));
	if (!err && value.n > MONITOR_VALUE_MAX) {
		fmt_snprintf(reason, sizeof(reason), "longer than %u characters", MONITOR_VALUE_MAX);
		err = -EINVAL;
	}
	if (err) {
		fmt_snprintf(why, whylen, "set tune %s %s: %s", Q(name), Q(value), reason);
		return -EINVAL;
	}
	cmd->kind = MONITOR_SET_TUNE;
	cmd->tunable = tunable_find(name.p, name.n);
	memcpy(cmd->tune_value, value.p, value.n);
	cmd->tune_value[value.n] = '\0';
	return 0;
}

/* "set VM FIELD VALUE": w[2] and w[3]. */
static int parse_set(const struct span *w, struct monitor_cmd *cmd, char *why, size_t whylen)
{
	struct span field = w[2], value = w[3];
	char reason[VMCONFIG_MSG_MAX];
	unsigned i;
	int err;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		if (word_eq(field, settings[i].name))
			break;
	if (i == ARRAY_SIZE(settings)) {
		fmt_snprintf(why, whylen, "set: unknown setting '%s' (shares, min, max, target)", Q(field));
		return -EINVAL;
	}
	cmd->kind = settings[i].kind;
	if (cmd->kind == MONITOR_SET_SHARES) {
		err = vmconfig_parse_uint(value.p, value.n, 1, VMCONFIG_MAX_SHARES, &cmd->value, reason, sizeof(reason));
	} else if (cmd->kind == MONITOR_SET_TARGET && word_eq(value, "auto")) {
		cmd->auto_ = true;
		err = 0;
	} else {
		err = vmconfig_parse_size(value.p, value.n, &cmd->value, reason, sizeof(reason));
		if (!err && !cmd->value && cmd->kind != MONITOR_SET_MIN) {
			fmt_snprintf(reason, sizeof(reason), "must be at least 4K%s",
				     cmd->kind == MONITOR_SET_TARGET ? " (auto gives the target back to the policy)" : "");
			err = -EINVAL;
		}
	}
	if (err) {
		fmt_snprintf(why, whylen, "set %s: %s", settings[i].name, reason);
		return -EINVAL;
	}
	return 0;
}

/* monitor_cmd_parse() without the clean-up on error. */
static int parse(const char *line, struct monitor_cmd *cmd, char *why, size_t whylen)
{
	struct span w[MAX_WORDS + 1];
	unsigned n = split(line, w), c;
	char reason[VMCONFIG_MSG_MAX];

	if (!n)
		return 0; /* MONITOR_NONE */
	for (c = 0; c < ARRAY_SIZE(commands); c++)
		if (word_eq(w[0], commands[c].name))
			break;
	if (c == ARRAY_SIZE(commands)) {
		fmt_snprintf(why, whylen, "unknown command '%s' (try help)", Q(w[0]));
		return -EINVAL;
	}
	if (n - 1 < commands[c].nargs) {
		fmt_snprintf(why, whylen, "%s: missing argument (usage: %s)", commands[c].name, commands[c].usage);
		return -EINVAL;
	}
	if (n - 1 > commands[c].nargs) {
		fmt_snprintf(why, whylen, "%s: unexpected '%s' after the command (usage: %s)", commands[c].name,
			     Q(w[commands[c].nargs + 1]), commands[c].usage);
		return -EINVAL;
	}

	cmd->kind = commands[c].kind;
	switch (cmd->kind) {
	case MONITOR_SET_SHARES:
		if (word_eq(w[1], "tune") && !is_vm_setting(w[2]))
			return parse_set_tune(w, cmd, why, whylen);
		if (vm_name(w[1], cmd, why, whylen))
			return -EINVAL;
		return parse_set(w, cmd, why, whylen);
	case MONITOR_STOP:
	case MONITOR_CONSOLE:
		return vm_name(w[1], cmd, why, whylen);
	case MONITOR_MEMSTAT: {
		unsigned s;
		if (vmconfig_parse_seconds(w[1].p, w[1].n, &s, reason, sizeof(reason))) {
			fmt_snprintf(why, whylen, "memstat: %s", reason);
			return -EINVAL;
		}
		cmd->value = s;
		return 0;
	}
	default:
		return 0;
	}
}

int monitor_cmd_parse(const char *line, struct monitor_cmd *cmd, char *why, size_t whylen)
{
	int err;

	memset(cmd, 0, sizeof(*cmd));
	if (whylen)
		why[0] = '\0';
	err = parse(line, cmd, why, whylen);
	if (err)
		memset(cmd, 0, sizeof(*cmd)); /* a refused command is MONITOR_NONE, never half filled */
	return err;
}
