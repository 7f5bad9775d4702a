#include "arch/x86_64/cpu.h"
#include "drivers/uart16550.h"

void uart_init(uint16_t base, unsigned baud)
{
	uint16_t divisor = UART_CLOCK_HZ / 16 / baud;

	outb(base + UART_IER, 0);
	outb(base + UART_LCR, UART_LCR_DLAB);
	outb(base + UART_DLL, divisor & 0xff);
	outb(base + UART_DLM, divisor >> 8);
	outb(base + UART_LCR, UART_LCR_8N1);
	outb(base + UART_FCR, 0xc7); /* enable and clear FIFOs, 14-byte receive trigger */
	outb(base + UART_MCR, 0x03); /* DTR, RTS */
}

void uart_putc(uint16_t base, char c)
{
	/* Bounded wait: a missing UART (reads 0xff... or stuck 0) must not hang the hypervisor forever. */
	for (unsigned spin = 0; spin < 1000000; spin++)
		if (inb(base + UART_LSR) & UART_LSR_THRE)
			break;
	outb(base + UART_THR, (uint8_t)c);
}

bool uart_getc(uint16_t base, char *c)
{
	uint8_t lsr = inb(base + UART_LSR);

	if (lsr == 0xff || !(lsr & UART_LSR_DR)) /* 0xff: no UART at this port */
		return false;
	*c = (char)inb(base + UART_RBR);
	return true;
}
