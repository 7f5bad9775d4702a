/*
 * The free-memory state machine (see memstate.h for the table and the hysteresis rule).
 */
#include "mm/memstate.h"

/* free/total < pm/1000, without division. */
static inline int below(uint64_t free_pages, uint64_t total, uint32_t pm)
{
	return free_pages * 1000 < total * pm;
}

enum memstate memstate_next(const struct mm_tunables *t, enum memstate cur, uint64_t free_pages, uint64_t total)
{
	/* Downward: the lowest state whose threshold free memory is under, immediately. */
	enum memstate down = below(free_pages, total, t->free_low_pm)	 ? MS_LOW
			     : below(free_pages, total, t->free_hard_pm) ? MS_HARD
			     : below(free_pages, total, t->free_soft_pm) ? MS_SOFT
									 : MS_HIGH;
	if (down >= cur)
		return down;
	/* Upward: one step per threshold cleared, each step needing the threshold of the state above it. */
	static const int up_need[] = { [MS_SOFT] = 0, [MS_HARD] = 1, [MS_LOW] = 2 };
	const uint32_t need_pm[] = { t->free_high_pm, t->free_soft_pm, t->free_hard_pm };
	while (cur > down && !below(free_pages, total, need_pm[up_need[cur]]))
		cur--;
	return cur;
}

unsigned memstate_actions(enum memstate s)
{
	switch (s) {
	case MS_HIGH:
		return MSA_NONE;
	case MS_SOFT:
		return MSA_BALLOON;
	case MS_HARD:
		return MSA_BALLOON | MSA_SWAP;
	case MS_LOW:
		return MSA_BALLOON | MSA_SWAP | MSA_BLOCK;
	}
	return MSA_NONE;
}

const char *memstate_name(enum memstate s)
{
	static const char *const name[] = { "high", "soft", "hard", "low" };
	return s <= MS_LOW ? name[s] : "?";
}
