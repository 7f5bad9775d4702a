/* The scenario parser (format: sim/README.md).  Line oriented, '#' starts a comment. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/scenario.h"

static const char *g_file;
static int g_line;

static int err(const char *msg, const char *what)
{
	fprintf(stderr, "%s:%d: %s%s%s\n", g_file, g_line, msg, what ? ": " : "", what ? what : "");
	return -1;
}

/* "96M", "1G", "512K" -> pages; a bare number is MB. */
static int parse_size(const char *s, uint64_t *pages)
{
	char *end;
	double v = strtod(s, &end);
	double mul = 1 << 20;

	if (end == s || v < 0)
		return -1;
	if (*end == 'K' || *end == 'k')
		mul = 1 << 10, end++;
	else if (*end == 'M' || *end == 'm')
		end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1 << 30, end++;
	if (*end)
		return -1;
	*pages = (uint64_t)(v * mul / 4096 + 0.5);
	return 0;
}

/* "30s", "500ms", "5m", "1h"; a bare number is seconds. */
static int parse_time(const char *s, uint64_t *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		*ms = (uint64_t)v;
	else if (!*end || !strcmp(end, "s"))
		*ms = (uint64_t)(v * 1000);
	else if (!strcmp(end, "m"))
		*ms = (uint64_t)(v * 60000);
	else if (!strcmp(end, "h"))
		*ms = (uint64_t)(v * 3600000);
	else
		return -1;
	return 0;
}

/* "75%" or "0.75" -> per-mille */
static int parse_frac(const char *s, uint32_t *pm)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s)
		return -1;
	if (!strcmp(end, "%"))
		v /= 100;
	else if (*end)
		return -1;
	if (v < 0 || v > 1)
		return -1;
	*pm = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

static int find_vm(const struct scenario *sc, const char *name)
{
	if (!strcmp(name, "all"))
		return -1;
	for (unsigned i = 0; i < sc->nvms; i++)
		if (!strcmp(sc->vm[i].name, name))
			return (int)i;
	return -2;
}

int scenario_set_tunable(struct scenario *sc, const char *k, const char *v)
{
	struct mm_tunables *t = &sc->tun;
	uint64_t ms, pages;
	uint32_t pm;
	char *end;
	unsigned long n = strtoul(v, &end, 0);
	bool num = end != v && !*end;

	if (!strcmp(k, "tax"))
		return parse_frac(v, &pm) ? -1 : (t->tax_pm = pm, 0);
	if (!strcmp(k, "sample_period"))
		return parse_time(v, &ms) ? -1 : (t->sample_period_ms = (uint32_t)ms, 0);
	if (!strcmp(k, "target_period"))
		return parse_time(v, &ms) ? -1 : (t->target_period_ms = (uint32_t)ms, 0);
	if (!strcmp(k, "balloon_grace"))
		return parse_time(v, &ms) ? -1 : (t->balloon_grace_ms = (uint32_t)ms, 0);
	if (!strcmp(k, "scope")) {
		if (!strcmp(v, "global"))
			t->share_scope = SHARE_GLOBAL;
		else if (!strcmp(v, "vm"))
			t->share_scope = SHARE_PER_VM;
		else if (!strcmp(v, "salted"))
			t->share_scope = SHARE_SALTED;
		else
			return -1;
		return 0;
	}
	if (!strcmp(k, "free_high") || !strcmp(k, "free_soft") || !strcmp(k, "free_hard") || !strcmp(k, "free_low") ||
	    !strcmp(k, "free_goal")) {
		if (parse_frac(v, &pm))
			return -1;
		uint32_t *f = k[5] == 'h' && k[6] == 'i' ? &t->free_high_pm
			      : k[5] == 's'		 ? &t->free_soft_pm
			      : k[5] == 'h'		 ? &t->free_hard_pm
			      : k[5] == 'l'		 ? &t->free_low_pm
						 : &t->free_goal_pm;
		*f = pm;
		return 0;
	}
	if (!strcmp(k, "balloon_max"))
		return parse_frac(v, &pm) ? -1 : (t->balloon_max_pm = pm, 0);
	if (!strcmp(k, "balloon_rate"))
		return parse_size(v, &pages) ? -1 : (sc->balloon_pps = (uint32_t)pages, 0); /* per second */
	if (!num)
		return -1;
	if (!strcmp(k, "sample_pages"))
		t->sample_pages = (uint32_t)n;
	else if (!strcmp(k, "scan_vm"))
		t->scan_vm_pps = (uint32_t)n;
	else if (!strcmp(k, "scan_total"))
		t->scan_total_pps = (uint32_t)n;
	else if (!strcmp(k, "swap_rate"))
		t->swap_out_pps = (uint32_t)n;
	else if (!strcmp(k, "touch_limit"))
		t->balloon_touch_limit = (uint32_t)n;
	else if (!strcmp(k, "seed"))
		t->seed = n, sc->seed = n;
	else if (!strcmp(k, "write_pm"))
		sc->write_pm = (uint32_t)n;
	else
		return -1;
	return 0;
}

