/*
 * 8259A emulation.  Priority is fixed (IRQ 0 highest); rotation commands are accepted and ignored, which Linux
 * never relies on.  The slave's output drives master input 2.
 */
#include <ballast/string.h>
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vdev/pic.h"

#define ICW1_INIT 0x10
#define ICW1_ICW4 0x01
#define ICW4_AUTO_EOI 0x02
#define OCW3_MARKER 0x08
#define OCW3_READ_REG 0x02
#define OCW3_READ_ISR 0x01
#define OCW3_POLL 0x04
#define OCW2_EOI 0x20
#define OCW2_SPECIFIC 0x40

void vpic_init(struct vpic *pic)
{
	memset(pic, 0, sizeof(*pic));
	pic->chip[0].imr = pic->chip[1].imr = 0xff; /* everything masked until the guest programs it */
	pic->chip[0].vector_base = 0x08;
	pic->chip[1].vector_base = 0x70;
}

/* Highest-priority bit of the requests that beat everything in service; -1 if none. */
static int chip_pending(const struct pic_chip *c, uint8_t extra_irr)
{
	uint8_t req = (c->irr | extra_irr) & ~c->imr;

	for (int i = 0; i < 8; i++) {
		if (c->isr & (1u << i))
			return -1; /* an equal or higher priority interrupt is in service */
		if (req & (1u << i))
			return i;
	}
	return -1;
}

static uint8_t slave_output(const struct vpic *pic)
{
	return chip_pending(&pic->chip[1], 0) >= 0 ? 1u << 2 : 0;
}

void vpic_set_irq(struct vpic *pic, unsigned irq, bool level)
{
	struct pic_chip *c = &pic->chip[irq >= 8];
	uint8_t bit = 1u << (irq & 7);

	if (level && !(c->lines & bit))
		c->irr |= bit; /* rising edge */
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

bool vpic_irq_busy(const struct vpic *pic, unsigned irq)
{
	const struct pic_chip *c = &pic->chip[irq >= 8];

	return (c->irr | c->isr) & (1u << (irq & 7));
}

int vpic_pending_vector(const struct vpic *pic)
{
	int irq = chip_pending(&pic->chip[0], slave_output(pic));

	if (irq < 0)
		return -1;
	if (irq == 2 && slave_output(pic))
		return pic->chip[1].vector_base + chip_pending(&pic->chip[1], 0);
	return pic->chip[0].vector_base + irq;
}

static void chip_ack(struct pic_chip *c, int irq)
{
	c->irr &= ~(1u << irq);
	if (!c->auto_eoi)
		c->isr |= 1u << irq;
}

int vpic_ack(struct vpic *pic)
{
	int vector = vpic_pending_vector(pic);

	if (vector < 0)
		return -1;
	int irq = chip_pending(&pic->chip[0], slave_output(pic));
	if (irq == 2 && slave_output(pic)) {
		chip_ack(&pic->chip[1], chip_pending(&pic->chip[1], 0));
		chip_ack(&pic->chip[0], 2);
	} else {
		chip_ack(&pic->chip[0], irq);
	}
	return vector;
}

static void write_command(struct pic_chip *c, uint8_t v)
{
	if (v & ICW1_INIT) {
		c->init_step = 2;
		c->icw4_needed = v & ICW1_ICW4;
		c->imr = 0;
		c->isr = c->irr = 0;
		c->auto_eoi = false;
		c->read_isr = false;
		return;
	}
	if (v & OCW3_MARKER) {
		if (v & OCW3_READ_REG)
			c->read_isr = v & OCW3_READ_ISR;
		c->poll = v & OCW3_POLL;
		return;
	}
	/* OCW2 */
	if (v & OCW2_EOI) {
		if (v & OCW2_SPECIFIC) {
			c->isr &= ~(1u << (v & 7));
		} else {
			for (int i = 0; i < 8; i++) /* non-specific: the highest priority in service */
				if (c->isr & (1u << i)) {
					c->isr &= ~(1u << i);
					break;
				}
		}
	}
}

static void write_data(struct pic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = v & 0xf8;
		c->init_step = 3;
		break;
	case 3: /* ICW3: cascade wiring, fixed on a PC */
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = v & ICW4_AUTO_EOI;
		c->init_step = 0;
		break;
	default:
		c->imr = v; /* OCW1 */
	}
}

static void pic_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct vpic *pic = dev;

	if (port == 0x4d0 || port == 0x4d1) {
		struct pic_chip *c = &pic->chip[port & 1];
		if (in)
			*val = c->elcr;
		else
			c->elcr = *val;
		return;
	}
	struct pic_chip *c = &pic->chip[port >= 0xa0];
	bool data = port & 1;

	if (in) {
		if (c->poll) {
			c->poll = false;
			int irq = chip_pending(c, c == &pic->chip[0] ? slave_output(pic) : 0);
			if (irq >= 0)
				chip_ack(c, irq);
			*val = irq >= 0 ? 0x80 | irq : 0;
		} else {
			*val = data ? c->imr : c->read_isr ? c->isr : c->irr;
		}
	} else if (data) {
		write_data(c, *val);
	} else {
		write_command(c, *val);
	}
}

void vpic_register(struct vm *vm)
{
	vpic_init(&vm->pic);
	pio_register(&vm->pio, 0x20, 0x21, pic_io, &vm->pic, "pic-master");
	pio_register(&vm->pio, 0xa0, 0xa1, pic_io, &vm->pic, "pic-slave");
	pio_register(&vm->pio, 0x4d0, 0x4d1, pic_io, &vm->pic, "elcr");
}
