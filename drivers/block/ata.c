/*
 * Finding ATA disks: the channels of each PCI IDE controller (class 01.01; compatibility-mode channels at the PC/AT
 * ports, native-mode ones at their BARs), or the two PC/AT channels when PCI has none; then IDENTIFY DEVICE on each
 * of the channel's two units.
 *
 * Probing is boot-time work and may spin, with a deadline on every wait.  Nothing here resets a channel: Bochs boots
 * the ISO from a packet (ATAPI) CD-ROM on ata0's master, and the only command it sees from ballast is IDENTIFY
 * DEVICE, which a packet device aborts by specification, leaving its signature in LBA Mid/High.
 */
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "arch/x86_64/tsc.h"
#include "drivers/block/ata.h"
#include "drivers/block/ata_acs.h"
#include "drivers/block/ata_internal.h"
#include "drivers/pci/pci.h"
#include "kernel/printk.h"

static struct ata_channel channels[ATA_MAX_CHANNELS];
static unsigned nchannels;
static struct ata_drive drives[ATA_MAX_CHANNELS * 2];
static unsigned ndrives;
/* One PRD table per channel, in the image (identity-mapped below 4 GiB); the alignment keeps each table inside one
 * 64 KiB block, as the bus master requires. */
#define PRDT_BYTES (ATA_MAX_PAGES_PER_COMMAND * sizeof(struct bmide_prd))
_Static_assert((PRDT_BYTES & (PRDT_BYTES - 1)) == 0 && PRDT_BYTES <= 65536, "PRD table alignment keeps it in 64 KiB");
static struct bmide_prd prd_tables[ATA_MAX_CHANNELS][ATA_MAX_PAGES_PER_COMMAND] __aligned(PRDT_BYTES);

static void add_channel(uint16_t cmd, uint16_t ctrl, uint16_t bmide, const char *where)
{
	for (unsigned i = 0; i < nchannels; i++)
		if (channels[i].cmd == cmd)
			return; /* two controllers cannot both decode the same compatibility ports */
	if (nchannels == ATA_MAX_CHANNELS) {
		printk("ata: more than %u channels: ignoring the one at 0x%x\n", ATA_MAX_CHANNELS, cmd);
		return;
	}
	struct ata_channel *ch = &channels[nchannels];
	*ch = (struct ata_channel){ .cmd = cmd, .ctrl = ctrl, .bmide = bmide, .selected = -1,
				    .prdt = prd_tables[nchannels] };
	fmt_snprintf(ch->name, sizeof(ch->name), "ata%u", nchannels);
	nchannels++;
	if (bmide)
		printk("ata: %s: %s, ports 0x%x/0x%x, bus-master DMA at 0x%x\n", ch->name, where, cmd, ctrl, bmide);
	else
		printk("ata: %s: %s, ports 0x%x/0x%x, PIO only\n", ch->name, where, cmd, ctrl);
}

static bool io_bar(const struct pci_dev *d, unsigned i, uint16_t *base)
{
	struct pci_bar bar;

	if (pci_read_bar(d, i, &bar) < 0 || !bar.io || !bar.base || bar.base > 0xffff)
		return false;
	*base = (uint16_t)bar.base;
	return true;
}

