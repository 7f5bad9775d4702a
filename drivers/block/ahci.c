/*
 * Finding AHCI disks: each HBA (PCI class 01.06.01) is taken from firmware (GHC.AE, and the BIOS/OS handoff where
 * CAP2.BOH says firmware takes part in one), then every implemented port whose link is up with a device on it
 * (PxSSTS.DET = 3, IPM active) and whose signature says ATA is stopped, given this driver's command list and FIS
 * area, started, and asked IDENTIFY DEVICE.  Firmware's own command lists are dropped: it boots from these disks
 * too, and its memory is not ours to keep using.
 *
 * A port whose signature says packet device (a CD/DVD drive), port multiplier or enclosure bridge is not touched
 * at all, and neither is the HBA as a whole: there is no HBA reset, so whatever firmware left on other ports stays
 * as it was.  Probing is boot-time work and may spin, with a deadline on every wait.
 */
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "arch/x86_64/paging.h"
#include "arch/x86_64/tsc.h"
#include "drivers/block/ahci.h"
#include "drivers/block/ahci_internal.h"
#include "drivers/block/ata_acs.h"
#include "drivers/pci/pci.h"
#include "kernel/memory.h"
#include "kernel/printk.h"

#define LARGE_PAGE (2ULL << 20) /* the identity map's page size: the unit paging_map_uncached() works in */

static struct ahci_hba hbas[AHCI_MAX_HBAS];
static unsigned nhbas;
static struct ahci_port ports[AHCI_MAX_DISKS];
static unsigned nports;
/* DMA memory, one block per port taken, in the image (below 4 GiB).  A block is used up only when a port registers
 * or when a port that had it would not stop: the HBA may still write there. */
static struct ahci_port_mem port_mem[AHCI_MAX_DISKS];
static unsigned nmem;
/* IDENTIFY DEVICE data lands here, one port at a time; a PRD needs an even address, the alignment gives it. */
static uint16_t identify_data[ATA_ID_WORDS] __aligned(512);

static bool spin_until_clear(const struct ahci_port *p, uint32_t reg, uint32_t bits, uint64_t ms)
{
	uint64_t deadline = tsc_deadline_ms(ms);

	while (port_read(p, reg) & bits) {
		if (tsc_passed(deadline))
			return false;
		cpu_relax();
	}
	return true;
}

/* Stop the command list, then FIS reception (§10.1.2: in that order, each within 500 ms).  0 or -EBUSY. */
static int stop_port(const struct ahci_port *p)
{
	uint32_t cmd = port_read(p, AHCI_PxCMD);

	if (cmd & AHCI_PxCMD_ST)
		port_write(p, AHCI_PxCMD, cmd & ~AHCI_PxCMD_ST);
	if (!spin_until_clear(p, AHCI_PxCMD, AHCI_PxCMD_CR, AHCI_ENGINE_STOP_MS))
		return -EBUSY;
	cmd = port_read(p, AHCI_PxCMD);
	if (cmd & AHCI_PxCMD_FRE)
		port_write(p, AHCI_PxCMD, cmd & ~AHCI_PxCMD_FRE);
	if (!spin_until_clear(p, AHCI_PxCMD, AHCI_PxCMD_FR, AHCI_ENGINE_STOP_MS))
		return -EBUSY;
	return 0;
}

/* Stop a port this driver started but will not use.  If it will not stop, the HBA may still write into its memory,
 * which then stays taken. */
static void release_port(const struct ahci_port *p)
{
	if (stop_port(p) < 0)
		nmem++;
}

/* IDENTIFY DEVICE in slot 0, spinning.  0 with identify_data filled, or -EIO with why set. */
static int identify(struct ahci_port *p, char *why, size_t n)
{
	ahci_set_prd(&p->mem->table[0].prdt[0], (uintptr_t)identify_data, sizeof(identify_data));
	ahci_set_command(p, 0, ATA_CMD_IDENTIFY_DEVICE, 0, 0, false, 1);
	port_write(p, AHCI_PxCI, 1);

	uint64_t deadline = tsc_deadline_ms(AHCI_PROBE_TIMEOUT_MS);
	for (;;) {
		uint32_t ci = port_read(p, AHCI_PxCI), is = port_read(p, AHCI_PxIS);

		if (is & AHCI_PxIS_FATAL)
			break;
		if (!(ci & 1))
			return 0;
		if (tsc_passed(deadline))
			break;
		cpu_relax();
	}
	uint32_t tfd = port_read(p, AHCI_PxTFD);
	char st[48], er[64];
	ata_describe_status(st, sizeof(st), tfd & AHCI_PxTFD_STS_MASK);
	ata_describe_error(er, sizeof(er), (tfd >> AHCI_PxTFD_ERR_SHIFT) & AHCI_PxTFD_ERR_MASK);
	fmt_snprintf(why, n, "IDENTIFY DEVICE %s: error %s, status %s, PxIS 0x%08x",
		     port_read(p, AHCI_PxCI) & 1 ? "did not end" : "failed", er, st, port_read(p, AHCI_PxIS));
	return -EIO;
}

