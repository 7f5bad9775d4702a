/*
 * ballast-mkswap: writes (or checks) the signature of a ballast swap area, the header page of
 * include/ballast/swap_area.h, with the same lib/swap_area.c the hypervisor reads it with.
 *
 *   ballast-mkswap [--label L] [--uuid U] [--size BYTES] [--offset BYTES] PATH    write the header
 *   ballast-mkswap --check [--size BYTES] [--offset BYTES] PATH                  say whether PATH carries an area
 *
 * PATH is a regular file or a block device; the area is --size bytes (default: all of PATH from the offset) in whole
 * 4 KiB pages, and its header is written at byte --offset of PATH (default 0).  The offset is how an area is put in
 * a GPT partition of a disk image (scripts/mkswap.sh --partition N gives the partition's start and size): it must be
 * a multiple of 4 KiB, as ballast looks for an area only there.  With --check, --size is the size of what the area
 * must fit in (a partition's), by default PATH from the offset.
 * This tool does not look for other signatures on PATH: scripts/mkswap.sh is the front end that refuses a disk
 * holding a filesystem, a partition table, a mount or active swap, and people should use that.  The tool only adds
 * the kernel's own guard: a block device is opened O_EXCL, which fails while anything has it mounted or claimed.
 *
 * Exit status: 0 written / a usable area; 1 usage, I/O error or refusal; with --check, 2 when PATH has no ballast
 * signature at all and 3 when it has one that does not check (damaged, unsupported or larger than PATH).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <ballast/swap_area.h>

/* swap_area_check()'s codes are ballast's errno values, which are Linux's; libc's <errno.h> names them here (ballast's
 * own header cannot be included beside it: the two spell ENOTSUP differently). */
_Static_assert(ENOENT == 2, "ballast's ENOENT is Linux's");

#define EXIT_FAILED 1
#define EXIT_NO_SIGNATURE 2
#define EXIT_BAD_SIGNATURE 3
#define LABEL_MAX 32 /* struct swap_area_header.label, no NUL needed at full length */
#define MIB (1024 * 1024)

static const char *prog = "ballast-mkswap";

struct options {
	const char *path;
	const char *label;     /* NULL: empty */
	const char *uuid_text; /* NULL: a random one */
	uint64_t size;	       /* bytes; 0: all of PATH from the offset */
	uint64_t offset;       /* bytes into PATH where the header goes: a multiple of SWAP_AREA_PAGE_SIZE */
	bool check;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [--label L] [--uuid U] [--size BYTES] [--offset BYTES] PATH\n"
		"       %s --check [--size BYTES] [--offset BYTES] PATH\n",
		prog, prog);
}

/* A byte count: decimal digits only (scripts/mkswap.sh turns 32M into bytes), no overflow; the caller judges 0. */
static bool parse_bytes(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return true;
}

static bool parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;

		if (!strcmp(a, "--check")) {
			o->check = true;
		} else if (!strcmp(a, "--label") && has_value) {
			o->label = argv[++i];
		} else if (!strcmp(a, "--uuid") && has_value) {
			o->uuid_text = argv[++i];
		} else if (!strcmp(a, "--size") && has_value) {
			if (!parse_bytes(argv[++i], &o->size) || !o->size) {
				fprintf(stderr, "%s: --size wants a positive number of bytes, not '%s'\n", prog, argv[i]);
				return false;
			}
		} else if (!strcmp(a, "--offset") && has_value) {
			if (!parse_bytes(argv[++i], &o->offset) || o->offset % SWAP_AREA_PAGE_SIZE) {
				fprintf(stderr, "%s: --offset wants a number of bytes that is a multiple of %d, not '%s'\n",
					prog, SWAP_AREA_PAGE_SIZE, argv[i]);
				return false;
			}
		} else if (a[0] != '-' && !o->path) {
			o->path = a;
		} else {
			usage();
			return false;
		}
	}
	if (!o->path || (o->check && (o->label || o->uuid_text))) {
		usage();
		return false;
	}
	return true;
}

