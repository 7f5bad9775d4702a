/* The simulated guest (see guest.h). */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <ballast/errno.h>
#include "sim/guest.h"

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* What workload page w holds: zero, image content (equal in guests with the same image), or unique. */
static uint64_t wl_seed(const struct guest *g, uint64_t w)
{
	uint64_t r = mix(((uint64_t)g->index << 40) ^ w) % 1000;

	if (r < g->spec->zero_pm)
		return 0;
	if (r < g->spec->zero_pm + g->spec->dup_pm) /* a library / page-cache page: same in every same-image guest */
		return ((uint64_t)g->spec->image << 32) | (w % 16384) | (1ULL << 31);
	return ((uint64_t)(g->index + 1) << 48) | ((uint64_t)g->wl_ver[w] << 32) | (w + 1);
}

static uint64_t kernel_seed(const struct guest *g, uint64_t k)
{
	return ((uint64_t)g->spec->image << 32) | (k + 1);
}

int guest_init(struct guest *g, struct fake_machine *fm, const struct sim_vm_spec *spec, unsigned index,
	       const struct mm_tunables *t)
{
	struct mm_vm_config c = {
		.name = spec->name, .max_pages = spec->max, .min_pages = spec->min, .shares = spec->shares,
		.salt = spec->salt,
	};
	int rc;

	memset(g, 0, sizeof(*g));
	g->spec = spec;
	g->index = index;
	if ((rc = fm_vm_create(fm, &c, &g->vm)) < 0)
		return rc;
	g->wl_ppn = malloc(spec->max * sizeof(uint32_t));
	g->wl_ver = calloc(spec->max, sizeof(uint32_t));
	g->free = malloc(spec->max * sizeof(uint32_t));
	g->balloon = malloc(spec->max * sizeof(uint32_t));
	g->unreported = calloc(spec->max, 1);
	for (uint64_t p = spec->max; p-- > spec->kernel;) /* stack: low PPNs on top, used first */
		g->free[g->nfree++] = (uint32_t)p;
	for (uint64_t w = 0; w < spec->max; w++)
		g->wl_ppn[w] = GUEST_NONE;
	for (uint64_t k = 0; k < spec->kernel; k++) /* boot: the kernel writes its pages */
		if (fm_write_pattern(fm, g->vm, PPN(k), kernel_seed(g, k)) < 0)
			return -ENOMEM;
	g->active_pm = spec->active_pm;
	g->goal = spec->wl_start;
	g->alloc_rate = 1e9; /* the boot workload appears at once */
	if (spec->balloon != BAL_OFF)
		mm_balloon_connect(&fm->mm, g->vm);
	(void)t;
	return 0;
}

void guest_destroy(struct guest *g)
{
	free(g->wl_ppn);
	free(g->wl_ver);
	free(g->free);
	free(g->balloon);
	free(g->unreported);
}

void guest_set_goal(struct guest *g, uint64_t goal, uint64_t over_ms)
{
	uint64_t limit = g->spec->max - g->spec->kernel;

	g->goal = goal > limit ? limit : goal;
	double d = fabs((double)g->goal - (double)g->want);
	g->alloc_rate = over_ms ? d / (double)over_ms : 1e9;
}

/* A free PPN for the workload: the free list, else page out a random resident workload page (guest swap). */
static uint32_t take_page(struct guest *g, uint64_t *rng)
{
	if (g->nfree) {
		uint32_t p = g->free[--g->nfree];
		g->unreported[p] = 0;
		return p;
	}
	if (!g->resident)
		return GUEST_NONE;
	for (;;) {
		uint64_t w = xs(rng) % g->want;
		if (g->wl_ppn[w] == GUEST_NONE)
			continue;
		uint32_t p = g->wl_ppn[w];
		g->wl_ppn[w] = GUEST_NONE;
		g->resident--;
		g->guest_pageouts++;
		return p;
	}
}

/* Bring workload page w in (allocation or guest page-in).  false: stalled by the hypervisor. */
static bool page_in(struct guest *g, struct fake_machine *fm, uint64_t w, uint64_t *rng)
{
	uint32_t p = take_page(g, rng);

	if (p == GUEST_NONE)
		return true; /* nowhere to put it: stays out (guest thrashes) */
	g->wl_ver[w]++;
	int rc = fm_write_pattern(fm, g->vm, PPN(p), wl_seed(g, w));
	if (rc < 0) {
		g->free[g->nfree++] = p; /* the guest retries later */
		return false;
	}
	g->wl_ppn[w] = p;
	g->resident++;
	return true;
}

static bool touch(struct guest *g, struct fake_machine *fm, uint32_t p, bool write)
{
	int err = 0;
	return fm_access(fm, g->vm, PPN(p), write, &err) != NULL;
}

