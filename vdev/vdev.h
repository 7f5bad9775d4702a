/*
 * The virtual platform each VM sees: the smallest set of legacy PC devices the stock Linux kernel needs when booted
 * with "acpi=off nolapic pci=off nosmp" (SPEC §5): 8259 PIC pair, 8254 PIT with port 0x61, CMOS RTC, 16550 UART.
 * Everything is emulated in the hypervisor; nothing is passed through.
 *
 * Port I/O reaches a device through the VM's port table.  Ports no device claims read as all ones and ignore
 * writes, as on a PC with nothing there; the first access to each such port is logged once.
 */
#ifndef VDEV_VDEV_H
#define VDEV_VDEV_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* size is 1, 2 or 4; for an IN the handler stores the value in *val. */
typedef void (*pio_fn)(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in, uint32_t *val);

struct pio_range {
	uint16_t first, last;
	pio_fn fn;
	void *dev;
	const char *name;
};

#define VM_MAX_PIO_RANGES 16

struct pio_table {
	struct pio_range range[VM_MAX_PIO_RANGES];
	unsigned n;
	uint8_t unclaimed_logged[65536 / 8]; /* one bit per port: logged once */
};

int pio_register(struct pio_table *t, uint16_t first, uint16_t last, pio_fn fn, void *dev, const char *name);
void pio_dispatch(struct vm *vm, uint16_t port, unsigned size, bool in, uint32_t *val);

#endif
