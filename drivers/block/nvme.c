/*
 * Finding NVMe disks: each PCI function of class 01.08.02 has its registers (BAR 0) mapped uncached, is reset and
 * brought up with one I/O queue pair (nvme_ctrl.c), then answers Identify Controller, the active namespace list and
 * Identify Namespace for each namespace on it; every namespace in a usable LBA format becomes a block device.
 *
 * Probing is boot-time work and may spin, with a deadline on every wait.  A controller that fails here is given up
 * (bus mastering off) with one line saying why; the others are not affected.  Nothing here writes to a namespace.
 */
#include <ballast/errno.h>
#include <ballast/format.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "drivers/block/nvme.h"
#include "drivers/block/nvme_internal.h"
#include "kernel/printk.h"

static struct nvme_ctrl ctrls[NVME_MAX_CONTROLLERS];
static unsigned nctrls;
static struct nvme_ns namespaces[BLOCKDEV_MAX];
static unsigned nnamespaces;
/* Queues, PRP lists and Identify buffers, in the image: identity-mapped below 4 GiB (nvme_internal.h). */
static struct nvme_queue_memory queue_memory[NVME_MAX_CONTROLLERS];

static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid, void *buf, char *why, size_t n)
{
	/* One page, page-aligned: PRP1 alone describes it. */
	struct nvme_sqe cmd = { .opc = NVME_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = (uint64_t)(uintptr_t)buf,
				.cdw10 = cns };

	return nvme_admin_sync(c, &cmd, 0, why, n);
}

/* An Identify string: ASCII padded with blanks, not terminated; trailing blanks dropped. */
static void id_string(const char *src, size_t len, char *out)
{
	memcpy(out, src, len);
	out[len] = 0;
	for (size_t i = len; i > 0 && (out[i - 1] == ' ' || out[i - 1] == 0); i--)
		out[i - 1] = 0;
}

static void add_namespace(struct nvme_ctrl *c, uint32_t nsid)
{
	const struct nvme_id_ns *id = &c->mem->id.ns;
	char name[16], why[BLOCKDEV_WHY_LEN];

	fmt_snprintf(name, sizeof(name), "%sn%u", c->name, nsid);
	if (identify(c, NVME_CNS_NAMESPACE, nsid, &c->mem->id, why, sizeof(why)) < 0) {
		printk("nvme: %s: Identify Namespace failed (%s): left alone\n", name, why);
		return;
	}
	if (!id->nsze)
		return; /* not an active namespace (only the guessed list of a pre-1.1 controller holds those) */
	unsigned format = id->flbas & NVME_FLBAS_FORMAT_MASK;
	const struct nvme_lbaf *f = &id->lbaf[format];
	if (format > id->nlbaf) {
		printk("nvme: %s: in LBA format %u, which its %u formats do not include: left alone\n", name, format,
		       id->nlbaf + 1);
		return;
	}
	if (f->ms) {
		printk("nvme: %s: LBA format %u carries %u bytes of metadata per block: not supported, left alone\n",
		       name, format, f->ms);
		return;
	}
	if (f->lbads != 9 && f->lbads != 12) {
		printk("nvme: %s: blocks of 2^%u bytes: not supported (512 or 4096 only), left alone\n", name,
		       f->lbads);
		return;
	}
	if (nnamespaces == ARRAY_SIZE(namespaces)) {
		printk("nvme: %s: more than %u namespaces: left alone\n", name, (unsigned)ARRAY_SIZE(namespaces));
		return;
	}

	struct nvme_ns *ns = &namespaces[nnamespaces];
	*ns = (struct nvme_ns){ .ctrl = c, .nsid = nsid, .blocks_per_page = BLOCKDEV_PAGE_SIZE >> f->lbads };
	struct blockdev *bd = &ns->bd;
	memcpy(bd->name, name, sizeof(bd->name));
	memcpy(bd->model, c->model, sizeof(bd->model));
	fmt_snprintf(bd->features, sizeof(bd->features), "NVMe %u.%u, 1 I/O queue of %u", nvme_vs_mjr(c->vs),
		     nvme_vs_mnr(c->vs), c->io_entries);
	bd->sector_size = 1U << f->lbads;
	bd->nsectors = id->nsze;
	bd->ops = &nvme_ops;
	bd->priv = ns;
	int err = blockdev_register(bd);
	if (err < 0) {
		printk("nvme: %s: \"%s\" not registered: %s\n", name, bd->model, errno_name(err));
		return;
	}
	nnamespaces++;
}

static void add_namespaces(struct nvme_ctrl *c, uint32_t nn)
{
	char why[BLOCKDEV_WHY_LEN];

	if (c->vs < NVME_VS(1, 1)) {
		/* No active namespace list before 1.1: every NSID up to NN, the inactive ones identified as empty. */
		for (uint32_t nsid = 1; nsid <= nn && nsid <= NVME_ACTIVE_NSIDS_MAX; nsid++)
			add_namespace(c, nsid);
		return;
	}
	if (identify(c, NVME_CNS_ACTIVE_NSIDS, 0, c->mem->nsids, why, sizeof(why)) < 0) {
		printk("nvme: %s: the active namespace list failed (%s): no namespaces used\n", c->name, why);
		return;
	}
	for (unsigned i = 0; i < NVME_ACTIVE_NSIDS_MAX && c->mem->nsids[i]; i++)
		add_namespace(c, c->mem->nsids[i]);
}