bool guest_tick(struct guest *g, struct fake_machine *fm, uint64_t tick_ms, const struct scenario *sc, uint64_t *rng)
{
	uint64_t period = sc->tun.sample_period_ms;
	bool ok = true;

	g->ticks++;
	/* 1. The workload grows or shrinks toward its goal. */
	double step = g->alloc_rate * (double)tick_ms + g->carry;
	uint64_t n = (uint64_t)step;
	g->carry = step - (double)n;
	if (g->want < g->goal) {
		n = n > g->goal - g->want ? g->goal - g->want : n;
		for (uint64_t i = 0; i < n && ok; i++) {
			g->want++;
			ok = page_in(g, fm, g->want - 1, rng); /* allocation writes the page */
			if (!ok)
				g->want--;
		}
	} else if (g->want > g->goal) {
		n = n > g->want - g->goal ? g->want - g->goal : n;
		for (uint64_t i = 0; i < n; i++) { /* freed pages go to the guest free list, still backed */
			uint64_t w = --g->want;
			if (g->wl_ppn[w] != GUEST_NONE) {
				g->unreported[g->wl_ppn[w]] = 1;
				g->free[g->nfree++] = g->wl_ppn[w];
				g->wl_ppn[w] = GUEST_NONE;
				g->resident--;
			}
		}
	}
	/* 2. Touches: uniformly random over the workload, as many as make active_pm of it touched per period. */
	double a = g->active_pm >= 990 ? 0.99 : g->active_pm / 1000.0;
	double lambda = -log(1 - a) * (double)g->want * (double)tick_ms / (double)period;
	uint64_t nt = (uint64_t)lambda + ((double)(xs(rng) % 1000) / 1000.0 < lambda - floor(lambda));
	for (uint64_t i = 0; i < nt && ok; i++) {
		uint64_t w = xs(rng) % g->want;
		g->touches++;
		if (g->wl_ppn[w] != GUEST_NONE) {
			ok = touch(g, fm, g->wl_ppn[w], xs(rng) % 1000 < sc->write_pm);
			g->hits += ok;
		} else {
			g->guest_pageins++;
			ok = page_in(g, fm, w, rng);
		}
	}
	/* The kernel's own pages are always busy: a quarter of them each tick. */
	for (uint64_t k = 0; k < g->spec->kernel / 4 && ok; k++)
		ok = touch(g, fm, (uint32_t)(xs(rng) % g->spec->kernel), false);
	if (!ok)
		g->stalled_ticks++;
	return ok;
}

void guest_balloon_poll(struct guest *g, struct fake_machine *fm, uint32_t pps)
{
	uint64_t target = mm_balloon_target(&fm->mm, g->vm);
	ppn_t batch[MM_BALLOON_BATCH];
	uint64_t rng = 0x9e3779b97f4a7c15ULL ^ g->nballoon ^ ((uint64_t)g->index << 32);

	if (g->spec->balloon != BAL_ON)
		return; /* off: no driver; stuck: connected but never moves */
	/* Free page reporting: pages the workload freed since the last poll go back to the hypervisor. */
	for (uint64_t i = 0, n = 0; g->spec->report && i < g->nfree; i++) {
		uint32_t p = g->free[i];
		if (g->unreported[p]) {
			g->unreported[p] = 0;
			batch[n++] = PPN(p);
		}
		if (n == MM_BALLOON_BATCH || (i + 1 == g->nfree && n)) {
			int rc = mm_balloon_report_free(&fm->mm, g->vm, batch, (unsigned)n, NULL);
			MM_BUG_ON(rc < 0);
			n = 0;
		}
	}
	while (g->nballoon < target && pps) {
		unsigned n = 0;
		while (n < MM_BALLOON_BATCH && g->nballoon + n < target && pps) {
			/* Like Linux under the balloon: free pages first, then it pages the workload out. */
			uint32_t p = take_page(g, &rng);
			if (p == GUEST_NONE)
				break;
			batch[n++] = PPN(p);
			pps--;
		}
		if (!n)
			break;
		int rc = mm_balloon_lock(&fm->mm, g->vm, batch, n, NULL);
		MM_BUG_ON(rc < 0); /* the driver only reports pages it owns */
		for (unsigned i = 0; i < n; i++)
			g->balloon[g->nballoon++] = (uint32_t)batch[i].v;
	}
	while (g->nballoon > target && pps) {
		unsigned n = 0;
		while (n < MM_BALLOON_BATCH && g->nballoon > target && pps) {
			batch[n++] = PPN(g->balloon[--g->nballoon]);
			pps--;
		}
		int rc = mm_balloon_unlock(&fm->mm, g->vm, batch, n, NULL);
		MM_BUG_ON(rc < 0);
		for (unsigned i = 0; i < n; i++)
			g->free[g->nfree++] = (uint32_t)batch[i].v;
	}
}
