/*
 * Host PCI enumeration through configuration mechanism 1.
 *
 * The walk follows the bus numbers the firmware assigned: bus 0 first, then, for each PCI-to-PCI bridge, its
 * secondary bus.  Brute force (every bus 0-255) would find the same functions on any machine whose firmware
 * enumerated PCI - and a function behind a bridge that was never given bus numbers or windows could not be used
 * without reprogramming the bridge anyway.  Following bridges costs about 32 configuration reads per populated bus
 * instead of 8,192 (256 buses x 32 devices), which matters under Bochs, where each port access is an emulated
 * exit.  A host bridge that is itself multi-function means several host controllers: function n is the root of
 * bus n (PCI 3.0 §3.2.2.3.2, as firmware and Linux read it).
 *
 * ECAM (PCI Express enhanced configuration, the MCFG table of ACPI) would be set up here, ahead of mechanism 1,
 * once ballast has an ACPI table parser: it is needed for extended configuration space (offsets 256-4095: AER,
 * SR-IOV), which no driver of ballast reads yet.
 */
#include <ballast/errno.h>
#include <ballast/format.h>
#include "arch/x86_64/cpu.h"
#include "drivers/pci/pci.h"
#include "kernel/printk.h"

static struct pci_dev functions[PCI_MAX_FUNCTIONS];
static unsigned nfunctions, dropped;
static bool bus_walked[PCI_MAX_BUS];

static uint32_t config_address(const struct pci_dev *d, uint8_t off)
{
	return PCI_CONFIG_ENABLE | (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 | (uint32_t)d->fn << 8 | (off & 0xfc);
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_CONFIG_ADDRESS, config_address(d, off));
	return inb(PCI_CONFIG_DATA + (off & 3));
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_CONFIG_ADDRESS, config_address(d, off));
	return inw(PCI_CONFIG_DATA + (off & 2));
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_CONFIG_ADDRESS, config_address(d, off));
	return inl(PCI_CONFIG_DATA);
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	outl(PCI_CONFIG_ADDRESS, config_address(d, off));
	outw(PCI_CONFIG_DATA + (off & 2), v);
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, config_address(d, off));
	outl(PCI_CONFIG_DATA, v);
}

/* Mechanism 1 is there when CONFIG_ADDRESS reads back what was written (a machine without it floats to 0xff...). */
static bool mechanism1_present(void)
{
	uint32_t saved = inl(PCI_CONFIG_ADDRESS);

	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE);
	bool present = inl(PCI_CONFIG_ADDRESS) == PCI_CONFIG_ENABLE;
	outl(PCI_CONFIG_ADDRESS, saved);
	return present;
}

static void walk_bus(uint8_t bus);

