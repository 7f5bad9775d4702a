/* The host implementation of mm/mm_env.h: what tests and the simulator can observe about it. */
#ifndef TESTS_HOST_ENV_H
#define TESTS_HOST_ENV_H

#include <stdbool.h>
#include <stddef.h>

extern char mm_env_last_log[256]; /* the most recent mm_log() line */
extern bool mm_env_verbose;	  /* print mm_log() lines to stderr (off: tests are silent on success) */
extern size_t mm_env_allocated;	  /* metadata bytes currently allocated through mm_zalloc() */
extern unsigned long mm_env_log_count;

#endif
