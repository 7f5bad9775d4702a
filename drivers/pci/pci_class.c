/*
 * Short names for PCI class codes (PCI Code and ID Assignment Specification), for the boot log only: the classes a
 * PC or an emulator commonly shows, and a name per base class for the rest.
 */
#include <ballast/compiler.h>
#include "drivers/pci/pci.h"

#define ANY_SUBCLASS 0xff /* a row naming the whole base class; tried after the exact rows */

static const struct {
	uint8_t base_class, subclass;
	const char *name;
} names[] = {
	{ 0x00, 0x01, "VGA-compatible device" },
	{ 0x01, 0x00, "SCSI controller" },
	{ 0x01, 0x01, "IDE controller" },
	{ 0x01, 0x02, "floppy controller" },
	{ 0x01, 0x04, "RAID controller" },
	{ 0x01, 0x05, "ATA controller" },
	{ 0x01, 0x06, "SATA controller" },
	{ 0x01, 0x07, "SAS controller" },
	{ 0x01, 0x08, "NVM controller" },
	{ 0x02, 0x00, "Ethernet controller" },
	{ 0x03, 0x00, "VGA controller" },
	{ 0x04, 0x01, "audio device" },
	{ 0x04, 0x03, "HD audio controller" },
	{ 0x05, 0x00, "RAM controller" },
	{ 0x06, 0x00, "host bridge" },
	{ 0x06, 0x01, "ISA bridge" },
	{ 0x06, 0x04, "PCI bridge" },
	{ 0x06, 0x80, "bridge" },
	{ 0x07, 0x00, "serial controller" },
	{ 0x08, 0x00, "interrupt controller" },
	{ 0x08, 0x80, "system peripheral" },
	{ 0x0c, 0x03, "USB controller" },
	{ 0x0c, 0x05, "SMBus controller" },
	{ 0x00, ANY_SUBCLASS, "unclassified device" },
	{ 0x01, ANY_SUBCLASS, "mass storage controller" },
	{ 0x02, ANY_SUBCLASS, "network controller" },
	{ 0x03, ANY_SUBCLASS, "display controller" },
	{ 0x04, ANY_SUBCLASS, "multimedia device" },
	{ 0x05, ANY_SUBCLASS, "memory controller" },
	{ 0x06, ANY_SUBCLASS, "bridge" },
	{ 0x07, ANY_SUBCLASS, "communication controller" },
	{ 0x08, ANY_SUBCLASS, "system peripheral" },
	{ 0x09, ANY_SUBCLASS, "input controller" },
	{ 0x0c, ANY_SUBCLASS, "serial bus controller" },
	{ 0x0d, ANY_SUBCLASS, "wireless controller" },
	{ 0x10, ANY_SUBCLASS, "encryption controller" },
	{ 0x11, ANY_SUBCLASS, "signal processing controller" },
	{ 0x12, ANY_SUBCLASS, "processing accelerator" },
};

const char *pci_class_name(uint8_t base_class, uint8_t subclass)
{
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].base_class == base_class && names[i].subclass == subclass)
			return names[i].name;
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].base_class == base_class && names[i].subclass == ANY_SUBCLASS)
			return names[i].name;
	return "device";
}
