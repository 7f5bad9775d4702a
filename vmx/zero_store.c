/*
 * Zero stores to pages that have no machine page (SDM Vol. 2B, STOS; Vol. 3C §28.2.3 for the exit).
 *
 * A guest kernel zeroes every page it allocates (Debian sets init_on_alloc; clear_page() is REP STOSB or REP STOSQ
 * with a zero accumulator).  When that page has never been backed, or its backing was given back (free page
 * reporting, a deflated balloon), it already reads as zeros: backing it only to write zeros over zeros costs a
 * machine page for nothing.  Worse, the balloon driver's own allocations are zeroed like this, so without this a
 * guest needs free machine memory to give memory back.  So an EPT write violation that is a forward REP STOS of
 * zeros at RDI onto such a page is completed here: RDI and RCX advance past the part of the page the store covers,
 * and RIP past the instruction when RCX reaches zero.  The page stays unbacked; its first non-zero write backs it.
 *
 * Only that exact case is taken, everything else goes to the memory manager as before: the write must be to the
 * linear address in RDI (not a page-table walk, not event delivery), in 64-bit code, DF clear, the instruction
 * F3 AA (STOSB), F3 AB (STOSD) or F3 48 AB (STOSQ) at RIP, the element aligned within the page.
 */
#include <ballast/compiler.h>
#include "kernel/guest_paging.h"
#include "kernel/hv_mm.h"
#include "vmx/exit.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_insn.h"

#define RFLAGS_DF BIT(10)
#define CS_AR_L BIT(13)		   /* 64-bit code segment */
#define EPT_QUAL_TRANSLATED BIT(8) /* the access was to the linear address's translation, not a table walk */

/* The REP STOS at rip: element size, or 0 if the instruction is anything else. */
static unsigned rep_stos_size(const uint8_t *b, unsigned *len)
{
	if (b[0] != 0xf3)
		return 0;
	if (b[1] == 0xaa)
		return *len = 2, 1;
	if (b[1] == 0xab)
		return *len = 2, 4;
	if (b[1] == 0x48 && b[2] == 0xab)
		return *len = 3, 8;
	return 0;
}

bool vmx_elide_zero_store(struct vm *vm, const struct exit_info *e)
{
	struct guest_regs *g = &vm->vcpu.regs;
	uint64_t rip = vmread(VMCS_GUEST_RIP), cr3 = vmread(VMCS_GUEST_CR3), cr4 = vmread(VMCS_GUEST_CR4);
	uint8_t insn[3];
	unsigned size, len = 0;

	if ((e->qualification & (EPT_QUAL_WRITE | EPT_QUAL_LINEAR_VALID | EPT_QUAL_TRANSLATED)) !=
	    (EPT_QUAL_WRITE | EPT_QUAL_LINEAR_VALID | EPT_QUAL_TRANSLATED))
		return false;
	if ((vmread(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID) || (vmread(VMCS_GUEST_RFLAGS) & RFLAGS_DF) ||
	    !(vmread(VMCS_GUEST_CS_AR) & CS_AR_L) || vmread(VMCS_GUEST_LINEAR_ADDRESS) != g->rdi)
		return false;
	if (!mm_reads_zero(&hv_mm, vm->mm, gpa_to_ppn(e->guest_phys)))
		return false;
	/* The instruction may end in the next page; read the bytes one page at a time. */
	unsigned first = (unsigned)MIN(sizeof(insn), 4096 - (rip & 0xfff));
	if (guest_read_linear(vm, cr3, cr4, rip, insn, first) < 0 ||
	    (first < sizeof(insn) && guest_read_linear(vm, cr3, cr4, rip + first, insn + first, sizeof(insn) - first) < 0))
		return false;
	if (!(size = rep_stos_size(insn, &len)) || (g->rdi & (size - 1)) || g->rcx == 0)
		return false;
	uint64_t value = size == 8 ? g->rax : g->rax & ((1ULL << (size * 8)) - 1);
	if (value != 0)
		return false;
	/* This page only (the next one faults by itself); RCX may be huge, so compare counts, not byte totals. */
	uint64_t room = 4096 - (g->rdi & 0xfff), bytes = g->rcx >= room / size ? room : g->rcx * size;
	g->rdi += bytes;
	g->rcx -= bytes / size;
	if (g->rcx == 0)
		vmwrite(VMCS_GUEST_RIP, rip + len);
	vm->stats.zero_stores_elided++;
	return true;
}