/*
 * Opens PATH and finds its size: a block device's from the kernel (BLKGETSIZE64), a file's from its inode.  A block
 * device opened for writing is opened O_EXCL so that the kernel refuses one that is mounted, active swap or held by
 * device-mapper or md.  Returns the descriptor, or -1 after saying why.
 */
static int open_target(const char *path, bool writing, uint64_t *bytes)
{
	struct stat st;
	int fd, flags = (writing ? O_RDWR : O_RDONLY) | O_CLOEXEC;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "%s: %s: not a regular file or a block device\n", prog, path);
		return -1;
	}
	if (S_ISBLK(st.st_mode) && writing)
		flags |= O_EXCL;
	fd = open(path, flags);
	if (fd < 0) {
		if (errno == EBUSY)
			fprintf(stderr, "%s: %s: in use (mounted, active swap or held by another driver)\n", prog, path);
		else
			fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	/* Sized from the descriptor, not the earlier stat: the path may have been replaced in between. */
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		fprintf(stderr, "%s: %s: changed while being opened\n", prog, path);
		close(fd);
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, bytes) < 0) {
			fprintf(stderr, "%s: %s: cannot read the device size: %s\n", prog, path, strerror(errno));
			close(fd);
			return -1;
		}
	} else {
		*bytes = (uint64_t)st.st_size;
	}
	return fd;
}

