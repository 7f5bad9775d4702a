/*
 * Virtual 16550A UART at 0x3f8 (IRQ 4): the guest's console.  Transmitted bytes are collected into lines and written
 * to the host console prefixed with "[<vm name>] ".  The transmitter is always ready; its interrupt (THRE) is
 * modelled because Linux's tty layer waits for it before sending more.  Input from the host console can be queued
 * into the receive buffer (the monitor routes it).
 */
#ifndef VDEV_UART_H
#define VDEV_UART_H

#include <stdbool.h>
#include <stdint.h>

#define VUART_LINE_MAX 200
#define VUART_RX_MAX 64

struct vuart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool thre_pending; /* THR-empty interrupt waiting to be identified through IIR */
	bool fifo_enabled;
	uint8_t rx[VUART_RX_MAX];
	unsigned rx_head, rx_count;
	char line[VUART_LINE_MAX + 1];
	unsigned line_len;
	uint64_t tx_bytes;
};

struct vm;
void vuart_register(struct vm *vm);
bool vuart_receive(struct vm *vm, uint8_t c);
void vuart_flush(struct vm *vm); /* print a partial line (VM stopping) */

#endif
