/*
 * Descriptor tables (Intel SDM Vol. 3A §3.4.5, §7.2.3, §6.14): the GDT with a 64-bit TSS, and the IDT.
 */
#ifndef ARCH_X86_64_DESC_H
#define ARCH_X86_64_DESC_H

#include <stdint.h>
#include <ballast/compiler.h>

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18 /* 16-byte system descriptor: occupies two slots */

/* Interrupt stack table slots, so a double fault or NMI gets a good stack even if the current one is broken. */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t ist[8]; /* ist[0] is the reserved slot at 0x1c; IST1..7 follow */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr; /* P | DPL | 0 | type (0xE = 64-bit interrupt gate) */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

void gdt_init(void);
void idt_init(void);
/* The host's GDT/IDT/TSS bases: the VMCS host-state area needs them. */
uint64_t gdt_base(void);
uint64_t idt_base(void);
uint64_t tss_base(void);

#endif
