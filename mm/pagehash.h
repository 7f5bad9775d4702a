/*
 * The content hash of a 4 KiB page for content-based sharing (paper §4.1: "a fast 64-bit hash"), and the zero-page
 * test that lets zero pages skip hashing entirely.  Chosen by measurement: see bench/bench_hash.c and its figures
 * in bench/README.md (eight independent 64x64->128 multiply chains; within 1.4x of reading the page from memory).
 */
#ifndef MM_PAGEHASH_H
#define MM_PAGEHASH_H

#include <stdbool.h>
#include <stdint.h>

uint64_t pagehash(const void *page);  /* page: 4096 bytes, 8-byte aligned */
bool page_is_zero(const void *page);   /* exits at the first non-zero 64-byte line */

#endif
