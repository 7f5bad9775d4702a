/*
 * The ATA driver: parallel-ATA disks on the legacy channels of a PCI IDE controller (the PIIX family, which QEMU's
 * and Bochs's PCs have), or on the fixed PC/AT ports when PCI shows no IDE controller.  Polled, no interrupts; PIO,
 * and PIIX bus-master DMA where the controller and the drive offer it.  Packet (ATAPI) devices are left alone.
 */
#ifndef DRIVERS_BLOCK_ATA_H
#define DRIVERS_BLOCK_ATA_H

#include <stdbool.h>

/* Find the channels and their disks, print one line per channel and per device skipped, and register each disk as a
 * block device ("ata<channel>.<unit>").  use_dma false keeps every command on PIO.  Call after pci_init() and
 * tsc_calibrate().  Returns the number of disks registered. */
unsigned ata_probe(bool use_dma);

#endif
