/*
 * The global page-sharing table (paper §4.2): one hash table of 16-byte frames, each either a SHARED frame (a
 * machine page owned by the table, with a reference count) or a HINT frame (an unshared page that was scanned once,
 * remembered by VM and PPN, not write-protected).
 *
 * Frame (16 bytes, as in the paper):
 *   key   [63:16] bits 63..16 of the 64-bit content hash (the bucket index is taken from the top bits, so it is
 *                 part of what is stored); [15:0] SHARED: reference count, 0xffff = "see the overflow table";
 *                 HINT: the hinted page's VM id
 *   next  [30:0] chain link (frame index, 0 ends a chain); [31] set for a HINT frame
 *   obj   SHARED: the machine page's pool index; HINT: the hinted PPN
 * Comparing 48 bits of hash instead of 64 costs one extra full compare per 2^48 lookups, and a full compare is
 * always done before sharing, so correctness never rests on the hash.
 *
 * Frames live in one array allocated at init (capacity from mm_tunables.share_frames_pm); frame 0 is the null link
 * and free frames are chained through `next`.  Buckets are 32-bit heads, one per two frames.  Reference counts
 * that reach 0xffff move to a small overflow table (paper: "16-bit count with an overflow table"), which only the
 * zero page and similar very common pages ever need.
 *
 * This file is the data structure only; scan.c decides what to share and fault.c breaks copy-on-write.
 */
#ifndef MM_SHARE_H
#define MM_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#define SF_NIL 0u
#define SF_HINT 0x80000000u
#define SF_LINK_MASK 0x7fffffffu
#define SF_COUNT_OVF 0xffffu
#define SF_KEY_MASK (~0xffffULL)

struct share_frame {
	uint64_t key;
	uint32_t next;
	uint32_t obj;
};
_Static_assert(sizeof(struct share_frame) == 16, "paper: 16-byte frames");

struct share_ovf {
	uint32_t frame; /* 0: slot unused */
	uint32_t count; /* the real reference count (>= 0xffff) */
};

struct share_table {
	struct share_frame *frame; /* nframes entries, frame[0] unused */
	uint32_t nframes;
	uint32_t free_head;
	uint32_t *bucket;
	unsigned bucket_bits;
	struct share_ovf *ovf;
	uint32_t novf_cap;
	uint32_t nshared; /* SHARED frames in use */
	uint32_t nhints;  /* HINT frames in use */
};

int share_init(struct share_table *t, uint32_t nframes); /* -ENOMEM, -EINVAL */
void share_destroy(struct share_table *t);

static inline bool sf_is_hint(const struct share_frame *f)
{
	return f->next & SF_HINT;
}
static inline uint32_t sf_next(const struct share_frame *f)
{
	return f->next & SF_LINK_MASK;
}
static inline bool sf_key_match(const struct share_frame *f, uint64_t hash)
{
	return (f->key & SF_KEY_MASK) == (hash & SF_KEY_MASK);
}
static inline uint16_t sf_hint_vm(const struct share_frame *f)
{
	return (uint16_t)f->key;
}

/* First frame of the chain that hash falls in (then follow sf_next()). */
uint32_t share_chain(const struct share_table *t, uint64_t hash);

/* New frames linked at the head of their chain; SF_NIL when the table is full. */
uint32_t share_add_hint(struct share_table *t, uint64_t hash, uint16_t vm, uint32_t ppn);
uint32_t share_add_shared(struct share_table *t, uint64_t hash, uint32_t mpn_idx);
/* Turn a hint frame into a shared frame in place (same hash, so same chain), count 1. */
void share_hint_to_shared(struct share_table *t, uint32_t f, uint32_t mpn_idx);
/* Unlink and free a frame.  A shared frame must have count 0 by then. */
void share_remove(struct share_table *t, uint32_t f);

uint32_t share_count(const struct share_table *t, uint32_t f);
/* +1 / -1 on a shared frame's count, spilling to or returning from the overflow table; returns the new count.
 * share_get returns 0 when the count cannot grow (overflow table full): the caller then leaves the page private. */
uint32_t share_get(struct share_table *t, uint32_t f);
uint32_t share_put(struct share_table *t, uint32_t f);

#endif
