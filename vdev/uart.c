/*
 * 16550A emulation, register map as in the National Semiconductor PC16550D datasheet (drivers/uart16550.h).
 */
#include <ballast/format.h>
#include <ballast/string.h>
#include "drivers/uart16550.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vdev/pic.h"
#include "vdev/uart.h"

#define VUART_IRQ 4
#define IER_RDI 0x01  /* received data available */
#define IER_THRI 0x02 /* transmitter holding register empty */
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define MCR_LOOP 0x10
#define MCR_OUT2 0x08 /* on a PC, OUT2 gates the UART's interrupt line to the PIC */

static void update_irq(struct vm *vm)
{
	struct vuart *u = &vm->uart;
	bool level = ((u->ier & IER_RDI) && u->rx_count) || ((u->ier & IER_THRI) && u->thre_pending);

	vpic_set_irq(&vm->pic, VUART_IRQ, level && (u->mcr & MCR_OUT2));
}

void vuart_flush(struct vm *vm)
{
	struct vuart *u = &vm->uart;
	char out[VUART_LINE_MAX + 32];

	if (!u->line_len)
		return;
	u->line[u->line_len] = 0;
	int n = fmt_snprintf(out, sizeof(out), "[%s] %s\n", vm->name, u->line);
	console_write(out, n < (int)sizeof(out) ? n : (int)sizeof(out) - 1);
	u->line_len = 0;
}

static void transmit(struct vm *vm, uint8_t c)
{
	struct vuart *u = &vm->uart;

	u->tx_bytes++;
	if (c == '\n' || u->line_len == VUART_LINE_MAX) {
		vuart_flush(vm);
		if (c == '\n')
			return;
	}
	if (c == '\r')
		return;
	/* Control characters other than tab would garble the shared console: show them as '?'. */
	u->line[u->line_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
}

bool vuart_receive(struct vm *vm, uint8_t c)
{
	struct vuart *u = &vm->uart;

	if (u->rx_count == VUART_RX_MAX)
		return false;
	u->rx[(u->rx_head + u->rx_count++) % VUART_RX_MAX] = c;
	update_irq(vm);
	return true;
}

static void uart_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct vuart *u = dev;
	unsigned reg = port - 0x3f8;
	bool dlab = u->lcr & UART_LCR_DLAB;

	if (in) {
		switch (reg) {
		case UART_RBR:
			if (dlab) {
				*val = u->dll;
			} else if (u->rx_count) {
				*val = u->rx[u->rx_head];
				u->rx_head = (u->rx_head + 1) % VUART_RX_MAX;
				u->rx_count--;
			} else {
				*val = 0;
			}
			break;
		case UART_IER:
			*val = dlab ? u->dlm : u->ier;
			break;
		case UART_IIR:
			if ((u->ier & IER_RDI) && u->rx_count) {
				*val = IIR_RDI;
			} else if ((u->ier & IER_THRI) && u->thre_pending) {
				*val = IIR_THRI;
				u->thre_pending = false; /* reading IIR identifies, and so clears, THRE */
			} else {
				*val = IIR_NONE;
			}
			*val |= u->fifo_enabled ? IIR_FIFO : 0;
			break;
		case UART_LCR:
			*val = u->lcr;
			break;
		case UART_MCR:
			*val = u->mcr;
			break;
		case UART_LSR:
			*val = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
			break;
		case UART_MSR:
			/* loopback mirrors MCR's outputs (the 8250 driver's probe checks this); else CTS, DSR, DCD */
			*val = u->mcr & MCR_LOOP ? ((u->mcr & 0x0c) << 4) | ((u->mcr & 0x03) << 4) : 0xb0;
			break;
		default:
			*val = u->scr;
		}
		update_irq(vm);
		return;
	}
	uint8_t v = *val;
	switch (reg) {
	case UART_THR:
		if (dlab) {
			u->dll = v;
		} else {
			if (!(u->mcr & MCR_LOOP))
				transmit(vm, v);
			else
				vuart_receive(vm, v);
			u->thre_pending = true; /* sent at once: the holding register is empty again */
		}
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
		} else {
			/* enabling THRI while the transmitter is empty raises the interrupt at once, as the chip does */
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thre_pending = true;
			u->ier = v & 0x0f;
		}
		break;
	case UART_FCR:
		u->fifo_enabled = v & 1;
		if (v & 2)
			u->rx_count = 0;
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default:
		break; /* LSR and MSR are read-only */
	}
	update_irq(vm);
}

void vuart_register(struct vm *vm)
{
	memset(&vm->uart, 0, sizeof(vm->uart));
	pio_register(&vm->pio, 0x3f8, 0x3ff, uart_io, &vm->uart, "uart");
}
