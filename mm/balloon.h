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
 * toward opens an inflate window: for INFLATE_WINDOW_MS it may borrow from the reserve when it would otherwise wait
 * - in the low state while blocked, too - as long as its debt stays under inflate_credit_pages.  The window opens when the driver runs and
 * allocates (one vCPU: the guest's workload is not running then), so it is the driver's own allocations that use
 * it; every LOCK keeps it open and repays the machine pages it released, so an inflate goes on as long as it gives
 * back what it faults in (one page for each page it zeroes).  Polling opens a window but forgives no debt, so a
 * guest whose workload, not its driver, spends the loan gets no more until its balloon gives memory back.  A guest whose only vCPU waits in a fault cannot reach
 * its driver: while it waits it gets a small grant (16 pages) a second from the upper three quarters of the reserve,
 * so that the fault completes and the guest returns to where it can be preempted; the last quarter stays for
 * inflates, so the workloads of waiting guests cannot drain the pool to nothing.  (A guest kernel with full
 * preemption, Linux's preempt=full, runs its driver even while its workload waits in a fault: the timer interrupt
 * that ballast still delivers there preempts it.)
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