/* Give the port this driver's memory and start it.  0, or a negative errno with why set. */
static int start_port(struct ahci_port *p, char *why, size_t n)
{
	uint64_t list = (uintptr_t)p->mem->list, fis = (uintptr_t)&p->mem->fis;

	if (stop_port(p) < 0) {
		fmt_snprintf(why, n, "firmware's command list would not stop (PxCMD 0x%08x)", port_read(p, AHCI_PxCMD));
		return -EBUSY;
	}
	memset(p->mem, 0, sizeof(*p->mem));
	port_write(p, AHCI_PxCLB, (uint32_t)list);
	port_write(p, AHCI_PxCLBU, (uint32_t)(list >> 32));
	port_write(p, AHCI_PxFB, (uint32_t)fis);
	port_write(p, AHCI_PxFBU, (uint32_t)(fis >> 32));
	port_write(p, AHCI_PxIE, 0); /* polled */
	port_write(p, AHCI_PxSERR, ~0U);
	port_write(p, AHCI_PxIS, ~0U);
	/* Keep the link awake: a link that dozes into Partial or Slumber adds its wake-up to every command. */
	uint32_t sctl = port_read(p, AHCI_PxSCTL) &
			~(AHCI_SCTL_DET_MASK | AHCI_SCTL_IPM_MASK << AHCI_SCTL_IPM_SHIFT);
	port_write(p, AHCI_PxSCTL, sctl | AHCI_SCTL_IPM_NO_PARTIAL_SLUMBER << AHCI_SCTL_IPM_SHIFT);
	port_write(p, AHCI_PxCMD, port_read(p, AHCI_PxCMD) | AHCI_PxCMD_FRE);
	/* §10.3.1: the list may start once the device is not busy. */
	if (!spin_until_clear(p, AHCI_PxTFD, ATA_STATUS_BSY | ATA_STATUS_DRQ, AHCI_PROBE_TIMEOUT_MS)) {
		fmt_snprintf(why, n, "device busy for %u ms (PxTFD 0x%04x)", AHCI_PROBE_TIMEOUT_MS,
			     port_read(p, AHCI_PxTFD));
		return -EIO;
	}
	port_write(p, AHCI_PxCMD, port_read(p, AHCI_PxCMD) | AHCI_PxCMD_ST);
	return 0;
}

static const char *signature_kind(uint32_t sig)
{
	switch (sig) {
	case AHCI_SIG_ATAPI: return "packet (ATAPI) device, e.g. a CD-ROM";
	case AHCI_SIG_PM: return "port multiplier: not supported";
	case AHCI_SIG_SEMB: return "enclosure management bridge";
	default: return 0;
	}
}

static const char *power_state_name(uint32_t ipm)
{
	switch (ipm) {
	case AHCI_SSTS_IPM_PARTIAL: return "Partial";
	case AHCI_SSTS_IPM_SLUMBER: return "Slumber";
	case AHCI_SSTS_IPM_DEVSLEEP: return "DevSleep";
	default: return "unknown";
	}
}

/* The decoded identity becomes a block device; false (and a line saying why) when it cannot be one. */
static bool describe_disk(struct ahci_port *p, const struct ata_identity *who)
{
	struct blockdev *bd = &p->bd;
	uint32_t ss = who->sector_size;

	if (who->not_ata || !who->lba || !who->dma) {
		printk("ahci: %s: \"%s\" %s: left alone\n", bd->name, who->model,
		       who->not_ata ? "is not an ATA device" : !who->lba ? "has no LBA addressing" : "has no DMA");
		return false;
	}
	if (ss < 512 || ss > BLOCKDEV_PAGE_SIZE || (ss & (ss - 1))) {
		printk("ahci: %s: \"%s\": %u-byte sectors are not supported: left alone\n", bd->name, who->model, ss);
		return false;
	}
	memcpy(bd->model, who->model, sizeof(bd->model));
	p->lba48 = who->lba48;
	p->sectors_per_page = BLOCKDEV_PAGE_SIZE / ss;
	fmt_snprintf(bd->features, sizeof(bd->features), "AHCI, NCQ off, %s", p->lba48 ? "LBA48" : "LBA28");
	bd->sector_size = ss;
	bd->nsectors = who->nsectors;
	bd->ops = &ahci_ops;
	bd->priv = p;
	return true;
}

