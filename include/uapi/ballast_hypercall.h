/*
 * ballast hypercall ABI, shared by the hypervisor and the guest drivers (guests/linux/balloon/).  Versioned; every
 * field is marked IN (guest to hypervisor) or OUT (hypervisor to guest).  Plain C with fixed-width types so that it
 * builds freestanding, on the host and inside a Linux module (which includes <linux/types.h> first).
 *
 * Detection: CPUID leaf 0x40000000 returns the highest hypervisor leaf in EAX (at least 0x40000001) and the
 * signature "BallastHVBHV" in EBX, ECX, EDX.  Leaf 0x40000001 returns BALLAST_FEATURE_* bits in EAX.
 *
 * Calling convention: VMCALL from guest ring 0 with
 *   RAX  IN   call number (BALLAST_HC_*)
 *   RBX, RCX, RDX, RSI, RDI  IN  arguments (call-specific, below)
 *   RAX  OUT  status: 0 or a negative error (-BALLAST_E*)
 *   RBX, RCX, RDX  OUT  call-specific results; registers a call does not name are left unchanged
 * A VMCALL from ring 3 fails with -BALLAST_EPERM; an unknown call number with -BALLAST_ENOSYS.  Every balloon call
 * made before a successful BALLAST_HC_VERSION handshake fails with -BALLAST_EPROTO.
 *
 * Page lists travel in a batch page: one 4 KiB-aligned guest page holding up to BALLAST_BATCH_MAX entries of
 * struct ballast_batch_entry.  The hypervisor processes the entries in order and writes every entry's status; a
 * call-level error (bad batch address or count, no handshake) changes nothing and writes no status.
 */
#ifndef UAPI_BALLAST_HYPERCALL_H
#define UAPI_BALLAST_HYPERCALL_H

#ifndef __KERNEL__
#include <stdint.h>
#define BALLAST_U64 uint64_t
#define BALLAST_S32 int32_t
#define BALLAST_U32 uint32_t
#else
#define BALLAST_U64 __u64
#define BALLAST_S32 __s32
#define BALLAST_U32 __u32
#endif

#define BALLAST_CPUID_LEAF 0x40000000
#define BALLAST_CPUID_FEATURES 0x40000001
#define BALLAST_SIGNATURE_EBX 0x6c6c6142 /* "Ball" */
#define BALLAST_SIGNATURE_ECX 0x48747361 /* "astH" */
#define BALLAST_SIGNATURE_EDX 0x56484256 /* "VBHV" */
#define BALLAST_FEATURE_BALLOON (1u << 0)

/* 3: REPORT (free page reporting); the batch entry's last field became npages (REPORT), still 0 elsewhere. */
#define BALLAST_ABI_VERSION 3

/*
 * VERSION: the handshake; a balloon driver calls it once when it loads (and may call it again after a reload).
 *   IN  RBX  the ABI version the guest speaks (BALLAST_ABI_VERSION)
 *   OUT RBX  the hypervisor's BALLAST_ABI_VERSION
 *   OUT RCX  the VM's memory size in pages (max)
 *   OUT RDX  BALLAST_BATCH_MAX
 *   RAX: 0, or -BALLAST_EINVAL when the guest's version is not one the hypervisor speaks (no handshake then).
 */
#define BALLAST_HC_VERSION 0

/*
 * GET_TARGET: how many pages the balloon should hold now.  Poll it (default once a second).
 *   OUT RBX  target balloon size in pages
 *   OUT RCX  current balloon size in pages, as the hypervisor counts it
 *   OUT RDX  the balloon's cap in pages: the largest target this VM will get (the hypervisor's balloon_max of the
 *            VM's size); a driver may hold less, never needs more
 */
#define BALLAST_HC_GET_TARGET 1