static void add_pci_controller(const struct pci_dev *d)
{
	uint16_t bm = 0;
	char where[32];

	if (!(d->prog_if & IDE_PROGIF_BUS_MASTER) || !io_bar(d, IDE_BAR_BUS_MASTER, &bm))
		bm = 0; /* PIO only */
	/* Decode its ports; let it master the bus only when it has the bus-master registers to be told what to do. */
	pci_enable(d, PCI_COMMAND_IO | (bm ? PCI_COMMAND_MASTER : 0));
	for (unsigned c = 0; c < 2; c++) {
		uint16_t cmd = c ? ATA_COMPAT_SECONDARY_CMD : ATA_COMPAT_PRIMARY_CMD;
		uint16_t ctrl = c ? ATA_COMPAT_SECONDARY_CTRL : ATA_COMPAT_PRIMARY_CTRL;
		bool native = d->prog_if & IDE_PROGIF_NATIVE(c);

		if (native && (!io_bar(d, 2 * c, &cmd) || !io_bar(d, 2 * c + 1, &ctrl))) {
			printk("ata: %02x:%02x.%u channel %u is in native mode without I/O BARs: skipped\n", d->bus,
			       d->dev, d->fn, c);
			continue;
		}
		if (native)
			ctrl += ATA_NATIVE_CTRL_OFFSET;
		fmt_snprintf(where, sizeof(where), "%02x:%02x.%u channel %u%s", d->bus, d->dev, d->fn, c,
			     native ? " (native)" : "");
		add_channel(cmd, ctrl, bm ? bm + c * BMIDE_CHANNEL_STRIDE : 0, where);
	}
}

/* Spin until BSY clears; the final Status (alternate: nothing is cleared), or -1 at the deadline. */
static int wait_not_busy(const struct ata_channel *ch, uint64_t deadline)
{
	for (;;) {
		uint8_t status = ata_alt_status(ch);

		if (!(status & ATA_STATUS_BSY))
			return status;
		if (tsc_passed(deadline))
			return -1;
		cpu_relax();
	}
}

/* IDENTIFY DEVICE on one unit.  0 with id[] filled; -ENOENT nobody there; -ENOTSUP a packet device (the words are
 * not read); -EIO a device that did not answer in time. */
static int identify(struct ata_channel *ch, unsigned unit, uint16_t id[ATA_ID_WORDS])
{
	ch->selected = -1; /* always select afresh: firmware left the register as it liked */
	ata_select(ch, unit);
	uint8_t status = inb(ch->cmd + ATA_REG_STATUS);
	/* 0xff: nothing drives the bus (no channel or no devices); 0: the channel answers for an absent unit. */
	if (status == 0xff || status == 0)
		return -ENOENT;
	if (wait_not_busy(ch, tsc_deadline_ms(ATA_PROBE_TIMEOUT_MS)) < 0)
		return -EIO;
	outb(ch->cmd + ATA_REG_FEATURES, 0);
	outb(ch->cmd + ATA_REG_COUNT, 0);
	outb(ch->cmd + ATA_REG_LBA_LOW, 0);
	outb(ch->cmd + ATA_REG_LBA_MID, 0);
	outb(ch->cmd + ATA_REG_LBA_HIGH, 0);
	outb(ch->cmd + ATA_REG_COMMAND, ATA_CMD_IDENTIFY_DEVICE);
	ata_delay400(ch);
	if (inb(ch->cmd + ATA_REG_STATUS) == 0)
		return -ENOENT;

	uint64_t deadline = tsc_deadline_ms(ATA_PROBE_TIMEOUT_MS);
	for (;;) {
		int st = wait_not_busy(ch, deadline);
		if (st < 0)
			return -EIO;
		if (st & ATA_STATUS_ERR) {
			uint8_t mid = inb(ch->cmd + ATA_REG_LBA_MID), high = inb(ch->cmd + ATA_REG_LBA_HIGH);
			(void)inb(ch->cmd + ATA_REG_STATUS);
			if ((mid == ATA_SIG_PACKET_MID && high == ATA_SIG_PACKET_HIGH) ||
			    (mid == ATA_SIG_SATA_PACKET_MID && high == ATA_SIG_SATA_PACKET_HIGH))
				return -ENOTSUP;
			return -ENOENT; /* aborted without a packet signature: no ATA device behind this unit */
		}
		if (st & ATA_STATUS_DRQ)
			break;
		if (tsc_passed(deadline))
			return -EIO;
		cpu_relax();
	}
	insw(ch->cmd + ATA_REG_DATA, id, ATA_ID_WORDS);
	(void)inb(ch->cmd + ATA_REG_STATUS);
	return 0;
}

