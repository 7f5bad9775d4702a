/*
 * The host's legacy 8259 PICs.  ballast takes no device interrupts yet: the PICs are moved off the exception
 * vectors (to 0x20-0x2f) and fully masked, so nothing from firmware-era setup (the BIOS's timer tick) reaches the
 * CPU as an external-interrupt VM exit.
 */
#include "arch/x86_64/cpu.h"
#include "drivers/i8259.h"

void i8259_init_masked(void)
{
	outb(0x20, 0x11); /* ICW1: init, expect ICW4 */
	outb(0xa0, 0x11);
	outb(0x21, 0x20); /* ICW2: master vectors 0x20-0x27 */
	outb(0xa1, 0x28); /*       slave vectors 0x28-0x2f */
	outb(0x21, 0x04); /* ICW3: slave on IRQ 2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01); /* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, 0xff); /* mask everything */
	outb(0xa1, 0xff);
}
