/*
 * Boot-time disk discovery: the drivers probe, every disk is listed with its first page checked, and the swap area
 * is chosen.  Only reads happen here.
 *
 * Where a signature is looked for, per disk:
 *   page 0 of the disk          a ballast header there makes the whole disk the area (mkswap.sh on /dev/sdY)
 *   else, on a GPT disk          page 0 of each used partition (mkswap.sh on /dev/sdY2, or --partition N): the
 *                                protective MBR, the primary header and the entry array must all check first
 *                                (lib/gpt.c), and a partition must start on a 4 KiB boundary, since ballast reads
 *                                and writes whole pages; one that does not is refused without being read
 * Each signature accepted becomes a struct disk_area bounded by its disk or partition (disks.h); nothing else here
 * is ever handed to a writer.
 */
#include <ballast/cmdline.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/gpt.h>
#include <ballast/string.h>
#include "drivers/block/ahci.h"
#include "drivers/block/ata.h"
#include "drivers/block/nvme.h"
#include "drivers/pci/pci.h"
#include "kernel/disks.h"
#include "kernel/memory.h"
#include "kernel/printk.h"

/* The entry array is read into this, page by page: at most GPT_ENTRIES_MAX_BYTES, which can straddle one page more
 * than it fills when it starts mid-page (LBA 2 of a 512-byte-sector disk is byte 1024 of page 0). */
#define GPT_READ_PAGES (GPT_ENTRIES_MAX_BYTES / PAGE_SIZE + 1)

struct swap_disk swap_disk;
static struct disk disks[BLOCKDEV_MAX];
static unsigned ndisks;
static struct disk_area areas[DISK_AREAS_MAX];
static unsigned nareas;
static uint8_t gpt_entries[GPT_READ_PAGES * PAGE_SIZE];

unsigned disks_count(void)
{
	return ndisks;
}

const struct disk *disks_get(unsigned i)
{
	return i < ndisks ? &disks[i] : 0;
}

unsigned disks_area_count(void)
{
	return nareas;
}

