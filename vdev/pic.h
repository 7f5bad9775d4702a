/*
 * Virtual 8259A programmable interrupt controller pair (master at 0x20, slave at 0xa0, cascaded on IRQ 2), as the
 * Intel 8259A datasheet describes it: edge-triggered requests, fixed priority, normal and automatic EOI.
 */
#ifndef VDEV_PIC_H
#define VDEV_PIC_H

#include <stdbool.h>
#include <stdint.h>

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t lines;	      /* current input levels, for edge detection */
	uint8_t vector_base;  /* ICW2 */
	uint8_t init_step;    /* 0 = ready; 2..4 = expecting ICW2..ICW4 */
	bool icw4_needed;
	bool auto_eoi;
	bool read_isr;	      /* OCW3: a read of the command port returns ISR instead of IRR */
	bool poll;	      /* OCW3 poll command pending */
	uint8_t elcr;	      /* edge/level control (0x4d0/0x4d1): stored only */
};

struct vpic {
	struct pic_chip chip[2];
};

void vpic_init(struct vpic *pic);
void vpic_set_irq(struct vpic *pic, unsigned irq, bool level);
/* The vector the PIC would deliver now, or -1.  vpic_ack() then moves it from IRR to ISR. */
int vpic_pending_vector(const struct vpic *pic);
int vpic_ack(struct vpic *pic);
/* irq is still with the guest: requested (IRR) or in service (ISR).  A new edge now would merge with it. */
bool vpic_irq_busy(const struct vpic *pic, unsigned irq);

struct vm;
void vpic_register(struct vm *vm);

#endif
