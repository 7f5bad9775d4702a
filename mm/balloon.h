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
 * ordinary backing leaves inflate_reserve_pages free, and the reserve lends:
 *   - every VM may owe it up to inflate_credit_pages; the debt is repaid by the machine pages its balloon gives back
 *     (LOCK, free reports), never forgiven.  A guest reclaiming into its own swap (zram) needs pages to compress
 *     into before it can free any: the loan lets it go as fast as it pays back, and no faster;
 *   - a VM whose driver polls for a target it must inflate toward opens an inflate window (INFLATE_WINDOW_MS, kept
 *     open by each LOCK): inside it the loan may come from the whole reserve, the last quarter too, and in the low
 *     state while blocked; outside it only from the upper three quarters, and not while blocked;
 *   - a VM waiting in a fault, whatever it owes, gets a grant of 16 pages a second from the upper three quarters,
 *     so that a fault its guest cannot leave (one under a spinlock, with preemption off) gets through.
 * Polling opens a window but forgives no debt, so a guest whose workload spends the loan gets no more until its
 * balloon gives memory back; with every VM at its limit the last quarter is still there for inflates.  (A guest
 * kernel with full preemption, Linux's preempt=full, runs its driver even while its workload waits in a fault: the
 * timer interrupt that ballast still delivers there preempts it.)
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
	uint64_t borrowed;	   /* pages of the reserve taken through inflate windows and not yet repaid */
	uint64_t window_until_ms;  /* the inflate window its driver opened (GET_TARGET, LOCK) is open until then */
	uint64_t wait_credit;	   /* pages a VM waiting in a fault may take, from the reserve's upper half */
	uint64_t last_grant_ms;	   /* when wait_credit was last renewed */
	uint64_t nlocked, nunlocked, nreported, nrefused; /* counters of PPNs / refused calls */
};

#endif
