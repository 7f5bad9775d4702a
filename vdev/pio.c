#include <ballast/errno.h>
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vdev/vdev.h"

int pio_register(struct pio_table *t, uint16_t first, uint16_t last, pio_fn fn, void *dev, const char *name)
{
	if (t->n == VM_MAX_PIO_RANGES)
		return -ENOSPC;
	t->range[t->n++] = (struct pio_range){ first, last, fn, dev, name };
	return 0;
}

/* Ports that Linux pokes on a PC where nothing answers; reads of all ones and dropped writes are the right answer
 * (SPEC §5), so they are not worth a log line: keyboard controller, Super I/O, other COM ports, DMA page, PCI. */
static bool quietly_absent(uint16_t port)
{
	return port == 0x80 || port == 0x60 || port == 0x64 || port == 0x2e || port == 0x2f || port == 0x4e ||
	       port == 0x4f || port == 0x87 || (port >= 0xcf8 && port <= 0xcff) || (port & 0xfff8) == 0x2f8 ||
	       (port & 0xfff8) == 0x3e8 || (port & 0xfff8) == 0x2e8;
}

void pio_dispatch(struct vm *vm, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct pio_table *t = &vm->pio;

	for (unsigned i = 0; i < t->n; i++) {
		if (port >= t->range[i].first && port <= t->range[i].last) {
			t->range[i].fn(vm, t->range[i].dev, port, size, in, val);
			return;
		}
	}
	if (in)
		*val = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff;
	vm->stats.unclaimed_pio++;
	if (!quietly_absent(port) && !(t->unclaimed_logged[port / 8] & (1u << (port % 8)))) {
		t->unclaimed_logged[port / 8] |= 1u << (port % 8);
		printk("vm %s: %s port 0x%x (size %u): no device there%s\n", vm->name, in ? "read from" : "write to",
		       port, size, in ? ", reads as all ones" : ", ignored");
	}
}
