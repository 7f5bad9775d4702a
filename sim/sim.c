/*
 * ballast-sim: a simulated machine running N simulated guests on the real mm/ code (SPEC §4).
 *
 *   ballast-sim [-q] [-a] [-c FILE.csv] [-D key=value]... SCENARIO.scn
 *     -q  no memstat lines on stdout      -a  run mm_audit() at every statistics interval
 *     -c  write one CSV row per VM per statistics interval (scripts/plot turns it into PNGs)
 *     -D  override a tunable of the scenario (e.g. -D tax=0)
 * The exit status is 0 when every `expect` line of the scenario holds, 1 otherwise, 2 on a usage/setup error.
 *
 * Each tick: due workload commands, one tick of every guest (allocate, free, touch: faults go through a fake EPT
 * into mm_fault()), once a second every balloon driver polls its target, then mm_tick() with the simulated clock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ballast/errno.h>
#include "sim/guest.h"
#include "sim/scenario.h"
#include "tests/env/host_env.h"

enum { M_ALLOC, M_BALLOON, M_SHARED, M_SWAPPED, M_TARGET, M_ACTIVE, M_TPUT, M_PRED, M_WANT, M_MAX, M_MIN, NMETRIC };
static const char *const metric_name[NMETRIC] = { "alloc", "balloon", "shared", "swapped", "target", "active",
						  "tput",  "pred",    "want",   "max",	 "min" };
enum { MM_FREE, MM_SHAREDPAGES, MM_STATE, MM_SHAREDPCT, MM_RECLAIMED, NMACH };
static const char *const mach_name[NMACH] = { "free", "shared", "state", "sharedpct", "reclaimed" };

struct sample {
	uint64_t t;
	double vm[SIM_MAX_VMS][NMETRIC];
	double machine[NMACH];
};

static struct scenario sc;
static struct fake_machine fm;
static struct guest guests[SIM_MAX_VMS];
static struct sample *hist;
static unsigned nhist;

static double mb(uint64_t pages)
{
	return pages / 256.0;
}

/* What min-funding revocation predicts for every VM from the workloads' true demand and activity. */
static void predict(double *out)
{
	struct policy_vm pv[SIM_MAX_VMS];
	uint64_t demand = 0, avail = sc.mem_pages - sc.mem_pages * sc.tun.free_goal_pm / 1000;

	for (unsigned i = 0; i < sc.nvms; i++) {
		const struct guest *g = &guests[i];
		uint64_t d = g->spec->kernel + g->want;
		double f = (g->spec->kernel + g->want * (g->active_pm / 1000.0)) / (double)(d ? d : 1);
		pv[i] = (struct policy_vm){ .min = g->spec->min, .max = g->spec->max, .shares = g->vm->shares,
					    .alloc = d, .demand = d, .active_q16 = (uint32_t)(f * 65536) };
		demand += d;
	}
	policy_targets(fm.mm.k_q16, pv, sc.nvms, avail);
	for (unsigned i = 0; i < sc.nvms; i++)
		out[i] = mb(MIN(pv[i].alloc, pv[i].target));
}

