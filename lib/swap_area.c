/*
 * The swap area's on-disk signature (include/ballast/swap_area.h): writing it, checking it, its UUID as text, and
 * the CRC-32 that seals it.  Shared, unchanged, by the hypervisor (which refuses a disk without it) and by the host
 * tool tools/ballast-mkswap.c (which writes it), so both read the format from this one file.
 *
 * The header is copied out of the page with memcpy before any field is read: the page may come from a disk buffer
 * at any alignment, and a struct copy is a plain load.  The fields are little-endian on disk and read without
 * swapping, which is right because ballast runs only on x86-64 (the assertion below stops a big-endian build).
 *
 * swap_area_check() tests, in this order: the length, the magic (absent: not ours), the version (the layout after
 * it is only known for version 1), the CRC (nothing past it is trusted unless it holds), then the fields.
 */
#include <stdbool.h>
#include <ballast/errno.h>
#include <ballast/string.h>
#include <ballast/swap_area.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "swap area fields are little-endian and read unswapped");

#define CRC_OFFSET offsetof(struct swap_area_header, crc)
#define CRC_SIZE sizeof(((struct swap_area_header *)0)->crc)
#define LABEL_SIZE sizeof(((struct swap_area_header *)0)->label)
_Static_assert(sizeof(((struct swap_area_info *)0)->label) == LABEL_SIZE + 1, "info label holds a full label + NUL");

/*
 * CRC-32, reflected, polynomial 0xedb88320, four bits at a time.  The 16-entry table is built by the compiler from
 * the polynomial (an entry is its index shifted four times through the bitwise algorithm), so no table of magic
 * numbers is typed in and nothing runs at first use; two lookups per byte are fast enough for a page per swap.
 */
#define CRC_POLY 0xedb88320u
#define CRC_BIT(c) (((c) >> 1) ^ (((c) & 1u) ? CRC_POLY : 0u))
#define CRC_NIBBLE(n) CRC_BIT(CRC_BIT(CRC_BIT(CRC_BIT((uint32_t)(n)))))
static const uint32_t crc_nibble[16] = {
	CRC_NIBBLE(0),	CRC_NIBBLE(1),	CRC_NIBBLE(2),	CRC_NIBBLE(3),	CRC_NIBBLE(4),	CRC_NIBBLE(5),
	CRC_NIBBLE(6),	CRC_NIBBLE(7),	CRC_NIBBLE(8),	CRC_NIBBLE(9),	CRC_NIBBLE(10), CRC_NIBBLE(11),
	CRC_NIBBLE(12), CRC_NIBBLE(13), CRC_NIBBLE(14), CRC_NIBBLE(15),
};

/* Feeds len bytes into the running register (pre-inverted; the caller inverts at both ends). */
static uint32_t crc_feed(uint32_t reg, const uint8_t *p, size_t len)
{
	while (len--) {
		reg ^= *p++;
		reg = (reg >> 4) ^ crc_nibble[reg & 0xf];
		reg = (reg >> 4) ^ crc_nibble[reg & 0xf];
	}
	return reg;
}

uint32_t crc32_ieee_continue(uint32_t crc, const void *buf, size_t len)
{
	return ~crc_feed(~crc, buf, len); /* undo the previous piece's final inversion, redo it at the end */
}

uint32_t crc32_ieee(const void *buf, size_t len)
{
	return crc32_ieee_continue(0, buf, len);
}

