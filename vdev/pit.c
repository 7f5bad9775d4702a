/*
 * 8254 emulation (Intel 82C54 datasheet).  Modes 0 (interrupt on terminal count), 2 (rate generator), 3 (square
 * wave) and 4 (software strobe) are modelled; 1 and 5 need a gate edge Linux never makes on channel 0 and are
 * treated like 0 and 4.
 *
 * Lost ticks are re-injected.  A guest misses periodic ticks while another VM runs, while the hypervisor works, and
 * while its previous tick is still waiting in the PIC (an edge on a set IRR bit is lost on a real 8259 too).  Linux
 * counts jiffies by ticks, and its clocksource watchdog compares the TSC with jiffies: with coalesced ticks jiffies
 * fell 20-30% behind under Bochs and the guest marked its TSC unstable.  So channel 0 keeps a backlog of ticks that
 * came due and raises them one at a time, each as soon as the guest has taken the previous one (IRR and ISR bit 0
 * clear), as KVM's PIT does in its reinject mode.  A backlog beyond PIT_BACKLOG_MS is dropped: a guest stalled that
 * long (interrupts masked, VM blocked) gains nothing from a storm of stale ticks.
 */
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kernel/vm.h"
#include "vdev/pit.h"
#include "vdev/pic.h"

static uint64_t ticks_since(const struct pit_channel *c, uint64_t now)
{
	return now > c->start_tsc ? muldiv64(now - c->start_tsc, PIT_HZ, tsc_hz) : 0;
}

static uint64_t ticks_to_tsc(uint64_t ticks)
{
	return muldiv64(ticks, tsc_hz, PIT_HZ);
}

