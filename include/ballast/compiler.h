#ifndef BALLAST_COMPILER_H
#define BALLAST_COMPILER_H

#define __packed __attribute__((packed))
#define __aligned(n) __attribute__((aligned(n)))
#define __noreturn __attribute__((noreturn))
#define __printf(f, a) __attribute__((format(printf, f, a)))
#define __unused __attribute__((unused))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define BIT(n) (1ULL << (n))
#define barrier() __asm__ volatile("" ::: "memory") /* the compiler may not move memory accesses across */
#define container_of(p, type, member) ((type *)((char *)(p) - __builtin_offsetof(type, member)))

#endif