/*
 * LOCK: the guest gives these pages up (inflate).  The hypervisor frees their machine pages; a later touch gets a
 * zeroed page and is counted against the balloon (distrust, SPEC §2.3).
 * UNLOCK: the guest takes these pages back (deflate); they are backed again, zeroed, on first touch.
 *   IN  RBX  guest-physical address of the batch page (4 KiB aligned, inside the VM)
 *   IN  RCX  number of entries, 1 .. BALLAST_BATCH_MAX
 *   OUT RBX  number of entries that succeeded
 *   RAX: 0 when every entry succeeded; -BALLAST_EAGAIN when some failed (see each entry's status);
 *        call level: -BALLAST_EINVAL (batch address unaligned or outside the VM), -BALLAST_E2BIG (count 0 or above
 *        BALLAST_BATCH_MAX), -BALLAST_EPROTO (no handshake).
 *   Entry status (OUT): 0, or -BALLAST_EFAULT (PPN outside the VM), -BALLAST_EEXIST (LOCK: already ballooned,
 *   including twice in one batch), -BALLAST_ENOENT (UNLOCK: not ballooned), -BALLAST_EPERM (a page the hypervisor
 *   reserved, e.g. the batch page itself), -BALLAST_ENOSPC (LOCK: the balloon is at its cap).
 */
#define BALLAST_HC_LOCK 2
#define BALLAST_HC_UNLOCK 3

/*
 * STATS: the guest's view of its memory, for the monitor and the memstat lines.  All in pages.
 *   IN  RBX  free pages (MemFree)
 *   IN  RCX  available pages (MemAvailable)
 *   IN  RDX  balloon size as the guest counts it
 *   IN  RSI  allocation failures the driver met since it loaded
 *   IN  RDI  pages the guest has read back from its own swap since it booted (Linux: the pswpin event): a guest
 *            paging its working set in and out touches less of its memory, which must not pass for idleness
 *   RAX: 0.
 */
#define BALLAST_HC_STATS 4

/*
 * REPORT: free page reporting.  The guest's allocator freed these runs of contiguous pages (Linux reports free
 * blocks of 2 MiB and more); the hypervisor frees the machine pages behind them.  The pages stay the guest's: its
 * next touch of one gets a zeroed page, which is no fault of the balloon's (unlike a ballooned page).
 *   IN  RBX  guest-physical address of the batch page, as for LOCK
 *   IN  RCX  number of entries (runs), 1 .. BALLAST_BATCH_MAX; each entry's ppn is the run's first page and its
 *            npages the run's length, 1 .. BALLAST_REPORT_RUN_MAX
 *   OUT RBX  guest pages released (backed pages among the runs; a page that was not backed counts nothing)
 *   RAX: 0 when every run was taken; -BALLAST_EAGAIN when some were refused (see each entry's status); call level
 *        as for LOCK.
 *   Entry status (OUT): 0, or -BALLAST_EINVAL (npages 0 or above BALLAST_REPORT_RUN_MAX), -BALLAST_EFAULT (a page
 *   outside the VM), -BALLAST_EEXIST (a ballooned page in the run), -BALLAST_EPERM (a page the hypervisor reserved,
 *   e.g. the batch page itself).  A refused run changes nothing.
 */
#define BALLAST_HC_REPORT 5

#define BALLAST_HC_MAX 5

#define BALLAST_BATCH_MAX 256	  /* entries in one 4 KiB batch page */
#define BALLAST_REPORT_RUN_MAX 1024 /* pages in one REPORT run (4 MiB, a free block of order 10) */

struct ballast_batch_entry {
	BALLAST_U64 ppn;     /* IN: guest page frame number (guest-physical address >> 12) */
	BALLAST_S32 status;  /* OUT: 0 or -BALLAST_E* */
	BALLAST_U32 npages;  /* IN: REPORT: pages in the run starting at ppn; LOCK and UNLOCK: must be 0 */
};

/* Error numbers: the Linux values, so a guest driver can hand them on unchanged. */
#define BALLAST_EPERM 1
#define BALLAST_ENOENT 2
#define BALLAST_EAGAIN 11
#define BALLAST_E2BIG 7
#define BALLAST_EFAULT 14
#define BALLAST_EEXIST 17
#define BALLAST_EINVAL 22
#define BALLAST_ENOSPC 28
#define BALLAST_ENOSYS 38
#define BALLAST_EPROTO 71

#endif
