/*
 * Hypervisor-side state of one VM's balloon (paper §3.2, SPEC §2.3).  The guest driver polls mm_balloon_target()
 * once a second and reports pages with mm_balloon_lock()/mm_balloon_unlock() (include/uapi carries the hypercall);
 * ballooned PPNs are pmap entries in state BALLOONED, so the balloon's size is the pmap's count of them.
 *
 * Free page reporting (as Linux's virtio-balloon VIRTIO_BALLOON_F_REPORTING): the driver may also report pages its
 * guest has freed; their machine pages go back to the pool at once and the PPNs stay the guest's.  Without it a
 * guest that frees memory keeps it backed until memory pressure balloons it away.
 *
 * No deadlock (SPEC §2.6).  A one-vCPU guest whose fault waits for machine memory runs nothing else, not even its
 * balloon driver, and the driver's own allocations fault too (the guest kernel zeroes every page it allocates).  So
 * ordinary backing leaves inflate_reserve_pages free, and a VM whose driver polls for a target it must inflate
 * toward is granted credit (up to inflate_credit_pages) to borrow pages from that reserve when it would otherwise
 * wait - in the low state while blocked, too.  The grant comes when the driver runs, so it is mostly the driver's
 * own allocations that use it; every machine page its LOCKs (and free page reports) then release is repaid into
 * the credit, so an inflate goes on as long as it gives back what it faults in, and a workload that spends the
 * credit instead can take no more than one grant per poll.  A guest whose only vCPU waits in a fault cannot poll:
 * while it waits it gets a small grant (16 pages) a second, so that the fault completes, the guest returns to where it can be
 * preempted, and its driver runs.
 *
 * Distrust: a balloon is only as good as the guest driver behind it.  It is distrusted (and the VM is reclaimed by
 * swapping instead) when it never connected while a target was set, when it lags its target without progress for
 * balloon_grace_ms, or when the guest touches more than balloon_touch_limit of the pages it gave away.  Distrust
 * lasts until the driver connects again.  A balloon is not distrusted for lagging while its VM waits for memory:
 * a guest that cannot run cannot inflate.
 */
#ifndef MM_BALLOON_H
#define MM_BALLOON_H

#include <stdbool.h>
#include <stdint.h>

#define MM_BALLOON_BATCH 512 /* PPNs per lock/unlock call (as VMware's driver batches) */

struct balloon {
	bool connected;		   /* the guest driver has said hello */
	bool distrusted;	   /* reclaim this VM by swapping, not ballooning */
	uint64_t target;	   /* pages the hypervisor wants in the balloon (what the guest polls) */
	uint64_t touched;	   /* ballooned pages the guest accessed anyway since it connected */
	uint64_t last_size;	   /* size at the previous progress check */
	uint64_t last_progress_ms; /* when the balloon last met or moved toward its target */
	uint64_t credit;	   /* inflate credit: pages of the reserve this VM may still borrow */
	uint64_t last_grant_ms;	   /* when the credit was last renewed for a VM that waits */
	uint64_t nlocked, nunlocked, nreported, nrefused; /* counters of PPNs / refused calls */
};

#endif