/* Reads up to a page from byte offset; *len is how much there was (a file shorter than a page gives less). */
static bool read_header_page(int fd, const char *path, uint64_t offset, uint8_t *page, size_t *len)
{
	size_t got = 0;

	while (got < SWAP_AREA_PAGE_SIZE) {
		ssize_t n = pread(fd, page + got, SWAP_AREA_PAGE_SIZE - got, (off_t)(offset + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: %s: read: %s\n", prog, path, strerror(errno));
			return false;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*len = got;
	return true;
}

/* Writes the page at byte offset: the one place this tool writes to PATH. */
static bool write_header_page(int fd, const char *path, uint64_t offset, const uint8_t *page)
{
	size_t done = 0;

	while (done < SWAP_AREA_PAGE_SIZE) {
		ssize_t n = pwrite(fd, page + done, SWAP_AREA_PAGE_SIZE - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: %s: write: %s\n", prog, path, n < 0 ? strerror(errno) : "nothing written");
			return false;
		}
		done += (size_t)n;
	}
	/* The header is the promise that the disk is ours: it must be on the medium before we say so. */
	if (fsync(fd) < 0) {
		fprintf(stderr, "%s: %s: fsync: %s\n", prog, path, strerror(errno));
		return false;
	}
	return true;
}

/*
 * The bytes of PATH (bytes long) from the offset that the area lies in: --size of them, or all that remain.  false
 * after saying why when the offset or the size reaches past PATH's end.
 */
static bool area_room(const struct options *o, uint64_t bytes, uint64_t *room)
{
	if (o->offset >= bytes) {
		fprintf(stderr, "%s: %s: --offset %" PRIu64 " is not inside its %" PRIu64 " bytes\n", prog, o->path,
			o->offset, bytes);
		return false;
	}
	*room = o->size ? o->size : bytes - o->offset;
	if (*room > bytes - o->offset) {
		fprintf(stderr, "%s: %s: --size %" PRIu64 " from byte %" PRIu64 " is larger than its %" PRIu64 " bytes\n",
			prog, o->path, *room, o->offset, bytes);
		return false;
	}
	return true;
}

/* The one line both modes print; --check adds the label, with anything unprintable shown as '?'. */
static void print_area(const struct options *o, const struct swap_area_info *info, bool with_label)
{
	char uuid[37];

	swap_area_uuid_format(info->uuid, uuid);
	printf("ballast swap area %s on %s", uuid, o->path);
	if (o->offset)
		printf(" at byte %" PRIu64, o->offset);
	printf(": %" PRIu64 " slots (%" PRIu64 " MiB)", info->nslots, info->npages * SWAP_AREA_PAGE_SIZE / MIB);
	if (with_label && info->label[0]) {
		printf(", label \"");
		for (const char *c = info->label; *c; c++)
			putchar(*c >= 0x20 && *c < 0x7f && *c != '"' ? *c : '?');
		printf("\"");
	}
	printf("\n");
}

static int check_area(const struct options *o)
{
	static uint8_t page[SWAP_AREA_PAGE_SIZE];
	struct swap_area_info info;
	const char *why = "";
	uint64_t bytes, room;
	size_t len;
	int fd, rc;

	fd = open_target(o->path, false, &bytes);
	if (fd < 0)
		return EXIT_FAILED;
	if (!area_room(o, bytes, &room) || !read_header_page(fd, o->path, o->offset, page, &len)) {
		close(fd);
		return EXIT_FAILED;
	}
	close(fd);
	rc = swap_area_check(page, len, room, &info, &why);
	if (rc == -ENOENT) {
		printf("%s: %s\n", o->path, why);
		return EXIT_NO_SIGNATURE;
	}
	if (rc == -EFBIG) { /* shorter than a page: no header of ours fits there */
		printf("%s: no ballast swap signature: %s\n", o->path, why);
		return EXIT_NO_SIGNATURE;
	}
	if (rc < 0) {
		printf("%s: ballast swap signature refused: %s\n", o->path, why);
		return EXIT_BAD_SIGNATURE;
	}
	print_area(o, &info, true);
	return 0;
}

static bool choose_uuid(const struct options *o, uint8_t uuid[16])
{
	if (o->uuid_text) {
		if (swap_area_uuid_parse(o->uuid_text, uuid) < 0) {
			fprintf(stderr, "%s: --uuid '%s' is not of the form 01234567-89ab-cdef-0123-456789abcdef\n", prog,
				o->uuid_text);
			return false;
		}
		return true;
	}
	if (getrandom(uuid, 16, 0) != 16) {
		fprintf(stderr, "%s: getrandom: %s\n", prog, strerror(errno));
		return false;
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40); /* RFC 4122 version 4: random */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	return true;
}

static int make_area(const struct options *o)
{
	static uint8_t page[SWAP_AREA_PAGE_SIZE];
	struct swap_area_info info;
	const char *why = "";
	uint8_t uuid[16];
	uint64_t bytes, size, npages;
	size_t len;
	int fd;

	if (o->label && strlen(o->label) > LABEL_MAX) {
		fprintf(stderr, "%s: --label '%s' is longer than %d bytes\n", prog, o->label, LABEL_MAX);
		return EXIT_FAILED;
	}
	if (!choose_uuid(o, uuid))
		return EXIT_FAILED;
	fd = open_target(o->path, true, &bytes);
	if (fd < 0)
		return EXIT_FAILED;
	if (!area_room(o, bytes, &size))
		goto fail;
	npages = size / SWAP_AREA_PAGE_SIZE; /* a partial last page is left unused */
	if (npages < SWAP_AREA_MIN_PAGES) {
		fprintf(stderr, "%s: %s: %" PRIu64 " bytes is smaller than a swap area's %d pages (%d KiB)\n", prog,
			o->path, size, SWAP_AREA_MIN_PAGES, SWAP_AREA_MIN_PAGES * SWAP_AREA_PAGE_SIZE / 1024);
		goto fail;
	}
	swap_area_format(page, npages, uuid, (uint64_t)time(NULL), o->label);
	if (!write_header_page(fd, o->path, o->offset, page))
		goto fail;
	/* Read back through the hypervisor's own check, bounded as it will be (a partition's size, say): what we
	 * report is what ballast will find. */
	memset(page, 0, sizeof(page));
	if (!read_header_page(fd, o->path, o->offset, page, &len))
		goto fail;
	if (swap_area_check(page, len, size, &info, &why) < 0) {
		fprintf(stderr, "%s: %s: the header read back does not check: %s\n", prog, o->path, why);
		goto fail;
	}
	close(fd);
	print_area(o, &info, false);
	return 0;
fail:
	close(fd);
	return EXIT_FAILED;
}

int main(int argc, char **argv)
{
	struct options o;

	if (!parse_args(argc, argv, &o))
		return EXIT_FAILED;
	return o.check ? check_area(&o) : make_area(&o);
}