static void add_function(const struct pci_dev *probe)
{
	struct pci_dev d = *probe;

	d.vendor = pci_read16(&d, PCI_VENDOR_ID);
	d.device = pci_read16(&d, PCI_DEVICE_ID);
	d.revision = pci_read8(&d, PCI_REVISION_ID);
	d.prog_if = pci_read8(&d, PCI_PROG_IF);
	d.subclass = pci_read8(&d, PCI_SUBCLASS);
	d.base_class = pci_read8(&d, PCI_BASE_CLASS);
	d.header_type = pci_read8(&d, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;

	uint8_t secondary = 0;
	char buses[24] = "";
	if (d.header_type == PCI_HEADER_BRIDGE) {
		secondary = pci_read8(&d, PCI_SECONDARY_BUS);
		fmt_snprintf(buses, sizeof(buses), ", buses %02x-%02x", secondary, pci_read8(&d, PCI_SUBORDINATE_BUS));
	}
	printk("pci: %02x:%02x.%u %04x:%04x class %02x.%02x.%02x %s%s\n", d.bus, d.dev, d.fn, d.vendor, d.device,
	       d.base_class, d.subclass, d.prog_if, pci_class_name(d.base_class, d.subclass), buses);
	if (nfunctions < PCI_MAX_FUNCTIONS)
		functions[nfunctions++] = d;
	else
		dropped++;

	/* Secondary bus 0 means the firmware left this bridge unconfigured: nothing behind it is reachable. */
	if (d.header_type == PCI_HEADER_BRIDGE && secondary != 0)
		walk_bus(secondary);
}

static void walk_bus(uint8_t bus)
{
	/* Each bus once, whatever the bridges claim: a misprogrammed secondary number must not loop the walk. */
	if (bus_walked[bus])
		return;
	bus_walked[bus] = true;

	for (uint8_t dev = 0; dev < PCI_MAX_DEVICE; dev++) {
		struct pci_dev probe = { .bus = bus, .dev = dev, .fn = 0 };

		if (pci_read16(&probe, PCI_VENDOR_ID) == 0xffff)
			continue; /* function 0 is mandatory: no device in this slot */
		unsigned nfn = pci_read8(&probe, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION ? PCI_MAX_FUNCTION : 1;
		for (uint8_t fn = 0; fn < nfn; fn++) {
			probe.fn = fn;
			if (pci_read16(&probe, PCI_VENDOR_ID) != 0xffff)
				add_function(&probe);
		}
	}
}

void pci_init(void)
{
	if (!mechanism1_present()) {
		printk("pci: no configuration mechanism 1 at 0xcf8: no PCI devices used\n");
		return;
	}
	struct pci_dev host = { 0 };
	if (pci_read8(&host, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION) {
		for (uint8_t fn = 0; fn < PCI_MAX_FUNCTION; fn++) {
			host.fn = fn;
			if (pci_read16(&host, PCI_VENDOR_ID) != 0xffff)
				walk_bus(fn);
		}
	} else {
		walk_bus(0);
	}
	printk("pci: %u functions\n", nfunctions + dropped);
	if (dropped)
		printk("pci: warning: %u functions beyond the first %u are not available to drivers\n", dropped,
		       PCI_MAX_FUNCTIONS);
}

unsigned pci_count(void)
{
	return nfunctions;
}

const struct pci_dev *pci_get(unsigned i)
{
	return i < nfunctions ? &functions[i] : 0;
}

const struct pci_dev *pci_find_class(uint8_t base_class, uint8_t subclass, const struct pci_dev *after)
{
	unsigned i = after ? (unsigned)(after - functions) + 1 : 0;

	for (; i < nfunctions; i++)
		if (functions[i].base_class == base_class && functions[i].subclass == subclass)
			return &functions[i];
	return 0;
}

static bool bar_is64(uint32_t v)
{
	return !(v & PCI_BAR_SPACE_IO) && (v & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
}

int pci_read_bar(const struct pci_dev *d, unsigned i, struct pci_bar *bar)
{
	unsigned nbars = d->header_type == PCI_HEADER_NORMAL ? PCI_BARS_NORMAL
			 : d->header_type == PCI_HEADER_BRIDGE ? PCI_BARS_BRIDGE
							       : 0;
	if (i >= nbars)
		return -EINVAL;
	/* Walk from BAR 0: the high half of a 64-bit BAR can hold any bits, so only the walk tells halves apart. */
	unsigned j = 0;
	while (j < i)
		j += bar_is64(pci_read32(d, PCI_BAR0 + 4 * j)) ? 2 : 1;
	if (j != i)
		return -EINVAL;

	uint8_t off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_read32(d, off), hi = 0, mask_lo, mask_hi = 0;
	bool is64 = bar_is64(lo) && i + 1 < nbars;
	/* Writing all ones makes the BAR read back its size mask; stop decoding meanwhile, so that the function does not
	 * answer at whatever address the ones form. */
	uint16_t command = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, command & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	pci_write32(d, off, 0xffffffffU);
	mask_lo = pci_read32(d, off);
	pci_write32(d, off, lo);
	if (is64) {
		hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xffffffffU);
		mask_hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
	}
	pci_write16(d, PCI_COMMAND, command);

	*bar = (struct pci_bar){ .io = lo & PCI_BAR_SPACE_IO, .is64 = is64 };
	if (bar->io) {
		uint32_t mask = mask_lo & PCI_BAR_IO_MASK;
		if (!mask)
			return -ENOENT;
		if (!(mask & 0xffff0000U))
			mask |= 0xffff0000U; /* a 16-bit I/O decoder leaves the upper bits zero */
		bar->base = lo & PCI_BAR_IO_MASK;
		bar->size = (uint32_t)(~mask + 1);
		return 0;
	}
	uint64_t mask = (uint64_t)mask_hi << 32 | (mask_lo & PCI_BAR_MEM_MASK);
	if (!mask)
		return -ENOENT;
	if (!is64)
		mask |= 0xffffffff00000000ULL;
	bar->base = (uint64_t)hi << 32 | (lo & PCI_BAR_MEM_MASK);
	bar->size = ~mask + 1;
	bar->prefetchable = lo & PCI_BAR_MEM_PREFETCHABLE;
	return 0;
}

uint16_t pci_enable(const struct pci_dev *d, uint16_t command_bits)
{
	uint16_t command = pci_read16(d, PCI_COMMAND) | command_bits;

	pci_write16(d, PCI_COMMAND, command);
	return pci_read16(d, PCI_COMMAND);
}
