/*
 * Virtual 8254 programmable interval timer (ports 0x40-0x43) and system control port B (0x61), clocked from the
 * host TSC: a channel's count at any instant is computed from the TSC when it was loaded, so no host timer runs
 * while the guest does not look.  Channel 0 drives IRQ 0; channel 2's gate and output are bits 0 and 5 of port
 * 0x61, which Linux uses to calibrate its TSC when it has to.
 */
#ifndef VDEV_PIT_H
#define VDEV_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182

struct pit_channel {
	uint32_t reload;       /* 1..65536 (0 written means 65536) */
	uint8_t mode;	       /* 0..5 */
	uint8_t access;	       /* 1 lobyte, 2 hibyte, 3 lobyte then hibyte */
	bool write_hi_next;    /* lobyte/hibyte access: next write is the high byte */
	bool read_hi_next;
	bool latched;
	uint16_t latch;
	uint8_t pending_lo;    /* low byte of a count being written */
	bool loaded;	       /* a count has been written since the mode was set */
	bool gate;
	uint64_t start_tsc;    /* when counting began with reload */
	uint64_t next_irq_tsc; /* channel 0: the next IRQ 0 edge, 0 if none */
};

/* Channel 0 ticks that came due and wait for the guest to take the previous one; see vdev/pit.c. */
#define PIT_BACKLOG_MS 1000

struct vpit {
	struct pit_channel ch[3];
	bool speaker;
	uint64_t backlog;	 /* ticks due, not yet raised */
	uint64_t irqs;		 /* IRQ 0 edges raised */
	uint64_t backlog_peak;	 /* most ticks ever waiting at once */
	uint64_t ticks_dropped;	 /* beyond PIT_BACKLOG_MS */
};

struct vm;
void vpit_register(struct vm *vm);
/* Count channel 0's ticks due at now and raise IRQ 0 for the oldest if the guest took the previous one; returns the
 * TSC of the next tick (UINT64_MAX if none). */
uint64_t vpit_update(struct vm *vm, uint64_t now);

#endif