static int parse_operand(const struct scenario *sc, const char *s, struct sim_operand *o)
{
	char buf[64], *dot, *at;
	uint64_t pages, ms;

	memset(o, 0, sizeof(*o));
	o->at_ms = -1;
	o->factor = 1;
	if (strchr(s, '*')) { /* 1.3*vm.metric@time */
		o->factor = strtod(s, NULL);
		s = strchr(s, '*') + 1;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	if (isdigit((unsigned char)buf[0]) || buf[0] == '-' || buf[0] == '.') {
		char *end;
		o->is_const = true;
		o->value = strtod(buf, &end);
		if (!strcmp(end, "%") || !*end || !strcmp(end, "M"))
			return 0;
		if (parse_size(buf, &pages) == 0) {
			o->value = pages / 256.0;
			return 0;
		}
		return -1;
	}
	if ((at = strchr(buf, '@'))) {
		*at++ = 0;
		if (parse_time(at, &ms))
			return -1;
		o->at_ms = (int64_t)ms;
	}
	dot = strchr(buf, '.');
	if (!dot)
		return -1;
	*dot++ = 0;
	if (!strcmp(buf, "machine"))
		o->vm = -1;
	else if ((o->vm = find_vm(sc, buf)) < 0)
		return -1;
	snprintf(o->metric, sizeof(o->metric), "%s", dot);
	return 0;
}

static int parse_line(struct scenario *sc, char **tok, int n)
{
	uint64_t v;

	if (!strcmp(tok[0], "machine")) {
		for (int i = 1; i < n; i++) {
			char *eq = strchr(tok[i], '=');
			if (!eq)
				return err("expected key=value", tok[i]);
			*eq++ = 0;
			int bad = 0;
			if (!strcmp(tok[i], "mem"))
				bad = parse_size(eq, &sc->mem_pages);
			else if (!strcmp(tok[i], "swap"))
				bad = parse_size(eq, &sc->swap_pages);
			else if (!strcmp(tok[i], "tick"))
				bad = parse_time(eq, &sc->tick_ms);
			else if (!strcmp(tok[i], "duration"))
				bad = parse_time(eq, &sc->duration_ms);
			else if (!strcmp(tok[i], "stat"))
				bad = parse_time(eq, &sc->stat_ms);
			else
				return err("unknown machine setting", tok[i]);
			if (bad)
				return err("bad value", eq);
		}
		return 0;
	}
	if (!strcmp(tok[0], "tunable")) {
		for (int i = 1; i < n; i++) {
			char *eq = strchr(tok[i], '=');
			if (!eq)
				return err("expected key=value", tok[i]);
			*eq++ = 0;
			if (scenario_set_tunable(sc, tok[i], eq))
				return err("unknown tunable or bad value", tok[i]);
		}
		return 0;
	}
	if (!strcmp(tok[0], "vm")) {
		if (n < 2 || sc->nvms == SIM_MAX_VMS || strlen(tok[1]) >= 16 || find_vm(sc, tok[1]) != -2)
			return err("bad or duplicate vm name", n > 1 ? tok[1] : NULL);
		struct sim_vm_spec *vm = &sc->vm[sc->nvms];
		*vm = (struct sim_vm_spec){ .shares = 1000, .kernel = 2048, .image = 1, .active_pm = 50, .report = true };
		snprintf(vm->name, sizeof(vm->name), "%s", tok[1]);
		for (int i = 2; i < n; i++) {
			char *eq = strchr(tok[i], '=');
			if (!eq)
				return err("expected key=value", tok[i]);
			*eq++ = 0;
			int bad = 0;
			if (!strcmp(tok[i], "max"))
				bad = parse_size(eq, &vm->max);
			else if (!strcmp(tok[i], "min"))
				bad = parse_size(eq, &vm->min);
			else if (!strcmp(tok[i], "kernel"))
				bad = parse_size(eq, &vm->kernel);
			else if (!strcmp(tok[i], "workload"))
				bad = parse_size(eq, &vm->wl_start);
			else if (!strcmp(tok[i], "shares"))
				vm->shares = (uint32_t)strtoul(eq, NULL, 0);
			else if (!strcmp(tok[i], "salt"))
				vm->salt = (uint16_t)strtoul(eq, NULL, 0);
			else if (!strcmp(tok[i], "image"))
				vm->image = (uint32_t)strtoul(eq, NULL, 0);
			else if (!strcmp(tok[i], "zero"))
				bad = parse_frac(eq, &vm->zero_pm);
			else if (!strcmp(tok[i], "dup"))
				bad = parse_frac(eq, &vm->dup_pm);
			else if (!strcmp(tok[i], "active"))
				bad = parse_frac(eq, &vm->active_pm);
			else if (!strcmp(tok[i], "report"))
				vm->report = !strcmp(eq, "on") ? true : !strcmp(eq, "off") ? false : (bad = 1, false);
			else if (!strcmp(tok[i], "balloon"))
				vm->balloon = !strcmp(eq, "on") ? BAL_ON : !strcmp(eq, "off") ? BAL_OFF
								    : !strcmp(eq, "stuck")	  ? BAL_STUCK
											  : (bad = 1, BAL_ON);
			else
				return err("unknown vm setting", tok[i]);
			if (bad)
				return err("bad value", eq);
		}
		if (!vm->max)
			return err("vm needs max=", vm->name);
		sc->nvms++;
		return 0;
	}
	if (!strcmp(tok[0], "at")) {
		/* at TIME VM alloc|free SIZE [over TIME] | active FRAC | shares N | min SIZE | max SIZE | target SIZE|auto */
		if (n < 5 || sc->nevents == SIM_MAX_EVENTS)
			return err("expected: at TIME VM COMMAND VALUE", NULL);
		struct sim_event *e = &sc->ev[sc->nevents];
		memset(e, 0, sizeof(*e));
		if (parse_time(tok[1], &e->at_ms))
			return err("bad time", tok[1]);
		if (!strcmp(tok[2], "machine")) { /* at TIME machine KEY VALUE: change a tunable live */
			struct scenario probe = *sc;
			if (scenario_set_tunable(&probe, tok[3], tok[4]))
				return err("unknown tunable or bad value", tok[3]);
			e->kind = EV_TUNABLE;
			snprintf(e->key, sizeof(e->key), "%s", tok[3]);
			snprintf(e->val, sizeof(e->val), "%s", tok[4]);
			sc->nevents++;
			return 0;
		}
		if ((e->vm = find_vm(sc, tok[2])) == -2)
			return err("unknown vm", tok[2]);
		if (!strcmp(tok[3], "alloc") || !strcmp(tok[3], "free")) {
			e->kind = tok[3][0] == 'a' ? EV_ALLOC : EV_FREE;
			if (parse_size(tok[4], &e->pages))
				return err("bad size", tok[4]);
			if (n >= 7 && !strcmp(tok[5], "over") && parse_time(tok[6], &e->over_ms))
				return err("bad time", tok[6]);
		} else if (!strcmp(tok[3], "active")) {
			e->kind = EV_ACTIVE;
			if (parse_frac(tok[4], &e->value))
				return err("bad fraction", tok[4]);
		} else if (!strcmp(tok[3], "shares")) {
			e->kind = EV_SHARES;
			e->value = (uint32_t)strtoul(tok[4], NULL, 0);
		} else if (!strcmp(tok[3], "min") || !strcmp(tok[3], "max") || !strcmp(tok[3], "target")) {
			/* what the monitor's "set VM min|max|target" does, at a scripted time */
			e->kind = !strcmp(tok[3], "min") ? EV_MIN : !strcmp(tok[3], "max") ? EV_MAX : EV_TARGET;
			if (e->kind == EV_TARGET && !strcmp(tok[4], "auto"))
				e->pages = 0;
			else if (parse_size(tok[4], &e->pages) || (e->pages == 0 && e->kind != EV_MIN))
				return err("bad size", tok[4]);
		} else {
			return err("unknown command", tok[3]);
		}
		sc->nevents++;
		return 0;
	}
	if (!strcmp(tok[0], "expect")) {
		/* expect at TIME LHS OP RHS [tol PCT] */
		if (n < 6 || strcmp(tok[1], "at") || sc->nexpect == SIM_MAX_EXPECT)
			return err("expected: expect at TIME LHS OP RHS [tol PCT%]", NULL);
		struct sim_expect *x = &sc->ex[sc->nexpect];
		memset(x, 0, sizeof(*x));
		x->line = g_line;
		if (parse_time(tok[2], &x->at_ms))
			return err("bad time", tok[2]);
		if (parse_operand(sc, tok[3], &x->lhs) || parse_operand(sc, tok[5], &x->rhs))
			return err("bad operand (vm.metric[@time] or number[M|%])", NULL);
		if (strlen(tok[4]) > 2 || !strchr("<>~", tok[4][0]))
			return err("bad operator", tok[4]);
		snprintf(x->op, sizeof(x->op), "%s", tok[4]);
		x->tol_pct = 10;
		if (n >= 8 && !strcmp(tok[6], "tol")) {
			uint32_t pm;
			if (parse_frac(tok[7], &pm))
				return err("bad tolerance", tok[7]);
			x->tol_pct = pm / 10.0;
		}
		int off = 0;
		for (int i = 2; i < n && off < (int)sizeof(x->text) - 2; i++)
			off += snprintf(x->text + off, sizeof(x->text) - off, "%s%s", i > 2 ? " " : "", tok[i]);
		sc->nexpect++;
		return 0;
	}
	(void)v;
	return err("unknown directive", tok[0]);
}

int scenario_load(struct scenario *sc, const char *path, char **overrides, int noverrides)
{
	FILE *f = fopen(path, "r");
	char line[512];

	memset(sc, 0, sizeof(*sc));
	mm_tunables_default(&sc->tun);
	sc->tick_ms = 1000;
	sc->stat_ms = 10000;
	sc->duration_ms = 600000;
	sc->balloon_pps = 2560;
	sc->write_pm = 300;
	sc->seed = 1;
	g_file = path;
	g_line = 0;
	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *tok[32], *p = strchr(line, '#');
		int n = 0;
		g_line++;
		if (p)
			*p = 0;
		for (p = strtok(line, " \t\r\n"); p && n < 32; p = strtok(NULL, " \t\r\n"))
			tok[n++] = p;
		if (n && parse_line(sc, tok, n)) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	g_line = 0;
	for (int i = 0; i < noverrides; i++) {
		char kv[128], *eq;
		snprintf(kv, sizeof(kv), "%s", overrides[i]);
		if (!(eq = strchr(kv, '=')) || (*eq++ = 0, scenario_set_tunable(sc, kv, eq)))
			return err("bad -D override", overrides[i]);
	}
	if (!sc->mem_pages || !sc->nvms)
		return err("scenario needs a machine mem= and at least one vm", NULL);
	return 0;
}