static void add_drive(struct ata_channel *ch, unsigned unit, const uint16_t *id, bool use_dma)
{
	struct ata_identity who;
	char name[16];

	fmt_snprintf(name, sizeof(name), "%s.%u", ch->name, unit);
	ata_identity_decode(id, &who);
	if (who.not_ata) {
		printk("ata: %s: not an ATA device (word 0 = 0x%04x): left alone\n", name, id[ATA_ID_GENERAL_CONFIG]);
		return;
	}
	if (!who.lba) {
		printk("ata: %s: addresses by cylinder/head/sector only: not supported, left alone\n", name);
		return;
	}
	if (ndrives == ARRAY_SIZE(drives))
		return;

	struct ata_drive *d = &drives[ndrives];
	*d = (struct ata_drive){ .ch = ch, .unit = (uint8_t)unit, .lba48 = who.lba48 };
	d->dma = use_dma && ch->bmide && who.dma;

	struct blockdev *bd = &d->bd;
	memcpy(bd->name, name, sizeof(bd->name));
	memcpy(bd->model, who.model, sizeof(bd->model));
	fmt_snprintf(bd->features, sizeof(bd->features), "%s, %s", d->lba48 ? "LBA48" : "LBA28",
		     d->dma ? "bus-master DMA" : "PIO");
	bd->sector_size = who.sector_size;
	bd->nsectors = who.nsectors;
	bd->ops = &ata_ops;
	bd->priv = d;
	uint32_t ss = who.sector_size;
	if (ss < 512 || ss > BLOCKDEV_PAGE_SIZE || (ss & (ss - 1))) {
		printk("ata: %s: \"%s\": %u-byte sectors are not supported: left alone\n", name, bd->model, ss);
		return;
	}
	d->sectors_per_page = BLOCKDEV_PAGE_SIZE / ss;
	int err = blockdev_register(bd);
	if (err < 0) {
		printk("ata: %s: \"%s\" not registered: %s\n", name, bd->model, errno_name(err));
		return;
	}
	ndrives++;
}

static void probe_channel(struct ata_channel *ch, bool use_dma)
{
	uint16_t id[ATA_ID_WORDS];

	/* Polled operation: the devices must not raise interrupts (SRST stays clear: no reset here). */
	outb(ch->ctrl + ATA_REG_DEVICE_CONTROL, ATA_CONTROL_NIEN);
	for (unsigned unit = 0; unit < 2; unit++) {
		int err = identify(ch, unit, id);

		if (err == -ENOTSUP)
			printk("ata: %s.%u: packet (ATAPI) device, e.g. a CD-ROM: left alone\n", ch->name, unit);
		else if (err == -EIO)
			printk("ata: %s.%u: no answer to IDENTIFY DEVICE within %u ms: ignored\n", ch->name, unit,
			       ATA_PROBE_TIMEOUT_MS);
		else if (!err)
			add_drive(ch, unit, id, use_dma);
	}
}

unsigned ata_probe(bool use_dma)
{
	const struct pci_dev *d = 0;
	bool pci_ide = false;

	while ((d = pci_find_class(PCI_CLASS_MASS_STORAGE, PCI_SUBCLASS_IDE, d))) {
		pci_ide = true;
		add_pci_controller(d);
	}
	if (!pci_ide) {
		printk("ata: no PCI IDE controller: trying the PC/AT ports\n");
		add_channel(ATA_COMPAT_PRIMARY_CMD, ATA_COMPAT_PRIMARY_CTRL, 0, "legacy primary");
		add_channel(ATA_COMPAT_SECONDARY_CMD, ATA_COMPAT_SECONDARY_CTRL, 0, "legacy secondary");
	}
	for (unsigned i = 0; i < nchannels; i++)
		probe_channel(&channels[i], use_dma);
	return ndrives;
}
