/*
 * The AHCI driver: SATA disks behind an AHCI HBA (PCI class 01.06.01; QEMU's q35 has an ICH9 one).  Polled, no
 * interrupts, no NCQ: READ/WRITE DMA EXT through each port's command list, several commands in it at once.  Packet
 * (ATAPI) devices, port multipliers and enclosure bridges are left alone.
 */
#ifndef DRIVERS_BLOCK_AHCI_H
#define DRIVERS_BLOCK_AHCI_H

/* Take each AHCI HBA from firmware, bring up the ports that have an ATA device on an active link, and register each
 * disk as a block device ("ahci<HBA>.p<port>").  Prints one line per HBA and per device left alone.  Call after
 * pci_init(), memory_init() and tsc_calibrate().  Returns the number of disks registered. */
unsigned ahci_probe(void);

#endif
