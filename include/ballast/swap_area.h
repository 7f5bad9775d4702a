/*
 * The on-disk signature of a ballast swap area (SPEC §2.7): ballast writes to a disk or partition only when its first
 * page carries this header, made by scripts/mkswap.sh (through the host tool built from lib/swap_area.c, so the
 * hypervisor and the tool share this one definition).
 *
 * Layout, all integers little-endian:
 *   page 0           the header below, the rest of the page zero
 *   pages 1..N-1     slot s lives in page 1 + s; slot contents are guest pages, checksummed in memory (never on disk)
 *
 * The header's CRC-32 (IEEE 802.3, as zlib's crc32) covers the whole 4 KiB page with the crc field taken as zero,
 * so a header whose tail was scribbled on is refused as well.
 */
#ifndef BALLAST_SWAP_AREA_H
#define BALLAST_SWAP_AREA_H

#include <stddef.h>
#include <stdint.h>

#define SWAP_AREA_MAGIC "BALLAST SWAP\r\n\x1a\n" /* 16 bytes; CR LF ^Z LF catch text-mode copies, as PNG's does */
#define SWAP_AREA_MAGIC_LEN 16
#define SWAP_AREA_VERSION 1
#define SWAP_AREA_PAGE_SIZE 4096
#define SWAP_AREA_MIN_PAGES 16 /* header + 15 slots: anything smaller is a mistake, not a swap area */

struct swap_area_header {
	char magic[SWAP_AREA_MAGIC_LEN];
	uint32_t version;   /* SWAP_AREA_VERSION */
	uint32_t page_size; /* SWAP_AREA_PAGE_SIZE */
	uint8_t uuid[16];   /* chosen by mkswap; `[machine] swap = UUID` names an area by it */
	uint64_t npages;    /* pages in the area, header included; the device must hold at least this many */
	uint64_t created;   /* seconds since 1970 when mkswap wrote it (informational) */
	char label[32];	    /* NUL-padded, informational */
	uint32_t crc;	    /* CRC-32 of the header page with this field zero */
	uint32_t reserved;  /* zero */
};
_Static_assert(sizeof(struct swap_area_header) == 96, "swap area header layout");
_Static_assert(offsetof(struct swap_area_header, crc) == 88, "swap area header crc offset");

/* What a valid header says. */
struct swap_area_info {
	uint8_t uuid[16];
	uint64_t npages; /* header included */
	uint64_t nslots; /* npages - 1 */
	char label[33];
};

/*
 * Checks the first page of a device of device_bytes bytes (page: len bytes read from offset 0, any alignment).  0 with
 * *info filled, or a negative errno with *why set to a one-line reason (a static string) and *info untouched:
 * -ENOENT no signature (not ours: leave it alone), -EINVAL a signature whose header is damaged or unsupported (bad
 * CRC, version, page size, reserved field, a label not NUL-padded, nonzero bytes after the header), -ERANGE an area
 * larger than the device or smaller than SWAP_AREA_MIN_PAGES, -EFBIG len shorter than a page (truncated).  Checked
 * in this order: length, magic, version, CRC, the other fields, the size.  info and why may be NULL.
 */
int swap_area_check(const void *page, size_t len, uint64_t device_bytes, struct swap_area_info *info,
		    const char **why);

/* Writes a fresh header for an area of npages pages into page (SWAP_AREA_PAGE_SIZE bytes, zeroed first).  label may be
 * NULL; only its first 32 bytes are kept (ballast-mkswap refuses a longer one rather than cut it). */
void swap_area_format(void *page, uint64_t npages, const uint8_t uuid[16], uint64_t created, const char *label);

/* UUID as the usual 36-character text (buf: 37 bytes), and back (0, or -EINVAL). */
void swap_area_uuid_format(const uint8_t uuid[16], char buf[37]);
int swap_area_uuid_parse(const char *text, uint8_t uuid[16]);

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320, as zlib's crc32(0, buf, len)). */
uint32_t crc32_ieee(const void *buf, size_t len);
/* The same over data given in pieces, as zlib's crc32(crc, buf, len): crc is the CRC of what came before (0 at the
 * start), so crc32_ieee_continue(crc32_ieee(a, m), b, n) is the CRC of a's m bytes followed by b's n. */
uint32_t crc32_ieee_continue(uint32_t crc, const void *buf, size_t len);

#endif