static void take_port(struct ahci_hba *h, unsigned n)
{
	volatile uint8_t *regs = h->abar + AHCI_PORT_BASE + n * AHCI_PORT_STRIDE;
	uint32_t ssts = ahci_read(regs, AHCI_PxSSTS), sig = ahci_read(regs, AHCI_PxSIG);
	uint32_t ipm = (ssts >> AHCI_SSTS_IPM_SHIFT) & AHCI_SSTS_IPM_MASK;
	char name[16], why[BLOCKDEV_WHY_LEN];

	if ((ssts & AHCI_SSTS_DET_MASK) != AHCI_SSTS_DET_PRESENT)
		return; /* nothing attached, or no link to it */
	fmt_snprintf(name, sizeof(name), "%s.p%u", h->name, n);
	if (signature_kind(sig)) {
		printk("ahci: %s: %s: left alone\n", name, signature_kind(sig));
		return;
	}
	if (ipm != AHCI_SSTS_IPM_ACTIVE) {
		printk("ahci: %s: link in the %s power state: not used\n", name, power_state_name(ipm));
		return;
	}
	if (sig != AHCI_SIG_ATA && sig != AHCI_SIG_NONE) {
		printk("ahci: %s: unknown device signature 0x%08x: left alone\n", name, sig);
		return;
	}
	if (nports == AHCI_MAX_DISKS || nmem == AHCI_MAX_DISKS) {
		printk("ahci: %s: more than %u disks: not used\n", name, AHCI_MAX_DISKS);
		return;
	}

	struct ahci_port *p = &ports[nports];
	*p = (struct ahci_port){ .hba = h, .regs = regs, .mem = &port_mem[nmem], .failed_slot = -1,
				 .nslots = MIN(AHCI_SLOTS, h->nslots), .s64a = h->cap & AHCI_CAP_S64A };
	memcpy(p->bd.name, name, sizeof(p->bd.name));
	int err = start_port(p, why, sizeof(why));
	if (!err) {
		err = identify(p, why, sizeof(why));
		/* No signature yet (none since the last reset) and IDENTIFY aborted: now the signature has come. */
		sig = port_read(p, AHCI_PxSIG);
		if (err && signature_kind(sig)) {
			fmt_snprintf(why, sizeof(why), "%s", signature_kind(sig));
			err = -ENOTSUP;
		}
	}
	if (err) {
		release_port(p);
		printk("ahci: %s: %s: left alone\n", name, why);
		return;
	}
	struct ata_identity who;
	ata_identity_decode(identify_data, &who);
	if (!describe_disk(p, &who)) {
		release_port(p);
		return;
	}
	err = blockdev_register(&p->bd);
	if (err < 0) {
		printk("ahci: %s: \"%s\" not registered: %s\n", name, p->bd.model, errno_name(err));
		release_port(p);
		return;
	}
	nports++;
	nmem++;
}

/* BIOS/OS handoff (§10.6): ask for the HBA, wait for firmware to let go of it, and give firmware's last commands
 * time to end. */
static void bios_handoff(const struct ahci_hba *h)
{
	uint32_t bohc = ahci_read(h->abar, AHCI_BOHC);

	ahci_write(h->abar, AHCI_BOHC, bohc | AHCI_BOHC_OOS);
	uint64_t deadline = tsc_deadline_ms(AHCI_BOH_BUSY_WAIT_MS);
	bool busy_seen = false;
	for (;;) {
		bohc = ahci_read(h->abar, AHCI_BOHC);
		if (!(bohc & (AHCI_BOHC_BOS | AHCI_BOHC_BB)))
			return;
		if ((bohc & AHCI_BOHC_BB) && !busy_seen) {
			busy_seen = true;
			deadline = tsc_deadline_ms(AHCI_BOH_FINISH_MS);
		}
		if (tsc_passed(deadline))
			break;
		cpu_relax();
	}
	printk("ahci: %s: firmware still holds the HBA (BOHC 0x%08x): taking it anyway\n", h->name, bohc);
}

