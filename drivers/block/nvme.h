/*
 * The NVMe driver: PCI controllers of class 01.08.02, each with one polled I/O queue pair (no interrupts) shared by
 * its namespaces; READ and WRITE with PRP lists, many commands in flight, a deadline on each.  Namespaces whose
 * blocks carry metadata, or are neither 512 nor 4096 bytes, are left alone.
 */
#ifndef DRIVERS_BLOCK_NVME_H
#define DRIVERS_BLOCK_NVME_H

/* Find the controllers, reset and bring up each, print one line per controller and per namespace skipped, and
 * register each usable namespace as a block device ("nvme<controller>n<nsid>").  Call after pci_init() and
 * tsc_calibrate().  Returns the number of namespaces registered. */
unsigned nvme_probe(void);

#endif
