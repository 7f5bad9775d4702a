/*
 * The IDT and trap dispatch.  An exception in the hypervisor is always a bug: print everything a person needs to
 * find it (vector, error code, RIP, control registers, general registers) and stop.  Vectors 32-255 go to handlers
 * registered by drivers; an unexpected one is logged, not fatal.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/desc.h"
#include "arch/x86_64/trap.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

extern const uint64_t isr_table[256];

static struct idt_gate idt[256] __aligned(16);
static irq_handler_t irq_handlers[256];

static const char *const exception_names[NR_EXCEPTIONS] = {
	[VEC_DE] = "#DE divide error",	      [VEC_DB] = "#DB debug",
	[VEC_NMI] = "NMI",		      [VEC_BP] = "#BP breakpoint",
	[VEC_OF] = "#OF overflow",	      [VEC_BR] = "#BR bound range",
	[VEC_UD] = "#UD invalid opcode",      [VEC_NM] = "#NM device not available",
	[VEC_DF] = "#DF double fault",	      [9] = "coprocessor segment overrun",
	[VEC_TS] = "#TS invalid TSS",	      [VEC_NP] = "#NP segment not present",
	[VEC_SS] = "#SS stack fault",	      [VEC_GP] = "#GP general protection",
	[VEC_PF] = "#PF page fault",	      [VEC_MF] = "#MF x87 error",
	[VEC_AC] = "#AC alignment check",     [VEC_MC] = "#MC machine check",
	[VEC_XM] = "#XM SIMD exception",      [VEC_VE] = "#VE virtualization exception",
	[VEC_CP] = "#CP control protection",
};

const char *exception_name(uint64_t vector)
{
	if (vector < NR_EXCEPTIONS && exception_names[vector])
		return exception_names[vector];
	return vector < NR_EXCEPTIONS ? "reserved exception" : "interrupt";
}

static void set_gate(unsigned vec, uint64_t handler, unsigned ist)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = GDT_KERNEL_CS,
		.ist = ist,
		.type_attr = 0x8e, /* present, DPL 0, 64-bit interrupt gate (IF cleared on entry) */
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = handler >> 32,
	};
}

void idt_init(void)
{
	struct desc_ptr ptr = { .limit = sizeof(idt) - 1, .base = (uint64_t)idt };

	for (unsigned v = 0; v < 256; v++)
		set_gate(v, isr_table[v], 0);
	set_gate(VEC_DF, isr_table[VEC_DF], IST_DOUBLE_FAULT);
	set_gate(VEC_NMI, isr_table[VEC_NMI], IST_NMI);
	set_gate(VEC_MC, isr_table[VEC_MC], IST_MACHINE_CHECK);
	__asm__ volatile("lidt %0" : : "m"(ptr));
}

uint64_t idt_base(void) { return (uint64_t)idt; }

void irq_register(uint8_t vector, irq_handler_t handler)
{
	irq_handlers[vector] = handler;
}

static void page_fault_detail(uint64_t err)
{
	/* Error code bits: SDM Vol. 3A §4.7 */
	printk("  #PF: %s %s in %s mode%s\n", err & 1 ? "protection violation on" : "not-present page at",
	       err & 2 ? "write" : (err & 16) ? "instruction fetch" : "read", err & 4 ? "user" : "supervisor",
	       err & 8 ? ", reserved bit set" : "");
}

static __noreturn void exception_report(struct trap_frame *f)
{
	printk("EXCEPTION %llu (%s) error=0x%llx\n", (unsigned long long)f->vector, exception_name(f->vector),
	       (unsigned long long)f->error_code);
	printk("  RIP=%016llx CS=%04llx RFLAGS=%016llx\n", (unsigned long long)f->rip, (unsigned long long)f->cs,
	       (unsigned long long)f->rflags);
	printk("  RSP=%016llx SS=%04llx\n", (unsigned long long)f->rsp, (unsigned long long)f->ss);
	printk("  CR0=%016llx CR2=%016llx CR3=%016llx CR4=%016llx\n", (unsigned long long)read_cr0(),
	       (unsigned long long)read_cr2(), (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
	if (f->vector == VEC_PF)
		page_fault_detail(f->error_code);
	printk("  RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n", (unsigned long long)f->rax,
	       (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	printk("  RSI=%016llx RDI=%016llx RBP=%016llx\n", (unsigned long long)f->rsi, (unsigned long long)f->rdi,
	       (unsigned long long)f->rbp);
	printk("  R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n", (unsigned long long)f->r8,
	       (unsigned long long)f->r9, (unsigned long long)f->r10, (unsigned long long)f->r11);
	printk("  R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n", (unsigned long long)f->r12,
	       (unsigned long long)f->r13, (unsigned long long)f->r14, (unsigned long long)f->r15);
	/* A few return addresses from the frame-pointer chain (built with -fno-omit-frame-pointer). */
	printk("  call trace:");
	uint64_t *fp = (uint64_t *)f->rbp;
	for (int i = 0; i < 8 && fp && ((uint64_t)fp & 7) == 0 && (uint64_t)fp < (4ULL << 30); i++) {
		printk(" %llx", (unsigned long long)fp[1]);
		fp = (uint64_t *)fp[0];
	}
	printk("\n");
	panic("unhandled exception %llu in the hypervisor", (unsigned long long)f->vector);
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < NR_EXCEPTIONS)
		exception_report(f);
	if (irq_handlers[f->vector])
		irq_handlers[f->vector](f);
	else
		printk("spurious interrupt vector %llu\n", (unsigned long long)f->vector);
}