static void add_controller(const struct pci_dev *d)
{
	struct nvme_ctrl *c = &ctrls[nctrls];
	struct pci_bar bar;
	char why[BLOCKDEV_WHY_LEN];

	*c = (struct nvme_ctrl){ .pci = d, .mem = &queue_memory[nctrls], .state = NVME_DEAD }; /* until reset */
	fmt_snprintf(c->name, sizeof(c->name), "nvme%u", nctrls);
	nctrls++;
	if (pci_read_bar(d, NVME_PCI_BAR, &bar) < 0 || bar.io || !bar.base) {
		printk("nvme: %s: %02x:%02x.%u has no memory BAR 0 assigned: left alone\n", c->name, d->bus, d->dev,
		       d->fn);
		return;
	}
	if (paging_map_uncached(bar.base, bar.size) < 0) {
		printk("nvme: %s: %02x:%02x.%u registers at 0x%llx, beyond ballast's identity map: unusable for now\n",
		       c->name, d->bus, d->dev, d->fn, (unsigned long long)bar.base);
		return;
	}
	c->regs = (volatile uint8_t *)(uintptr_t)bar.base;
	pci_enable(d, PCI_COMMAND_MEMORY);
	c->cap = nvme_read64(c, NVME_REG_CAP);
	c->vs = nvme_read32(c, NVME_REG_VS);
	c->dstrd = nvme_cap_dstrd(c->cap);
	/* CAP.TO rounded up by one unit: a controller that says 0 still gets 500 ms. */
	c->ready_timeout_ms = (nvme_cap_to(c->cap) + 1) * NVME_CAP_TO_UNIT_MS;
	/* MQES is at least 1 (two entries); a queue of N entries holds N - 1 commands. */
	c->io_entries = MIN(NVME_IO_ENTRIES, nvme_cap_mqes(c->cap) + 1);
	c->nslots = c->io_entries - 1;
	const char *unusable = 0;
	if (c->cap == ~0ULL)
		unusable = "its registers read all ones";
	else if (bar.size < nvme_cq_head_doorbell(NVME_IO_QID, c->dstrd) + 4)
		unusable = "BAR 0 does not reach the I/O queue's doorbells";
	else if (!(c->cap & NVME_CAP_CSS_NVM))
		unusable = "no NVM command set in CAP.CSS";
	else if (nvme_cap_mpsmin(c->cap) != 0)
		unusable = "its smallest memory page (CAP.MPSMIN) is larger than ballast's 4 KiB";
	else if (c->io_entries < 2)
		unusable = "CAP.MQES is 0: queues of one entry hold no command";
	if (unusable) {
		printk("nvme: %s: %s: left alone\n", c->name, unusable);
		return;
	}
	/* DMA to the queues and pages; no INTx, since ballast polls (and the admin completion queue always has its
	 * interrupt enabled). */
	pci_enable(d, PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);

	nvme_ctrl_reset(c);
	while (c->state != NVME_LIVE && c->state != NVME_DEAD) {
		nvme_ctrl_step(c);
		cpu_relax();
	}
	if (c->state == NVME_DEAD) {
		printk("nvme: %s: %s: left alone\n", c->name, c->why);
		return;
	}
	if (identify(c, NVME_CNS_CONTROLLER, 0, &c->mem->id, why, sizeof(why)) < 0) {
		nvme_ctrl_give_up(c, "Identify Controller failed (%s)", why);
		printk("nvme: %s: %s: left alone\n", c->name, c->why);
		return;
	}
	const struct nvme_id_ctrl *id = &c->mem->id.ctrl;
	id_string(id->mn, sizeof(id->mn), c->model);
	/* MDTS counts minimum memory pages, 4 KiB here (CAP.MPSMIN is 0). */
	c->max_pages = NVME_MAX_PAGES_PER_COMMAND;
	if (id->mdts && id->mdts < 31)
		c->max_pages = MIN(c->max_pages, 1U << id->mdts);
	printk("nvme: %s: %02x:%02x.%u, registers at 0x%llx, \"%s\" NVMe %u.%u, I/O queue of %u entries, %u KiB per "
	       "command\n",
	       c->name, d->bus, d->dev, d->fn, (unsigned long long)bar.base, c->model, nvme_vs_mjr(c->vs),
	       nvme_vs_mnr(c->vs), c->io_entries, c->max_pages * (BLOCKDEV_PAGE_SIZE / 1024));
	add_namespaces(c, id->nn);
}

unsigned nvme_probe(void)
{
	const struct pci_dev *d = 0;

	while ((d = pci_find_class(PCI_CLASS_MASS_STORAGE, PCI_SUBCLASS_NVM, d))) {
		if (d->prog_if != PCI_PROGIF_NVME)
			continue; /* another NVM interface: disk discovery reports it as without a driver */
		if (nctrls == NVME_MAX_CONTROLLERS) {
			printk("nvme: more than %u controllers: %02x:%02x.%u ignored\n", NVME_MAX_CONTROLLERS, d->bus,
			       d->dev, d->fn);
			continue;
		}
		add_controller(d);
	}
	return nnamespaces;
}
