/*
 * Boot-time disk discovery: the drivers probe, every disk is listed with its first page checked, and the swap area
 * is chosen.  Only reads happen here.
 */
#include <ballast/cmdline.h>
#include <ballast/errno.h>
#include <ballast/string.h>
#include "drivers/block/ahci.h"
#include "drivers/block/ata.h"
#include "drivers/block/nvme.h"
#include "drivers/pci/pci.h"
#include "kernel/disks.h"
#include "kernel/memory.h"
#include "kernel/printk.h"

struct swap_disk swap_disk;
static struct disk disks[BLOCKDEV_MAX];
static unsigned ndisks;

unsigned disks_count(void)
{
	return ndisks;
}

const struct disk *disks_get(unsigned i)
{
	return i < ndisks ? &disks[i] : 0;
}

/* Mass-storage controllers that need a driver ballast does not have yet: say so, so a missing disk is explained. */
static void report_controllers_without_driver(void)
{
	for (unsigned i = 0; i < pci_count(); i++) {
		const struct pci_dev *d = pci_get(i);

		if (d->base_class != PCI_CLASS_MASS_STORAGE || d->subclass == PCI_SUBCLASS_IDE)
			continue;
		if (d->subclass == PCI_SUBCLASS_NVM && d->prog_if == PCI_PROGIF_NVME)
			continue; /* drivers/block/nvme.c */
		if (d->subclass == PCI_SUBCLASS_SATA && d->prog_if == PCI_PROGIF_AHCI)
			continue; /* drivers/block/ahci.c */
		printk("disk: %02x:%02x.%u %s: no driver yet, its disks are not used\n", d->bus, d->dev, d->fn,
		       pci_class_name(d->base_class, d->subclass));
	}
}

static bool dma_allowed(const char *cmdline)
{
	char v[8];

	if (!cmdline || !cmdline_get(cmdline, "ata.dma", v, sizeof(v)))
		return true;
	return strcmp(v, "off") && strcmp(v, "0");
}

/* Read page 0 of d's device into buf and decide whether it carries a usable swap area. */
static void check_first_page(struct disk *d, mpn_t buf)
{
	struct blockdev *dev = d->dev;
	struct blockdev_request req = { .dir = BLOCKDEV_READ, .first_page = 0, .npages = 1, .pages = &buf };
	const char *why = "?";

	if (blockdev_rw_sync(dev, &req) < 0) {
		printk("disk %s: cannot read its first page (%s): left untouched\n", dev->name, req.why);
		return;
	}
	int err = swap_area_check(mpn_to_ptr(buf), PAGE_SIZE, dev->npages * BLOCKDEV_PAGE_SIZE, &d->area, &why);
	if (err == -ENOENT) {
		printk("disk %s: %s: left untouched\n", dev->name, why);
		return;
	}
	if (err < 0) {
		printk("disk %s: ballast swap signature refused (%s): left untouched\n", dev->name, why);
		return;
	}
	d->has_swap_area = true;
}

void disks_choose_swap(bool off, const uint8_t *uuid)
{
	char text[37];

	for (unsigned i = 0; i < ndisks; i++) {
		const struct disk *d = &disks[i];

		if (!d->has_swap_area)
			continue;
		swap_area_uuid_format(d->area.uuid, text);
		const char *skip = off ? "swap is off in the configuration"
				   : swap_disk.dev ? "ballast uses one swap area, the first found"
				   : uuid && memcmp(uuid, d->area.uuid, 16) ? "the configuration names another area" : 0;
		if (skip) {
			printk("swap: area %s on %s not used: %s\n", text, d->dev->name, skip);
			continue;
		}
		swap_disk = (struct swap_disk){ .dev = d->dev, .first_slot_page = swap_disk_slot_page(0), .nslots = d->area.nslots };
		memcpy(swap_disk.uuid, d->area.uuid, sizeof(swap_disk.uuid));
		printk("swap: area %s on %s, %llu slots (%llu MiB)\n", text, d->dev->name,
		       (unsigned long long)d->area.nslots, (unsigned long long)(d->area.nslots * PAGE_SIZE >> 20));
	}
	if (swap_disk.dev)
		return;
	if (off) {
		printk("swap: off (configuration): hypervisor swap disabled\n");
	} else if (uuid) {
		swap_area_uuid_format(uuid, text);
		printk("swap: no disk carries the swap area %s the configuration names: hypervisor swap disabled\n", text);
	} else {
		printk("swap: no disk carries a ballast swap area: hypervisor swap disabled\n");
	}
}

void disks_init(const char *cmdline)
{
	ata_probe(dma_allowed(cmdline));
	ahci_probe();
	nvme_probe();
	report_controllers_without_driver();
	if (!blockdev_count()) {
		printk("disk: no disks found\n");
		return;
	}
	mpn_t buf = frame_alloc_page(&frames);
	if (!mpn_valid(buf)) {
		printk("disk: no free page to read the disks' headers: no disk used\n");
		return;
	}
	for (unsigned i = 0; i < blockdev_count() && ndisks < BLOCKDEV_MAX; i++) {
		struct disk *d = &disks[ndisks++];
		struct blockdev *dev = blockdev_get(i);

		*d = (struct disk){ .dev = dev };
		printk("disk %s: %llu MiB, %u-byte sectors, \"%s\" %s\n", dev->name,
		       (unsigned long long)(dev->npages * BLOCKDEV_PAGE_SIZE >> 20), dev->sector_size, dev->model,
		       dev->features);
		check_first_page(d, buf);
	}
	frame_free_page(&frames, buf);
}
