/*
 * Page numbers in ballast's two address spaces.
 *
 * A machine page number (MPN) names real memory; a guest-physical page number (PPN) names what a guest believes is
 * its RAM (Waldspurger, OSDI 2002, §2).  They are distinct struct types so that the compiler refuses to mix them;
 * they are converted only by the named helpers below or by a pmap lookup.
 */
#ifndef BALLAST_PAGE_H
#define BALLAST_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

typedef struct { uint64_t v; } mpn_t; /* machine page number */
typedef struct { uint64_t v; } ppn_t; /* guest-physical page number */

#define MPN(n) ((mpn_t){ .v = (n) })
#define PPN(n) ((ppn_t){ .v = (n) })
#define MPN_INVALID MPN(UINT64_MAX)
#define PPN_INVALID PPN(UINT64_MAX)

static inline uint64_t mpn_to_maddr(mpn_t m) { return m.v << PAGE_SHIFT; }
static inline mpn_t maddr_to_mpn(uint64_t maddr) { return MPN(maddr >> PAGE_SHIFT); }
static inline uint64_t ppn_to_gpa(ppn_t p) { return p.v << PAGE_SHIFT; }
static inline ppn_t gpa_to_ppn(uint64_t gpa) { return PPN(gpa >> PAGE_SHIFT); }
static inline bool mpn_eq(mpn_t a, mpn_t b) { return a.v == b.v; }
static inline bool ppn_eq(ppn_t a, ppn_t b) { return a.v == b.v; }
static inline bool mpn_valid(mpn_t m) { return m.v != UINT64_MAX; }
static inline bool ppn_valid(ppn_t p) { return p.v != UINT64_MAX; }

static inline uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }
static inline uint64_t align_down(uint64_t x, uint64_t a) { return x & ~(a - 1); }

#endif