const struct disk_area *disks_area_get(unsigned i)
{
	return i < nareas ? &areas[i] : 0;
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

/* Read device page `page` of dev into *buf; on failure req->why says why. */
static int read_page(struct blockdev *dev, uint64_t page, mpn_t *buf, struct blockdev_request *req)
{
	*req = (struct blockdev_request){ .dir = BLOCKDEV_READ, .first_page = page, .npages = 1, .pages = buf };
	return blockdev_rw_sync(dev, req);
}

/* Record an area whose header swap_area_check() accepted at base_page, with extent_pages as its bound. */
static void add_area(struct disk *d, unsigned partition, uint64_t base_page, uint64_t extent_pages,
		     const struct swap_area_info *info)
{
	struct disk_area *a = &areas[nareas];
	char where[32], text[37];

	if (partition)
		fmt_snprintf(where, sizeof(where), "%s partition %u", d->dev->name, partition);
	else
		fmt_snprintf(where, sizeof(where), "%s", d->dev->name);
	swap_area_uuid_format(info->uuid, text);
	if (nareas == DISK_AREAS_MAX) {
		printk("disk %s: ballast swap area %s, but ballast keeps at most %u areas: not used\n", where, text,
		       DISK_AREAS_MAX);
		return;
	}
	*a = (struct disk_area){ .dev = d->dev, .partition = partition, .base_page = base_page,
				 .extent_pages = extent_pages, .info = *info };
	memcpy(a->name, where, sizeof(a->name));
	nareas++;
	d->nareas++;
	printk("disk %s: ballast swap area %s, %llu slots\n", where, text, (unsigned long long)info->nslots);
}

/* Partition numbers for one summary line: as many as fit, then "...". */
struct number_list {
	char text[64];
	unsigned n;
	bool full; /* "..." written: the rest are only counted */
};

static void number_list_add(struct number_list *l, unsigned number)
{
	size_t len = strlen(l->text);

	if (!l->full && len + sizeof(", 4294967295, ...") > sizeof(l->text)) {
		fmt_snprintf(l->text + len, sizeof(l->text) - len, ", ...");
		l->full = true;
	} else if (!l->full) {
		fmt_snprintf(l->text + len, sizeof(l->text) - len, "%s%u", l->n ? ", " : "", number);
	}
	l->n++;
}

/* Check the first page of used partition `number` (entry number - 1) for a signature.  An unsigned one is only
 * counted in *unsigned_parts: the caller sums those up in one line. */
static void check_partition(struct disk *d, const struct gpt_partition *p, unsigned number, mpn_t buf,
			    struct number_list *unsigned_parts)
{
	struct blockdev *dev = d->dev;
	/* first <= last <= last usable < the disk's sectors (lib/gpt.c): neither product can overflow. */
	uint64_t start = p->first_lba * dev->sector_size, bytes = (p->last_lba - p->first_lba + 1) * dev->sector_size;
	uint64_t base = start / PAGE_SIZE, extent = bytes / PAGE_SIZE;
	struct blockdev_request req;
	struct swap_area_info info;
	const char *why = "?";

	if (start % PAGE_SIZE) {
		printk("disk %s partition %u: starts at byte %llu, not on a 4 KiB boundary: left untouched\n", dev->name,
		       number, (unsigned long long)start);
		return;
	}
	if (!extent || base + extent > dev->npages) {
		printk("disk %s partition %u: holds no whole 4 KiB page: left untouched\n", dev->name, number);
		return;
	}
	if (read_page(dev, base, &buf, &req) < 0) {
		printk("disk %s partition %u: cannot read its first page (%s): left untouched\n", dev->name, number,
		       req.why);
		return;
	}
	int err = swap_area_check(mpn_to_ptr(buf), PAGE_SIZE, bytes, &info, &why);
	if (err == -ENOENT) {
		number_list_add(unsigned_parts, number);
		return;
	}
	if (err < 0) {
		printk("disk %s partition %u: ballast swap signature refused (%s): left untouched\n", dev->name, number,
		       why);
		return;
	}
	add_area(d, number, base, extent, &info);
}

/* The entry array of a checked header, read whole pages at a time into gpt_entries: a pointer to its first byte,
 * or NULL after saying why not. */
static const uint8_t *read_gpt_entries(struct disk *d, const struct gpt *gpt, mpn_t buf)
{
	struct blockdev *dev = d->dev;
	/* entries_lba < first usable LBA < the disk's sectors: no overflow. */
	uint64_t start = gpt->entries_lba * dev->sector_size, first = start / PAGE_SIZE;
	uint64_t last = gpt->entries_bytes ? (start + gpt->entries_bytes - 1) / PAGE_SIZE : first;
	struct blockdev_request req;

	if (last >= dev->npages) {
		printk("disk %s: GPT entry array beyond the disk's last whole page: left untouched\n", dev->name);
		return 0;
	}
	for (uint64_t page = first; page <= last && gpt->entries_bytes; page++) {
		if (read_page(dev, page, &buf, &req) < 0) {
			printk("disk %s: cannot read the GPT entry array (%s): left untouched\n", dev->name, req.why);
			return 0;
		}
		memcpy(gpt_entries + (page - first) * PAGE_SIZE, mpn_to_ptr(buf), PAGE_SIZE);
	}
	return gpt_entries + start % PAGE_SIZE;
}

/* A disk with no signature of ours on page 0 (already in buf) but a protective MBR: look at its GPT's partitions. */
static void check_gpt(struct disk *d, mpn_t buf)
{
	struct blockdev *dev = d->dev;
	/* The header's byte offset is one sector, which a page holds a whole number of (512 to 4096 bytes). */
	uint64_t header_page = (uint64_t)GPT_HEADER_LBA * dev->sector_size / PAGE_SIZE;
	size_t header_offset = (uint64_t)GPT_HEADER_LBA * dev->sector_size % PAGE_SIZE;
	struct number_list unsigned_parts = { .n = 0 };
	struct blockdev_request req;
	struct gpt_partition part;
	const char *why = "?";
	struct gpt gpt;
	unsigned used = 0;

	if (header_page && read_page(dev, header_page, &buf, &req) < 0) {
		printk("disk %s: cannot read its GPT header (%s): left untouched\n", dev->name, req.why);
		return;
	}
	int err = gpt_parse_header((const uint8_t *)mpn_to_ptr(buf) + header_offset, PAGE_SIZE - header_offset,
				   dev->sector_size, dev->nsectors, &gpt, &why);
	if (err == -ENOENT) {
		printk("disk %s: no ballast swap signature (a protective MBR, but %s): left untouched\n", dev->name, why);
		return;
	}
	if (err < 0) {
		printk("disk %s: GPT refused (%s): left untouched\n", dev->name, why);
		return;
	}
	const uint8_t *entries = read_gpt_entries(d, &gpt, buf);
	if (!entries)
		return;
	if (gpt_check_entries(&gpt, entries, gpt.entries_bytes, &why) < 0) {
		printk("disk %s: GPT refused (%s): left untouched\n", dev->name, why);
		return;
	}
	d->has_gpt = true;
	/* The array checked as a whole, each entry is now either used and valid (0) or unused (-ENOENT). */
	for (uint32_t i = 0; i < gpt.num_entries; i++)
		used += gpt_get_entry(&gpt, entries, gpt.entries_bytes, i, &part, 0) == 0;
	printk("disk %s: GPT, %u partition%s\n", dev->name, used, used == 1 ? "" : "s");
	for (uint32_t i = 0; i < gpt.num_entries; i++)
		if (gpt_get_entry(&gpt, entries, gpt.entries_bytes, i, &part, 0) == 0)
			check_partition(d, &part, i + 1, buf, &unsigned_parts);
	if (unsigned_parts.n)
		printk("disk %s partition%s %s: no ballast swap signature: left untouched\n", dev->name,
		       unsigned_parts.n == 1 ? "" : "s", unsigned_parts.text);
}

/* Read page 0 of d's device into buf: a signature there makes the whole disk an area; else look for a GPT. */
static void check_disk(struct disk *d, mpn_t buf)
{
	struct blockdev *dev = d->dev;
	struct blockdev_request req;
	struct swap_area_info info;
	const char *why = "?";

	if (read_page(dev, 0, &buf, &req) < 0) {
		printk("disk %s: cannot read its first page (%s): left untouched\n", dev->name, req.why);
		return;
	}
	int err = swap_area_check(mpn_to_ptr(buf), PAGE_SIZE, dev->npages * BLOCKDEV_PAGE_SIZE, &info, &why);
	if (err == 0) {
		add_area(d, 0, 0, dev->npages, &info);
		return;
	}
	if (err != -ENOENT) {
		printk("disk %s: ballast swap signature refused (%s): left untouched\n", dev->name, why);
		return;
	}
	/* No signature on the disk: a GPT disk's partitions may carry one; any other disk is not ours. */
	if (gpt_check_protective_mbr(mpn_to_ptr(buf), PAGE_SIZE, 0) < 0) {
		printk("disk %s: %s: left untouched\n", dev->name, why);
		return;
	}
	check_gpt(d, buf);
}

void disks_choose_swap(bool off, const uint8_t *uuid)
{
	char text[37];

	for (unsigned i = 0; i < nareas; i++) {
		const struct disk_area *a = &areas[i];

		swap_area_uuid_format(a->info.uuid, text);
		const char *skip = off ? "swap is off in the configuration"
				   : swap_disk.dev ? "ballast uses one swap area, the first found"
				   : uuid && memcmp(uuid, a->info.uuid, 16) ? "the configuration names another area" : 0;
		if (skip) {
			printk("swap: area %s on %s not used: %s\n", text, a->name, skip);
			continue;
		}
		swap_disk = (struct swap_disk){ .dev = a->dev, .first_slot_page = disk_area_slot_page(a, 0),
						.nslots = a->info.nslots };
		memcpy(swap_disk.uuid, a->info.uuid, sizeof(swap_disk.uuid));
		printk("swap: area %s on %s, %llu slots (%llu MiB)\n", text, a->name, (unsigned long long)a->info.nslots,
		       (unsigned long long)(a->info.nslots * PAGE_SIZE >> 20));
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
		check_disk(d, buf);
	}
	frame_free_page(&frames, buf);
}