static void record(uint64_t now, FILE *csv, bool quiet)
{
	struct sample *s = &hist[nhist++];
	double pred[SIM_MAX_VMS];
	char line[320];

	predict(pred);
	s->t = now;
	s->machine[MM_FREE] = mb(mm_free_pages(&fm.mm));
	s->machine[MM_SHAREDPAGES] = mb(fm.mm.pool.count[MP_SHARED]);
	s->machine[MM_STATE] = fm.mm.state;
	uint64_t alloc = 0, shared = 0, used = fm.mm.pool.npages - mm_free_pages(&fm.mm);
	for (unsigned i = 0; i < sc.nvms; i++)
		alloc += mm_vm_alloc(guests[i].vm), shared += guests[i].vm->pmap.count[PS_SHARED];
	/* Sharing as in the paper's Fig. 4: guest memory mapped to shared pages, and machine memory saved. */
	s->machine[MM_SHAREDPCT] = alloc ? 100.0 * shared / alloc : 0;
	s->machine[MM_RECLAIMED] = alloc ? 100.0 * ((double)alloc - (double)used) / alloc : 0;
	if (!quiet) {
		mm_memstat_machine(&fm.mm, line, sizeof(line));
		puts(line);
	}
	for (unsigned i = 0; i < sc.nvms; i++) {
		struct guest *g = &guests[i];
		struct mm_vm *vm = g->vm;
		double *m = s->vm[i];
		m[M_ALLOC] = mb(mm_vm_alloc(vm));
		m[M_BALLOON] = mb(vm->pmap.count[PS_BALLOONED]);
		m[M_SHARED] = mb(vm->pmap.count[PS_SHARED]);
		m[M_SWAPPED] = mb(vm->pmap.count[PS_SWAPPED]);
		m[M_TARGET] = mb(vm->target);
		m[M_ACTIVE] = mm_vm_active_q16(&fm.mm, vm) * 100.0 / 65536;
		m[M_TPUT] = g->touches ? 100.0 * g->hits / g->touches : 100.0;
		if (g->ticks)
			m[M_TPUT] *= 1.0 - (double)g->stalled_ticks / g->ticks;
		m[M_PRED] = pred[i];
		m[M_WANT] = mb(g->spec->kernel + g->want);
		m[M_MAX] = mb(vm->max_pages);
		m[M_MIN] = mb(vm->min_pages);
		g->touches = g->hits = g->stalled_ticks = g->ticks = 0;
		if (!quiet) {
			mm_memstat_vm(&fm.mm, vm, line, sizeof(line));
			puts(line);
		}
		if (csv)
			fprintf(csv, "%.1f,%s,%.1f,%.1f,%u,%.2f,%.1f,%.2f,%.2f,%.2f,%.2f,%s,%.2f,%.1f,%.2f,%.2f\n",
				now / 1000.0, vm->name, m[M_MAX], m[M_MIN], vm->shares, m[M_ALLOC], m[M_ACTIVE],
				m[M_SHARED], m[M_BALLOON], m[M_SWAPPED], m[M_TARGET], memstate_name(fm.mm.state),
				m[M_WANT], m[M_TPUT], m[M_PRED], s->machine[MM_FREE]);
	}
}

static const struct sample *sample_at(uint64_t t)
{
	const struct sample *best = NULL;
	for (unsigned i = 0; i < nhist; i++)
		if (hist[i].t <= t)
			best = &hist[i];
	return best;
}

static int operand(const struct sim_operand *o, uint64_t at, double *v)
{
	if (o->is_const) {
		*v = o->value;
		return 0;
	}
	double f = o->factor;
	const struct sample *s = sample_at(o->at_ms >= 0 ? (uint64_t)o->at_ms : at);
	if (!s)
		return -1;
	if (o->vm < 0) {
		for (unsigned m = 0; m < NMACH; m++)
			if (!strcmp(o->metric, mach_name[m]))
				return *v = f * s->machine[m], 0;
		return -1;
	}
	for (unsigned m = 0; m < NMETRIC; m++)
		if (!strcmp(o->metric, metric_name[m]))
			return *v = f * s->vm[o->vm][m], 0;
	return -1;
}

static int check_expectations(const char *path)
{
	int failed = 0;

	for (unsigned i = 0; i < sc.nexpect; i++) {
		const struct sim_expect *x = &sc.ex[i];
		double a, b;
		bool ok;
		if (operand(&x->lhs, x->at_ms, &a) || operand(&x->rhs, x->at_ms, &b)) {
			fprintf(stderr, "%s:%d: unknown metric or no sample at that time\n", path, x->line);
			failed++;
			continue;
		}
		if (!strcmp(x->op, "<"))
			ok = a < b;
		else if (!strcmp(x->op, "<="))
			ok = a <= b;
		else if (!strcmp(x->op, ">"))
			ok = a > b;
		else if (!strcmp(x->op, ">="))
			ok = a >= b;
		else /* ~: within tol percent of the right-hand side (at least 1 MB) */
			ok = fabs(a - b) <= fmax(fabs(b) * x->tol_pct / 100, 1.0);
		printf("%s %s:%d: at %s  (%.1f vs %.1f)\n", ok ? "ok  " : "FAIL", path, x->line, x->text, a, b);
		failed += !ok;
	}
	return failed;
}

