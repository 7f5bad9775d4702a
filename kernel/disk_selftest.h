/* The boot word test=disk: an end-to-end check of the disk path on the disks that carry a ballast swap area. */
#ifndef KERNEL_DISK_SELFTEST_H
#define KERNEL_DISK_SELFTEST_H

/* Prints one line per disk tested and "disk self-test: PASS" or "disk self-test: FAIL: <reason>"; 0 or -EIO.
 * Writes only into the slot pages of valid swap areas; call after disks_init(). */
int disk_selftest(void);

#endif
