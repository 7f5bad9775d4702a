/*
 * Host PCI: the functions found at boot, and the helpers a device driver uses to find, read and enable its own.
 *
 * Configuration space is reached through configuration mechanism 1 (PCI Local Bus Specification 3.0, §3.2.2.3.2):
 * a dword address written to CONFIG_ADDRESS (port 0xcf8), the data through CONFIG_DATA (0xcfc).  It reaches the
 * first 256 bytes of each function, which is all a legacy IDE controller needs.  Register names are those of the
 * configuration header (PCI 3.0 §6.1; PCI-to-PCI Bridge Architecture 1.2 §3.2 for type 1 headers).
 *
 * The address/data pair is not atomic: with more than one CPU, every access needs a lock around its two steps.
 * Today one CPU runs the hypervisor and nothing else touches 0xcf8.
 */
#ifndef DRIVERS_PCI_PCI_H
#define DRIVERS_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/compiler.h>

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE BIT(31) /* CONFIG_ADDRESS bit 31: this is a configuration cycle */

#define PCI_MAX_BUS 256
#define PCI_MAX_DEVICE 32
#define PCI_MAX_FUNCTION 8

/* Configuration header, common to all types */
#define PCI_VENDOR_ID 0x00 /* 16 bits; 0xffff: no function answers (master abort) */
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04 /* 16 bits */
#define PCI_COMMAND_IO BIT(0)	  /* I/O Space: respond to I/O BARs */
#define PCI_COMMAND_MEMORY BIT(1) /* Memory Space: respond to memory BARs */
#define PCI_COMMAND_MASTER BIT(2) /* Bus Master: may start DMA */
#define PCI_COMMAND_INTX_DISABLE BIT(10) /* Interrupt Disable: the function may not assert INTx */
#define PCI_REVISION_ID 0x08
#define PCI_PROG_IF 0x09  /* Class Code byte 0: programming interface */
#define PCI_SUBCLASS 0x0a /* Class Code byte 1 */
#define PCI_BASE_CLASS 0x0b /* Class Code byte 2 */
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_MULTIFUNCTION 0x80 /* functions 1-7 may exist; without it only function 0 is decoded */
#define PCI_HEADER_NORMAL 0
#define PCI_HEADER_BRIDGE 1  /* PCI-to-PCI bridge */
#define PCI_HEADER_CARDBUS 2
#define PCI_BAR0 0x10 /* Base Address Registers: six in a type 0 header, two in a type 1 */
#define PCI_BARS_NORMAL 6
#define PCI_BARS_BRIDGE 2
#define PCI_BAR_SPACE_IO BIT(0)
#define PCI_BAR_IO_MASK 0xfffffffcU
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_TYPE_64 0x4 /* this BAR holds the low half, the next one the high half */
#define PCI_BAR_MEM_PREFETCHABLE BIT(3)
#define PCI_BAR_MEM_MASK 0xfffffff0U

/* Type 1 header (PCI-to-PCI bridge) */
#define PCI_PRIMARY_BUS 0x18
#define PCI_SECONDARY_BUS 0x19	 /* the bus behind the bridge */
#define PCI_SUBORDINATE_BUS 0x1a /* the highest bus behind it */

/* Class codes (PCI Code and ID Assignment Specification 1.x) used by ballast's drivers */
#define PCI_CLASS_MASS_STORAGE 0x01
#define PCI_SUBCLASS_IDE 0x01
#define PCI_SUBCLASS_SATA 0x06 /* programming interface 01: AHCI */
#define PCI_SUBCLASS_NVM 0x08  /* programming interface 02: NVMe */
#define PCI_PROGIF_NVME 0x02
#define PCI_PROGIF_AHCI 0x01
#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_HOST_BRIDGE 0x00
#define PCI_SUBCLASS_PCI_BRIDGE 0x04

#define PCI_MAX_FUNCTIONS 64 /* functions remembered; more are printed and counted as dropped */

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t base_class, subclass, prog_if, revision;
	uint8_t header_type; /* PCI_HEADER_*, without the multifunction bit */
};

struct pci_bar {
	uint64_t base; /* bus address (I/O port or memory); 0: implemented but not assigned by firmware */
	uint64_t size; /* bytes decoded */
	bool io;       /* I/O space, else memory space */
	bool is64;     /* a 64-bit memory BAR: it uses the next BAR register as well */
	bool prefetchable;
};

/* Find every function, remember them and print one line each.  Call once at boot. */
void pci_init(void);

unsigned pci_count(void);
const struct pci_dev *pci_get(unsigned i); /* NULL beyond pci_count() */
/* The next function after `after` (NULL: from the first) with this base class and subclass; NULL when none. */
const struct pci_dev *pci_find_class(uint8_t base_class, uint8_t subclass, const struct pci_dev *after);
/* "IDE controller", "PCI bridge", ...; a generic name for the base class when the subclass is not in the table. */
const char *pci_class_name(uint8_t base_class, uint8_t subclass);

uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);

/*
 * Decode BAR i: base, kind and size (found by the usual write-ones probe, with the function's decoding switched off
 * for the moment it takes).  0, -EINVAL for an index the header does not have (or the upper half of a 64-bit BAR),
 * -ENOENT for a BAR the function does not implement.
 */
int pci_read_bar(const struct pci_dev *d, unsigned i, struct pci_bar *bar);

/* Set bits in the Command register (PCI_COMMAND_IO, _MEMORY, _MASTER); returns the register's new value. */
uint16_t pci_enable(const struct pci_dev *d, uint16_t command_bits);

#endif
