/*
 * Error codes.  A function that can fail returns 0 or a negative one of these (STYLE.md, error tiers).
 */
#ifndef BALLAST_ERRNO_H
#define BALLAST_ERRNO_H

#define EPERM 1   /* not allowed (e.g. a hypervisor-owned page) */
#define ENOENT 2  /* no such object (module, VM, page never ballooned) */
#define EIO 5     /* device or swap I/O failed */
#define E2BIG 7   /* batch or argument too large */
#define EAGAIN 11 /* partly done; try again or look at the details */
#define ENOEXEC 8 /* bad image format */
#define ENOMEM 12 /* out of machine memory or metadata */
#define EFAULT 14 /* bad address (out of range, unaligned) */
#define EBUSY 16  /* resource in use */
#define EEXIST 17 /* already present (double balloon, duplicate name) */
#define EINVAL 22 /* invalid argument */
#define EFBIG 27  /* too short or too big for the format (a truncated swap-area header page) */
#define ENOSPC 28 /* no space (swap full, admission refused) */
#define ERANGE 34 /* value out of range */
#define ENOSYS 38 /* unknown call */
#define EPROTO 71 /* protocol violation (call before handshake) */
#define ENOTSUP 95 /* not supported by this CPU or configuration */

const char *errno_name(int err); /* "EINVAL" for -22 or 22; "E?" for unknown */

#endif
