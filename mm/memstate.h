/*
 * Free-memory states (paper §6, SPEC §2.6): the machine is in one of four states chosen from the fraction of machine
 * memory that is free, and each state asks for one kind of reclamation.
 *
 *   state  entered when free <   left upward when free >=   action
 *   high   -                     -                          nothing
 *   soft   soft  (4%)            high (6%)                  balloon toward targets (swap only unballoonable VMs)
 *   hard   hard  (2%)            soft (4%)                  swap random victims down to targets
 *   low    low   (1%)            hard (2%)                  swap, and block VMs above their targets
 *
 * Hysteresis: a state is entered downward as soon as free memory falls below its threshold, but is left upward only
 * when free memory reaches the threshold of the state above (not merely its own), so a machine hovering around one
 * threshold does not flap between two states and restart ballooning every tick.
 */
#ifndef MM_MEMSTATE_H
#define MM_MEMSTATE_H

#include <stdint.h>
#include "mm/tunables.h"

enum memstate {
	MS_HIGH = 0,
	MS_SOFT,
	MS_HARD,
	MS_LOW,
};

enum memstate_action {
	MSA_NONE = 0,
	MSA_BALLOON = 1 << 0,
	MSA_SWAP = 1 << 1,
	MSA_BLOCK = 1 << 2,
};

/* The next state from the current one and the free fraction (free_pages out of total_pages). */
enum memstate memstate_next(const struct mm_tunables *t, enum memstate cur, uint64_t free_pages, uint64_t total_pages);
unsigned memstate_actions(enum memstate s); /* enum memstate_action bits */
const char *memstate_name(enum memstate s);

#endif
