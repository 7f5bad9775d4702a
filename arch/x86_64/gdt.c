/*
 * The hypervisor's GDT: null, 64-bit code, data, and a TSS whose only job is the interrupt stack table.
 */
#include <ballast/string.h>
#include "arch/x86_64/desc.h"

#define IST_STACK_SIZE 8192

static uint64_t gdt[5] __aligned(16);
static struct tss64 tss __aligned(16);
static uint8_t ist_stacks[3][IST_STACK_SIZE] __aligned(16);

void gdt_init(void)
{
	uint64_t t = (uint64_t)&tss;
	struct desc_ptr ptr = { .limit = sizeof(gdt) - 1, .base = (uint64_t)gdt };

	memset(&tss, 0, sizeof(tss));
	for (int i = 0; i < 3; i++)
		tss.ist[i + 1] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */

	gdt[0] = 0;
	gdt[1] = 0x00209a0000000000ULL; /* code: P, DPL0, S, execute/read, L */
	gdt[2] = 0x0000920000000000ULL; /* data: P, DPL0, S, read/write */
	/* 64-bit available TSS (type 9), present, limit = sizeof - 1 */
	gdt[3] = (sizeof(tss) - 1) | ((t & 0xffffff) << 16) | (0x89ULL << 40) | (((t >> 24) & 0xff) << 56);
	gdt[4] = t >> 32;

	__asm__ volatile("lgdt %0" : : "m"(ptr));
	/* Reload CS by a far return, then the data segments. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w1, %%ds\n\t"
			 "movw %w1, %%es\n\t"
			 "movw %w1, %%ss\n\t"
			 : : "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS) : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));
}

uint64_t gdt_base(void) { return (uint64_t)gdt; }
uint64_t tss_base(void) { return (uint64_t)&tss; }
