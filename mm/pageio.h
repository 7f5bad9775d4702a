/*
 * Swap I/O in flight (paper §3.3, SPEC §2.7): the core never waits for a disk and never does I/O with its lock held.
 * A swap-out or swap-in is an entry of this table, queued to the mechanism (mm_ops.swap_submit) and finished by
 * mm_swap_complete() when the device is done:
 *
 *   swap-out   PRIVATE --unmap, checksum, queue--> PAGING_OUT --written--> SWAPPED (machine page freed)
 *                                                             --failed---> PRIVATE (page kept, slot freed)
 *              a touch while PAGING_OUT takes the page back at once (PRIVATE); the write's slot is freed when it ends
 *   swap-in    SWAPPED --new page, queue--> PAGING_IN --read, checksum matches--> PRIVATE (slot freed)
 *                                                     --failed or mismatch----> SWAPPED, and the VM must stop
 *              a touch while PAGING_IN waits (the vCPU is parked until the read ends)
 *
 * An entry whose VM let go of the page meanwhile (ballooned or reported it, or was destroyed) is "orphaned": its
 * machine page is retagged MP_IO and its slot stays allocated until the device is done with both (a DMA may still
 * be reading or writing the page), and its completion then only frees them.
 *
 * Each used slot belongs either to exactly one SWAPPED entry or to exactly one I/O (the audit checks it); each
 * written slot's checksum (a 32-bit page hash) is kept in memory and checked on swap-in, never trusted from disk.
 */
#ifndef MM_PAGEIO_H
#define MM_PAGEIO_H

#include <stdbool.h>
#include <stdint.h>

#define MM_SWAP_IO_MAX 256 /* I/Os in flight at once: swapping pauses when all are busy */

enum swap_io_kind { SIO_FREE = 0, SIO_WRITE, SIO_READ };

struct swap_io {
	uint8_t kind;	 /* enum swap_io_kind */
	bool orphan;	 /* its VM let go: completion frees page (if it still holds one) and slot, nothing else */
	uint16_t vm;	 /* VM id (meaningless once orphaned: the id may be reused) */
	uint32_t ppn;
	uint32_t idx;	 /* pool index of the page written from / read into; MPOOL_NONE once the VM took it back */
	uint32_t slot;
	uint32_t sum;	 /* write: checksum of the page as it went out */
	uint32_t next;	 /* free list */
};

#endif