static void apply_event(const struct sim_event *e, uint64_t now)
{
	if (e->kind == EV_TUNABLE) {
		if (scenario_set_tunable(&sc, e->key, e->val) || mm_set_tunables(&fm.mm, &sc.tun) < 0)
			fprintf(stderr, "tunable %s=%s refused\n", e->key, e->val);
		return;
	}
	for (unsigned i = 0; i < sc.nvms; i++) {
		struct guest *g = &guests[i];
		int rc = 0;
		if (e->vm >= 0 && (unsigned)e->vm != i)
			continue;
		switch (e->kind) {
		case EV_ALLOC:
			guest_set_goal(g, g->goal + e->pages, e->over_ms);
			break;
		case EV_FREE:
			guest_set_goal(g, g->goal > e->pages ? g->goal - e->pages : 0, e->over_ms);
			break;
		case EV_ACTIVE:
			g->active_pm = e->value;
			break;
		case EV_SHARES:
			rc = mm_vm_set_shares(&fm.mm, g->vm, e->value);
			break;
		case EV_MIN:
			rc = mm_vm_set_min(&fm.mm, g->vm, e->pages);
			break;
		case EV_MAX:
			rc = mm_vm_set_max(&fm.mm, g->vm, e->pages);
			break;
		case EV_TARGET:
			rc = mm_vm_set_target(&fm.mm, g->vm, e->pages);
			break;
		case EV_TUNABLE:
			break;
		}
		if (rc < 0) /* as the monitor would: say so, change nothing */
			fprintf(stderr, "at %llu ms: vm %s: setting refused: %s\n", (unsigned long long)now, sc.vm[i].name,
				errno_name(rc));
	}
}

int main(int argc, char **argv)
{
	char *overrides[32];
	int noverrides = 0;
	const char *csv_path = NULL, *path = NULL;
	bool quiet = false, audit = false;
	FILE *csv = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (!strcmp(argv[i], "-a"))
			audit = true;
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			csv_path = argv[++i];
		else if (!strcmp(argv[i], "-D") && i + 1 < argc && noverrides < 32)
			overrides[noverrides++] = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else {
			fprintf(stderr, "usage: ballast-sim [-q] [-a] [-c out.csv] [-D key=value]... scenario.scn\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "usage: ballast-sim [-q] [-a] [-c out.csv] [-D key=value]... scenario.scn\n");
		return 2;
	}
	if (scenario_load(&sc, path, overrides, noverrides))
		return 2;
	mm_env_verbose = !quiet;
	if (fm_init(&fm, 0x100000, sc.mem_pages, sc.swap_pages, &sc.tun, false) < 0) {
		fprintf(stderr, "%s: machine setup failed (tunables?)\n", path);
		return 2;
	}
	for (unsigned i = 0; i < sc.nvms; i++) {
		int rc = guest_init(&guests[i], &fm, &sc.vm[i], i, &sc.tun);
		if (rc < 0) {
			fprintf(stderr, "%s: vm %s not started: %s %s\n", path, sc.vm[i].name, errno_name(rc),
				mm_env_last_log);
			return 2;
		}
	}
	hist = calloc(sc.duration_ms / sc.stat_ms + 2, sizeof(*hist));
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			perror(csv_path);
			return 2;
		}
		fprintf(csv, "t,vm,max,min,shares,alloc,active,shared,balloon,swapped,target,state,want,tput,pred,free\n");
	}
	bool done[SIM_MAX_EVENTS] = { false };
	uint64_t rng = sc.seed * 0x9e3779b97f4a7c15ULL + 1;
	for (uint64_t now = 0; now <= sc.duration_ms; now += sc.tick_ms) {
		for (unsigned e = 0; e < sc.nevents; e++)
			if (!done[e] && sc.ev[e].at_ms <= now)
				apply_event(&sc.ev[e], now), done[e] = true;
		for (unsigned i = 0; i < sc.nvms; i++)
			guest_tick(&guests[i], &fm, now ? sc.tick_ms : 0, &sc, &rng);
		if (now % 1000 < sc.tick_ms)
			for (unsigned i = 0; i < sc.nvms; i++)
				guest_balloon_poll(&guests[i], &fm, sc.balloon_pps);
		mm_tick(&fm.mm, now);
		fm_disk_settle(&fm); /* the simulated disk finishes within a tick */
		if (now % sc.stat_ms < sc.tick_ms) {
			record(now, csv, quiet);
			if (audit && mm_audit(&fm.mm)) {
				fprintf(stderr, "%s: audit failed at t=%lu: %s\n", path, (unsigned long)now,
					mm_env_last_log);
				return 1;
			}
		}
	}
	if (csv)
		fclose(csv);
	int failed = check_expectations(path);
	for (unsigned i = 0; i < sc.nvms; i++) {
		fm_vm_destroy(&fm, guests[i].vm);
		guest_destroy(&guests[i]);
	}
	mm_destroy(&fm.mm);
	free(hist);
	return failed ? 1 : 0;
}
