/* Host tests for the virtual PIT's channel 0 ticks as a guest sees them through the virtual PIC: programmed by port
 * writes the way Linux does it, with the clock (the TSC) chosen by the test.  The point is the lost-tick rule of
 * vdev/pit.c: every tick that came due reaches the guest, one per acknowledge + EOI, up to PIT_BACKLOG_MS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include "arch/x86_64/tsc.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vdev/pic.h"
#include "vdev/pit.h"
#include "vdev/vdev.h"

/* A TSC of 1000 cycles per PIT input clock keeps the arithmetic exact. */
uint64_t tsc_hz = PIT_HZ * 1000ULL;

int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

#define RELOAD 4773 /* Linux at HZ=250: PIT_HZ / 250, rounded */
#define PERIOD (RELOAD * 1000ULL)
#define TIMER_VECTOR 0x20

static void out8(struct vm *vm, uint16_t port, uint8_t v)
{
	uint32_t val = v;
	pio_dispatch(vm, port, 1, false, &val);
}

/* A VM with its PIC initialised as Linux's i8259 driver does (vectors 0x20/0x28, IRQ 0 unmasked) and channel 0 in
 * rate-generator mode; returns the TSC at which channel 0 began counting. */
static uint64_t mk_guest(struct vm **out)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	assert_non_null(vm);
	vpic_init(&vm->pic);
	vpic_register(vm);
	vpit_register(vm);
	out8(vm, 0x20, 0x11), out8(vm, 0x21, TIMER_VECTOR), out8(vm, 0x21, 0x04), out8(vm, 0x21, 0x01);
	out8(vm, 0xa0, 0x11), out8(vm, 0xa1, 0x28), out8(vm, 0xa1, 0x02), out8(vm, 0xa1, 0x01);
	out8(vm, 0x21, 0xfe); /* only IRQ 0 */
	out8(vm, 0xa1, 0xff);
	out8(vm, 0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
	out8(vm, 0x40, RELOAD & 0xff);
	out8(vm, 0x40, RELOAD >> 8);
	*out = vm;
	return vm->pit.ch[0].start_tsc;
}

/* The guest takes the timer interrupt and ends it with a non-specific EOI, as its handler does. */
static void take_tick(struct vm *vm)
{
	assert_int_equal(vpic_pending_vector(&vm->pic), TIMER_VECTOR);
	assert_int_equal(vpic_ack(&vm->pic), TIMER_VECTOR);
	out8(vm, 0x20, 0x20);
}

static void on_time_ticks_never_wait(void **state)
{
	struct vm *vm;
	uint64_t t0 = mk_guest(&vm);

	(void)state;
	assert_int_equal(vpit_update(vm, t0 + PERIOD - 1), t0 + PERIOD);
	assert_int_equal(vpic_pending_vector(&vm->pic), -1);
	for (unsigned i = 1; i <= 10; i++) {
		assert_int_equal(vpit_update(vm, t0 + i * PERIOD), t0 + (i + 1) * PERIOD);
		take_tick(vm);
	}
	assert_int_equal(vm->pit.irqs, 10);
	assert_int_equal(vm->pit.backlog, 0);
	assert_int_equal(vm->pit.backlog_peak, 1);
	free(vm);
}

static void missed_ticks_arrive_one_per_eoi(void **state)
{
	struct vm *vm;
	uint64_t t0 = mk_guest(&vm);
	uint64_t now = t0 + 5 * PERIOD + PERIOD / 2; /* the VM did not run for five periods */

	(void)state;
	assert_int_equal(vpit_update(vm, now), t0 + 6 * PERIOD);
	assert_int_equal(vm->pit.irqs, 1);
	/* While the first is requested, then in service, no further edge: it would be lost in the PIC. */
	vpit_update(vm, now);
	assert_int_equal(vm->pit.irqs, 1);
	assert_int_equal(vpic_ack(&vm->pic), TIMER_VECTOR);
	vpit_update(vm, now);
	assert_int_equal(vm->pit.irqs, 1);
	assert_int_equal(vpic_pending_vector(&vm->pic), -1);
	out8(vm, 0x20, 0x20);
	/* Each EOI lets the next one through, without waiting for time to pass. */
	for (unsigned i = 2; i <= 5; i++) {
		vpit_update(vm, now);
		assert_int_equal(vm->pit.irqs, i);
		take_tick(vm);
	}
	vpit_update(vm, now);
	assert_int_equal(vm->pit.irqs, 5);
	assert_int_equal(vpic_pending_vector(&vm->pic), -1);
	assert_int_equal(vm->pit.backlog_peak, 5);
	assert_int_equal(vm->pit.ticks_dropped, 0);
	free(vm);
}

static void masked_timer_keeps_its_ticks_until_unmasked(void **state)
{
	struct vm *vm;
	uint64_t t0 = mk_guest(&vm);

	(void)state;
	out8(vm, 0x21, 0xff); /* Linux masks the line while it handles it */
	vpit_update(vm, t0 + 3 * PERIOD);
	assert_int_equal(vpic_pending_vector(&vm->pic), -1);
	out8(vm, 0x21, 0xfe);
	for (unsigned i = 0; i < 3; i++) {
		vpit_update(vm, t0 + 3 * PERIOD);
		take_tick(vm);
	}
	vpit_update(vm, t0 + 3 * PERIOD);
	assert_int_equal(vpic_pending_vector(&vm->pic), -1);
	assert_int_equal(vm->pit.irqs, 3);
	free(vm);
}

static void a_long_stall_drops_ticks_beyond_the_backlog_limit(void **state)
{
	struct vm *vm;
	uint64_t t0 = mk_guest(&vm);
	uint64_t cap = (uint64_t)PIT_BACKLOG_MS * PIT_HZ / (1000ULL * RELOAD);

	(void)state;
	vpit_update(vm, t0 + 10 * tsc_hz); /* ten seconds without running */
	assert_int_equal(vm->pit.backlog + vm->pit.irqs, cap);
	assert_int_equal(vm->pit.ticks_dropped, 10 * tsc_hz / PERIOD - cap);
	/* Reprogramming the channel forgets the backlog: the old ticks belong to the old rate. */
	take_tick(vm);
	out8(vm, 0x43, 0x34);
	out8(vm, 0x40, RELOAD & 0xff);
	out8(vm, 0x40, RELOAD >> 8);
	assert_int_equal(vm->pit.backlog, 0);
	free(vm);
}

static void one_shot_fires_once(void **state)
{
	struct vm *vm;
	uint64_t t0 = mk_guest(&vm);

	(void)state;
	out8(vm, 0x43, 0x30); /* channel 0, lobyte/hibyte, mode 0 */
	out8(vm, 0x40, 100);
	out8(vm, 0x40, 0);
	t0 = vm->pit.ch[0].start_tsc;
	assert_int_equal(vpit_update(vm, t0 + 99 * 1000), t0 + 100 * 1000);
	assert_int_equal(vpit_update(vm, t0 + 10 * PERIOD), UINT64_MAX);
	take_tick(vm);
	vpit_update(vm, t0 + 20 * PERIOD);
	assert_int_equal(vpic_pending_vector(&vm->pic), -1);
	assert_int_equal(vm->pit.irqs, 1);
	free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(on_time_ticks_never_wait),
		cmocka_unit_test(missed_ticks_arrive_one_per_eoi),
		cmocka_unit_test(masked_timer_keeps_its_ticks_until_unmasked),
		cmocka_unit_test(a_long_stall_drops_ticks_beyond_the_backlog_limit),
		cmocka_unit_test(one_shot_fires_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