static bool periodic(const struct pit_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

/* The count register as the guest would read it now. */
static uint16_t current_count(const struct pit_channel *c, uint64_t now)
{
	if (!c->loaded || !c->gate)
		return c->reload & 0xffff;
	uint64_t t = ticks_since(c, now);
	if (periodic(c)) {
		uint64_t n = c->reload - t % c->reload;
		if (c->mode == 3) /* square wave counts down by two, twice per period */
			n = (n * 2) % c->reload;
		return n & 0xffff;
	}
	/* modes 0/4: count down from reload, then wrap through 0xffff and keep going */
	return (uint16_t)(c->reload - t);
}

static bool output(const struct pit_channel *c, uint64_t now)
{
	if (!c->loaded)
		return c->mode != 0;
	uint64_t t = ticks_since(c, now);
	switch (c->mode) {
	case 0:
	case 1:
		return t >= c->reload;
	case 2:
		return t % c->reload != c->reload - 1;
	case 3:
		return t % c->reload < (c->reload + 1) / 2;
	default:
		return t != c->reload;
	}
}

static void start(struct pit_channel *c, uint64_t now)
{
	c->start_tsc = now;
	c->loaded = true;
	c->next_irq_tsc = now + ticks_to_tsc(c->reload);
}

uint64_t vpit_update(struct vm *vm, uint64_t now)
{
	struct vpit *pit = &vm->pit;
	struct pit_channel *c = &pit->ch[0];

	if (c->next_irq_tsc && now >= c->next_irq_tsc) {
		if (periodic(c)) {
			uint64_t period = ticks_to_tsc(c->reload);
			uint64_t due = (now - c->next_irq_tsc) / period + 1;
			uint64_t cap = MAX(1, muldiv64(PIT_BACKLOG_MS, PIT_HZ, 1000 * (uint64_t)c->reload));
			c->next_irq_tsc += due * period;
			pit->backlog += due;
			if (pit->backlog > cap) {
				pit->ticks_dropped += pit->backlog - cap;
				pit->backlog = cap;
			}
		} else {
			c->next_irq_tsc = 0; /* one-shot */
			pit->backlog = 1;
		}
	}
	if (pit->backlog && !vpic_irq_busy(&vm->pic, 0)) {
		vpic_set_irq(&vm->pic, 0, true); /* an edge on IRQ 0 */
		vpic_set_irq(&vm->pic, 0, false);
		pit->irqs++;
		pit->backlog_peak = MAX(pit->backlog_peak, pit->backlog);
		pit->backlog--;
	}
	/* With a backlog the next edge waits for the guest's EOI or unmask, which exits to us: no timer needed. */
	return c->next_irq_tsc ? c->next_irq_tsc : UINT64_MAX;
}

static void pit_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct vpit *pit = dev;
	uint64_t now = rdtsc();

	if (port == 0x61) {
		struct pit_channel *c2 = &pit->ch[2];
		if (in) {
			/* bit 4 toggles with DRAM refresh on real PCs; some code waits for it to flip */
			*val = (c2->gate ? 1 : 0) | (pit->speaker ? 2 : 0) | ((now >> 14) & 1 ? 0x10 : 0) |
			       (output(c2, now) ? 0x20 : 0);
		} else {
			bool gate = *val & 1;
			if (gate && !c2->gate && c2->loaded)
				start(c2, now); /* a rising gate restarts the count */
			c2->gate = gate;
			pit->speaker = *val & 2;
		}
		return;
	}
	if (port == 0x43) {
		if (in) {
			*val = 0xff;
			return;
		}
		uint8_t v = *val, sel = v >> 6;
		if (sel == 3) {
			/* read-back: latch the counts of the selected channels (status latching not modelled) */
			for (int i = 0; i < 3; i++)
				if (!(v & 0x20) && (v & (2 << i))) {
					pit->ch[i].latch = current_count(&pit->ch[i], now);
					pit->ch[i].latched = true;
				}
			return;
		}
		struct pit_channel *c = &pit->ch[sel];
		if ((v & 0x30) == 0) { /* counter latch command */
			c->latch = current_count(c, now);
			c->latched = true;
			c->read_hi_next = false;
			return;
		}
		c->access = (v >> 4) & 3;
		c->mode = (v >> 1) & 7;
		if (c->mode > 5)
			c->mode -= 4; /* 6 and 7 alias 2 and 3 */
		c->write_hi_next = c->read_hi_next = false;
		c->loaded = false;
		c->next_irq_tsc = 0;
		if (sel == 0)
			pit->backlog = 0; /* a new mode forgets the old one's ticks */
		return;
	}
	struct pit_channel *c = &pit->ch[port - 0x40];
	if (in) {
		uint16_t count = c->latched ? c->latch : current_count(c, now);
		if (c->access == 1) {
			*val = count & 0xff;
			c->latched = false;
		} else if (c->access == 2) {
			*val = count >> 8;
			c->latched = false;
		} else {
			*val = c->read_hi_next ? count >> 8 : count & 0xff;
			if (c->read_hi_next)
				c->latched = false;
			c->read_hi_next = !c->read_hi_next;
		}
		return;
	}
	uint8_t b = *val;
	if (c->access == 3 && !c->write_hi_next) {
		c->pending_lo = b;
		c->write_hi_next = true;
		return;
	}
	uint32_t count = c->access == 1 ? b : c->access == 2 ? (uint32_t)b << 8 : ((uint32_t)b << 8) | c->pending_lo;
	c->write_hi_next = false;
	c->reload = count ? count : 65536;
	if (c->gate || c == &pit->ch[0])
		start(c, now);
	if (c != &pit->ch[0])
		c->next_irq_tsc = 0; /* only channel 0 is wired to an interrupt */
}

void vpit_register(struct vm *vm)
{
	memset(&vm->pit, 0, sizeof(vm->pit));
	vm->pit.ch[0].gate = vm->pit.ch[1].gate = true; /* channel 0 and 1 gates are tied high on a PC */
	pio_register(&vm->pio, 0x40, 0x43, pit_io, &vm->pit, "pit");
	pio_register(&vm->pio, 0x61, 0x61, pit_io, &vm->pit, "port-b");
}