/* The CRC of a whole header page as if its crc field were zero, without copying (or writing) the page. */
static uint32_t header_page_crc(const uint8_t *page)
{
	static const uint8_t zero_crc[CRC_SIZE];
	uint32_t reg = ~0u;

	reg = crc_feed(reg, page, CRC_OFFSET);
	reg = crc_feed(reg, zero_crc, CRC_SIZE);
	reg = crc_feed(reg, page + CRC_OFFSET + CRC_SIZE, SWAP_AREA_PAGE_SIZE - CRC_OFFSET - CRC_SIZE);
	return ~reg;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* A label is text up to its first NUL and NULs after it; a full 32-byte label has no NUL at all. */
static bool label_is_nul_padded(const char *label)
{
	size_t n = 0;

	while (n < LABEL_SIZE && label[n])
		n++;
	return all_zero((const uint8_t *)label + n, LABEL_SIZE - n);
}

static int refuse(const char **why, int err, const char *reason)
{
	if (why)
		*why = reason;
	return err;
}

int swap_area_check(const void *page, size_t len, uint64_t device_bytes, struct swap_area_info *info,
		    const char **why)
{
	const uint8_t *bytes = page;
	struct swap_area_header h;
	uint32_t stored_crc;

	if (len < SWAP_AREA_PAGE_SIZE)
		return refuse(why, -EFBIG, "header page truncated: fewer than 4096 bytes read");
	memcpy(&h, bytes, sizeof(h));
	if (memcmp(h.magic, SWAP_AREA_MAGIC, SWAP_AREA_MAGIC_LEN) != 0)
		return refuse(why, -ENOENT, "no ballast swap signature");
	if (h.version != SWAP_AREA_VERSION)
		return refuse(why, -EINVAL, "unsupported swap area version (this ballast reads version 1)");
	stored_crc = h.crc;
	if (stored_crc != header_page_crc(bytes))
		return refuse(why, -EINVAL, "header checksum mismatch: the header page is damaged");
	if (h.page_size != SWAP_AREA_PAGE_SIZE)
		return refuse(why, -EINVAL, "unsupported page size (this ballast reads 4096-byte pages)");
	if (h.reserved != 0)
		return refuse(why, -EINVAL, "reserved header field is not zero");
	if (!label_is_nul_padded(h.label))
		return refuse(why, -EINVAL, "label is not NUL-padded");
	/* Version 1 leaves the rest of the page zero; a writer that put something there wrote a format we do not know. */
	if (!all_zero(bytes + sizeof(h), SWAP_AREA_PAGE_SIZE - sizeof(h)))
		return refuse(why, -EINVAL, "bytes after the header are not zero");
	if (h.npages < SWAP_AREA_MIN_PAGES)
		return refuse(why, -ERANGE, "area smaller than 16 pages");
	/* Divide rather than multiply: npages * 4096 can overflow for a damaged but CRC-valid count. */
	if (h.npages > device_bytes / SWAP_AREA_PAGE_SIZE)
		return refuse(why, -ERANGE, "area larger than the device");

	if (info) {
		memcpy(info->uuid, h.uuid, sizeof(info->uuid));
		info->npages = h.npages;
		info->nslots = h.npages - 1; /* page 0 is the header */
		memcpy(info->label, h.label, LABEL_SIZE);
		info->label[LABEL_SIZE] = '\0';
	}
	return 0;
}

void swap_area_format(void *page, uint64_t npages, const uint8_t uuid[16], uint64_t created, const char *label)
{
	struct swap_area_header h;
	uint32_t crc;
	size_t n = 0;

	memset(page, 0, SWAP_AREA_PAGE_SIZE);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SWAP_AREA_MAGIC, SWAP_AREA_MAGIC_LEN);
	h.version = SWAP_AREA_VERSION;
	h.page_size = SWAP_AREA_PAGE_SIZE;
	memcpy(h.uuid, uuid, sizeof(h.uuid));
	h.npages = npages;
	h.created = created;
	while (label && n < LABEL_SIZE && label[n]) { /* the rest stays NUL: the padding the check insists on */
		h.label[n] = label[n];
		n++;
	}
	memcpy(page, &h, sizeof(h)); /* crc still zero, as the CRC's definition wants */
	crc = header_page_crc(page);
	memcpy((uint8_t *)page + CRC_OFFSET, &crc, CRC_SIZE);
}

/* Byte i of the UUID is followed by a dash in the text form (8-4-4-4-12 hex digits). */
static bool dash_after(unsigned i)
{
	return i == 3 || i == 5 || i == 7 || i == 9;
}

void swap_area_uuid_format(const uint8_t uuid[16], char buf[37])
{
	static const char hex[] = "0123456789abcdef";
	char *p = buf;

	for (unsigned i = 0; i < 16; i++) {
		*p++ = hex[uuid[i] >> 4];
		*p++ = hex[uuid[i] & 0xf];
		if (dash_after(i))
			*p++ = '-';
	}
	*p = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int swap_area_uuid_parse(const char *text, uint8_t uuid[16])
{
	uint8_t out[16];
	const char *p = text;

	if (!text)
		return -EINVAL;
	/* Each character is looked at before the next, so a short string stops at its NUL and nothing past it is read. */
	for (unsigned i = 0; i < 16; i++) {
		int hi = hex_value(p[0]), lo = hi < 0 ? -1 : hex_value(p[1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (dash_after(i) && *p++ != '-')
			return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	memcpy(uuid, out, sizeof(out));
	return 0;
}
