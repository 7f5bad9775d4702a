/*
 * Scenario files for the simulator (format documented in sim/README.md): a machine, tunables, VMs with their
 * guests' workloads, timed workload commands, and expectations checked at the end of the run.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/tunables.h"

#define SIM_MAX_VMS 64
#define SIM_MAX_EVENTS 256
#define SIM_MAX_EXPECT 128

enum balloon_mode { BAL_ON, BAL_OFF, BAL_STUCK };

struct sim_vm_spec {
	char name[16];
	uint64_t max, min; /* pages */
	uint32_t shares;
	uint16_t salt;
	uint64_t kernel;       /* pages the guest kernel uses from boot, always touched */
	uint32_t image;	       /* content seed of kernel and duplicated pages: equal images share */
	uint32_t zero_pm;      /* workload pages left zero, per-mille */
	uint32_t dup_pm;       /* workload pages with image content (libraries, page cache), per-mille */
	uint32_t active_pm;    /* initial fraction of workload pages touched per sampling period */
	uint64_t wl_start;     /* workload pages at boot */
	enum balloon_mode balloon;
	bool report;	       /* the balloon driver reports freed pages (free page reporting) */
};

enum ev_kind { EV_ALLOC, EV_FREE, EV_ACTIVE, EV_SHARES, EV_MIN, EV_MAX, EV_TARGET, EV_TUNABLE };

struct sim_event {
	uint64_t at_ms;
	int vm; /* -1: all */
	enum ev_kind kind;
	uint64_t pages;	   /* ALLOC/FREE amount; MIN/MAX/TARGET value (TARGET 0: auto) */
	uint64_t over_ms;  /* spread over this long (0: at once) */
	uint32_t value;	   /* ACTIVE per-mille, SHARES */
	char key[24], val[24]; /* TUNABLE */
};

struct sim_operand {
	bool is_const;
	double value;	 /* constant (MB, percent, ...) */
	int vm;		 /* -1: machine */
	char metric[16];
	int64_t at_ms;	 /* -1: the expectation's time */
	double factor;	 /* FACTOR*vm.metric */
};

struct sim_expect {
	uint64_t at_ms;
	struct sim_operand lhs, rhs;
	char op[3]; /* < > <= >= ~ */
	double tol_pct;
	int line;
	char text[160];
};

struct scenario {
	uint64_t mem_pages, swap_pages;
	uint64_t tick_ms, duration_ms, stat_ms;
	uint32_t balloon_pps; /* guest driver inflate/deflate rate, pages per second */
	uint32_t write_pm;    /* fraction of guest touches that are writes */
	uint64_t seed;
	struct mm_tunables tun;
	unsigned nvms;
	struct sim_vm_spec vm[SIM_MAX_VMS];
	unsigned nevents;
	struct sim_event ev[SIM_MAX_EVENTS];
	unsigned nexpect;
	struct sim_expect ex[SIM_MAX_EXPECT];
};

/* Parse path into sc; on error print "file:line: message" to stderr and return -1.  overrides: "key=value" tunable
 * settings applied after the file (command line -D). */
int scenario_load(struct scenario *sc, const char *path, char **overrides, int noverrides);
int scenario_set_tunable(struct scenario *sc, const char *key, const char *val);

#endif
