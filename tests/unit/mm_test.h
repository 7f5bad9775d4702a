/* Shared scaffolding for the mm/ unit tests: cmocka headers, a fake machine per test, audit after each test. */
#ifndef TESTS_MM_TEST_H
#define TESTS_MM_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <ballast/errno.h>
#include "mm/mm.h"
#include "mm/mm_internal.h"
#include "tests/env/fake_machine.h"
#include "tests/env/host_env.h"

/* A machine with tunables t (NULL: the defaults) as given. */
static inline struct fake_machine *mk_machine_as(uint64_t npages, uint64_t nslots, const struct mm_tunables *t)
{
	struct fake_machine *fm = calloc(1, sizeof(*fm));
	assert_non_null(fm);
	assert_int_equal(fm_init(fm, 0x1000, npages, nslots, t, false), 0);
	return fm;
}

/* The same without the inflate reserve: most tests count free pages exactly (the reserve has tests of its own). */
static inline struct fake_machine *mk_machine(uint64_t npages, uint64_t nslots, const struct mm_tunables *t)
{
	struct mm_tunables tun;

	if (t)
		tun = *t;
	else
		mm_tunables_default(&tun);
	tun.inflate_reserve_pages = 0;
	return mk_machine_as(npages, nslots, &tun);
}

static inline struct mm_vm *mk_vm(struct fake_machine *fm, const char *name, uint64_t max, uint64_t min,
				  uint32_t shares)
{
	struct mm_vm_config c = { .name = name, .max_pages = max, .min_pages = min, .shares = shares };
	struct mm_vm *vm = NULL;
	assert_int_equal(fm_vm_create(fm, &c, &vm), 0);
	return vm;
}

static inline void done_machine(struct fake_machine *fm)
{
	assert_int_equal(mm_audit(&fm->mm), 0);
	fm_destroy(fm);
	free(fm);
}

static inline enum pmap_state st(struct mm_vm *vm, uint64_t ppn)
{
	return pte_state(pmap_get(&vm->pmap, PPN(ppn)));
}

#endif