/* The identity map has 2 MiB pages, so the registers' uncached page is 2 MiB: refuse when RAM shares it, which
 * would then be uncached too (slow) and aliased with the write-back mappings guests get of it. */
static bool ram_shares_page(uint64_t base, uint64_t size)
{
	uint64_t lo = align_down(base, LARGE_PAGE), hi = align_up(base + size, LARGE_PAGE);

	for (unsigned i = 0; i < machine_map.n; i++) {
		const struct mem_region *r = &machine_map.region[i];

		if ((r->type == MEM_USABLE || r->type == MEM_BALLAST) && r->base < hi && r->base + r->len > lo)
			return true;
	}
	return false;
}

static void take_hba(const struct pci_dev *d)
{
	struct pci_bar bar;
	char where[16];

	fmt_snprintf(where, sizeof(where), "%02x:%02x.%u", d->bus, d->dev, d->fn);
	if (nhbas == AHCI_MAX_HBAS) {
		printk("ahci: %s: more than %u HBAs: not used\n", where, AHCI_MAX_HBAS);
		return;
	}
	if (pci_read_bar(d, AHCI_BAR_ABAR, &bar) < 0 || bar.io || !bar.base ||
	    bar.size < AHCI_PORT_BASE + AHCI_PORT_STRIDE) {
		printk("ahci: %s: no usable register BAR (BAR 5): not used\n", where);
		return;
	}
	if (ram_shares_page(bar.base, bar.size)) {
		printk("ahci: %s: registers at 0x%llx share a 2 MiB page with RAM: not used\n", where,
		       (unsigned long long)bar.base);
		return;
	}
	if (paging_map_uncached(bar.base, bar.size) < 0) {
		printk("ahci: %s: registers at 0x%llx cannot be mapped: not used\n", where,
		       (unsigned long long)bar.base);
		return;
	}
	/* Decode the registers and let it master the bus; polled, so no INTx either. */
	pci_enable(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);

	struct ahci_hba *h = &hbas[nhbas];
	*h = (struct ahci_hba){ .abar = maddr_to_ptr(bar.base) };
	fmt_snprintf(h->name, sizeof(h->name), "ahci%u", nhbas);
	nhbas++;
	/* AE first: until it is set the HBA may answer through a legacy interface instead (§3.1.2). */
	ahci_write(h->abar, AHCI_GHC, ahci_read(h->abar, AHCI_GHC) | AHCI_GHC_AE);
	h->cap = ahci_read(h->abar, AHCI_CAP);
	h->nslots = ((h->cap >> AHCI_CAP_NCS_SHIFT) & AHCI_CAP_NCS_MASK) + 1;
	if (ahci_read(h->abar, AHCI_CAP2) & AHCI_CAP2_BOH)
		bios_handoff(h);
	ahci_write(h->abar, AHCI_GHC, (ahci_read(h->abar, AHCI_GHC) | AHCI_GHC_AE) & ~AHCI_GHC_IE);

	uint32_t pi = ahci_read(h->abar, AHCI_PI), vs = ahci_read(h->abar, AHCI_VS);
	char version[16];
	int len = fmt_snprintf(version, sizeof(version), "%u.%u", vs >> 16, (vs >> 8) & 0xff);
	if (vs & 0xff) /* 1.3.1 has a third number, 1.0 none */
		fmt_snprintf(version + len, sizeof(version) - len, ".%u", vs & 0xff);
	printk("ahci: %s: %s %04x:%04x, AHCI %s, ports 0x%x, %u command slots%s%s, registers at 0x%llx\n", h->name,
	       where, d->vendor, d->device, version, pi, h->nslots, h->cap & AHCI_CAP_S64A ? ", 64-bit" : "",
	       h->cap & AHCI_CAP_SNCQ ? ", NCQ (not used)" : "", (unsigned long long)bar.base);
	for (unsigned n = 0; n < AHCI_MAX_PORTS; n++) {
		if (!(pi & BIT(n)))
			continue;
		if (AHCI_PORT_BASE + (n + 1) * AHCI_PORT_STRIDE > bar.size) {
			printk("ahci: %s.p%u: beyond the register BAR: not used\n", h->name, n);
			continue;
		}
		take_port(h, n);
	}
}

unsigned ahci_probe(void)
{
	const struct pci_dev *d = 0;
	unsigned before = nports;

	while ((d = pci_find_class(PCI_CLASS_MASS_STORAGE, PCI_SUBCLASS_SATA, d)))
		if (d->prog_if == PCI_PROGIF_AHCI)
			take_hba(d);
	return nports - before;
}
