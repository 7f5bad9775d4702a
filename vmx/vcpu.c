/*
 * VMCS setup.  Each control is requested as a set of wanted bits and adjusted against what the CPU allows
 * (vmx_ctl_adjust); a wanted bit that is required and missing stops VM creation with its name.
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/desc.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/vm.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"
#include "vmx/vmx_hw.h"
#include "vmx/vmx_insn.h"

extern int vmx_enter(struct guest_regs *regs, int launched);
extern char vmx_exit_entry[];

/* MSRs guests use directly without exits: the syscall MSRs and segment bases the VMCS or the VM switch handles. */
static const uint32_t passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_TSC_AUX,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static uint64_t alloc_zeroed(unsigned npages)
{
	mpn_t m = frame_alloc_run(&frames, npages, 1);

	if (!mpn_valid(m))
		return 0;
	memset(mpn_to_ptr(m), 0, npages * PAGE_SIZE);
	return mpn_to_maddr(m);
}

/* MSR bitmap layout (§25.6.9): read-low, read-high, write-low, write-high, 1 KiB each; a set bit exits. */
static void msr_bitmap_allow(uint8_t *bm, uint32_t msr)
{
	unsigned base = msr >= 0xc0000000 ? 1024 : 0;
	uint32_t bit = msr & 0x1fff;

	bm[base + bit / 8] &= ~(1u << (bit % 8));
	bm[2048 + base + bit / 8] &= ~(1u << (bit % 8));
}

static int adjust(const char *what, const struct vmx_ctl *ctl, uint32_t want, uint32_t required, uint32_t *out)
{
	uint32_t missing;

	*out = vmx_ctl_adjust(ctl, want, &missing);
	if (missing & required) {
		printk("vmx: the CPU cannot set required %s control bits 0x%x\n", what, missing & required);
		return -ENOTSUP;
	}
	return 0;
}

static void setup_host_state(void)
{
	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_CS_SEL, GDT_KERNEL_CS);
	vmwrite(VMCS_HOST_SS_SEL, GDT_KERNEL_DS);
	vmwrite(VMCS_HOST_DS_SEL, GDT_KERNEL_DS);
	vmwrite(VMCS_HOST_ES_SEL, GDT_KERNEL_DS);
	vmwrite(VMCS_HOST_FS_SEL, 0);
	vmwrite(VMCS_HOST_GS_SEL, 0);
	vmwrite(VMCS_HOST_TR_SEL, GDT_TSS);
	vmwrite(VMCS_HOST_FS_BASE, 0);
	vmwrite(VMCS_HOST_GS_BASE, 0);
	vmwrite(VMCS_HOST_TR_BASE, tss_base());
	vmwrite(VMCS_HOST_GDTR_BASE, gdt_base());
	vmwrite(VMCS_HOST_IDTR_BASE, idt_base());
	vmwrite(VMCS_HOST_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	vmwrite(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(VMCS_HOST_RIP, (uint64_t)vmx_exit_entry);
}

static void set_segment(unsigned sel_field, uint16_t sel, uint32_t ar)
{
	/* Guest segment fields are laid out at fixed strides from ES: selector +2, limit +2, AR +2, base +2. */
	unsigned i = (sel_field - VMCS_GUEST_ES_SEL) / 2;
	vmwrite(sel_field, sel);
	vmwrite(VMCS_GUEST_ES_LIMIT + 2 * i, 0xffffffff);
	vmwrite(VMCS_GUEST_ES_AR + 2 * i, ar);
	vmwrite(VMCS_GUEST_ES_BASE + 2 * i, 0);
}

/* Access rights: type | S(4) | DPL(5-6) | P(7) | AVL(12) | L(13) | D/B(14) | G(15) */
#define AR_CODE64 (0xb | 1u << 4 | 1u << 7 | 1u << 13 | 1u << 15)
#define AR_CODE32 (0xb | 1u << 4 | 1u << 7 | 1u << 14 | 1u << 15)
#define AR_DATA (0x3 | 1u << 4 | 1u << 7 | 1u << 14 | 1u << 15)
#define AR_TSS_BUSY (0xb | 1u << 7)
#define AR_LDT_UNUSABLE (0x2 | 1u << 7 | AR_UNUSABLE)

static void setup_guest_state(struct vm *vm, const struct vcpu_boot_state *b)
{
	uint64_t cr0 = CR0_PE | CR0_ET | CR0_NE | (b->long_mode ? CR0_PG : 0);
	uint64_t cr4 = b->long_mode ? CR4_PAE : 0;
	uint64_t efer = b->long_mode ? EFER_LME | EFER_LMA : 0;

	set_segment(VMCS_GUEST_CS_SEL, b->cs, b->long_mode ? AR_CODE64 : AR_CODE32);
	set_segment(VMCS_GUEST_DS_SEL, b->ds, AR_DATA);
	set_segment(VMCS_GUEST_ES_SEL, b->ds, AR_DATA);
	set_segment(VMCS_GUEST_SS_SEL, b->ds, AR_DATA);
	set_segment(VMCS_GUEST_FS_SEL, b->ds, AR_DATA);
	set_segment(VMCS_GUEST_GS_SEL, b->ds, AR_DATA);
	vmwrite(VMCS_GUEST_TR_SEL, 0);
	vmwrite(VMCS_GUEST_TR_LIMIT, 0x67);
	vmwrite(VMCS_GUEST_TR_AR, AR_TSS_BUSY);
	vmwrite(VMCS_GUEST_TR_BASE, 0);
	vmwrite(VMCS_GUEST_LDTR_SEL, 0);
	vmwrite(VMCS_GUEST_LDTR_LIMIT, 0);
	vmwrite(VMCS_GUEST_LDTR_AR, AR_LDT_UNUSABLE);
	vmwrite(VMCS_GUEST_LDTR_BASE, 0);
	vmwrite(VMCS_GUEST_GDTR_BASE, b->gdt_base);
	vmwrite(VMCS_GUEST_GDTR_LIMIT, b->gdt_limit);
	vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);

	/* The guest sees its own CR0/CR4 through the read shadows; the real values add what VMX requires. */
	vmwrite(VMCS_CR0_READ_SHADOW, cr0);
	vmwrite(VMCS_CR4_READ_SHADOW, cr4);
	vmwrite(VMCS_GUEST_CR0, (cr0 | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_caps.cr0_fixed1);
	vmwrite(VMCS_GUEST_CR4, (cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	vmwrite(VMCS_GUEST_CR3, b->cr3);
	vmwrite(VMCS_GUEST_EFER, efer);
	vmwrite(VMCS_GUEST_PAT, 0x0007040600070406ULL); /* the power-on PAT */
	vmwrite(VMCS_GUEST_DR7, 0x400);
	vmwrite(VMCS_GUEST_DEBUGCTL, 0);
	vmwrite(VMCS_GUEST_RSP, b->rsp);
	vmwrite(VMCS_GUEST_RIP, b->rip);
	vmwrite(VMCS_GUEST_RFLAGS, 0x2);
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
	vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
	vmwrite(VMCS_LINK_POINTER, ~0ULL);

	vm->vcpu.regs.rsi = b->rsi;
	vm->vcpu.regs.rbx = b->rbx;
	if (b->long_mode)
		vm->vcpu.entry_controls |= ENTRY_IA32E_MODE_GUEST;
	vmwrite(VMCS_ENTRY_CONTROLS, vm->vcpu.entry_controls);
}

int vcpu_init(struct vm *vm, const struct vcpu_boot_state *boot)
{
	struct vcpu *v = &vm->vcpu;
	const struct vmx_caps *c = &vmx_caps;
	uint32_t pin, proc, proc2, exit, entry;
	int err;

	memset(v, 0, sizeof(*v));
	v->vmcs = alloc_zeroed(1);
	v->io_bitmap = alloc_zeroed(2);
	v->msr_bitmap = alloc_zeroed(1);
	if (!v->vmcs || !v->io_bitmap || !v->msr_bitmap)
		return -ENOMEM;
	*(uint32_t *)maddr_to_ptr(v->vmcs) = c->revision;
	/* Every port exits to the virtual platform; every MSR exits except the ones guests may own outright. */
	memset(maddr_to_ptr(v->io_bitmap), 0xff, 2 * PAGE_SIZE);
	memset(maddr_to_ptr(v->msr_bitmap), 0xff, PAGE_SIZE);
	for (unsigned i = 0; i < sizeof(passthrough_msrs) / sizeof(passthrough_msrs[0]); i++)
		msr_bitmap_allow(maddr_to_ptr(v->msr_bitmap), passthrough_msrs[i]);
	v->vpid = vm->id + 1; /* VPID 0 is the host's */

	/* Pin: external interrupts exit (the host owns them), the preemption timer slices time. */
	err = adjust("pin-based", &c->pin, PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER,
		     PIN_EXTINT_EXITING | PIN_PREEMPTION_TIMER, &pin);
	/* Primary: HLT to sleep the vCPU, I/O and MSR bitmaps, secondary controls; RDTSC does not exit (~300,000
	 * of them during a Linux boot, SPEC §5), nor CR3 accesses (EPT makes them harmless). */
	uint32_t want = PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_SECONDARY_CONTROLS |
			PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_RDPMC_EXITING;
	err = err ?: adjust("processor-based", &c->proc, want, want, &proc);
	proc &= ~(PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING | PROC_RDTSC_EXITING | PROC_INVLPG_EXITING) |
		c->proc.must_be_1;
	uint32_t want2 = PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED_GUEST | PROC2_RDTSCP | PROC2_INVPCID |
			 PROC2_XSAVES;
	err = err ?: adjust("secondary", &c->proc2, want2, PROC2_EPT | PROC2_UNRESTRICTED_GUEST, &proc2);
	uint32_t want_exit = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT |
			     EXIT_LOAD_PAT | EXIT_ACK_INTR_ON_EXIT;
	err = err ?: adjust("VM-exit", &c->exit, want_exit, EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER,
			    &exit);
	uint32_t want_entry = ENTRY_LOAD_EFER | ENTRY_LOAD_PAT;
	err = err ?: adjust("VM-entry", &c->entry, want_entry, ENTRY_LOAD_EFER, &entry);
	if (err)
		return err;
	v->proc_controls = proc;
	v->entry_controls = entry;

	if (!vmclear(v->vmcs) || !vmptrld(v->vmcs))
		return -EIO;
	vmwrite(VMCS_PIN_CONTROLS, pin);
	vmwrite(VMCS_PROC_CONTROLS, proc);
	vmwrite(VMCS_PROC2_CONTROLS, proc2);
	vmwrite(VMCS_EXIT_CONTROLS, exit);
	vmwrite(VMCS_EXCEPTION_BITMAP, 0); /* the guest handles its own exceptions */
	vmwrite(VMCS_PF_ERROR_MASK, 0);
	vmwrite(VMCS_PF_ERROR_MATCH, 0);
	vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	vmwrite(VMCS_IO_BITMAP_A, v->io_bitmap);
	vmwrite(VMCS_IO_BITMAP_B, v->io_bitmap + PAGE_SIZE);
	vmwrite(VMCS_MSR_BITMAP, v->msr_bitmap);
	vmwrite(VMCS_EPT_POINTER, vm->ept.eptp);
	if (proc2 & PROC2_VPID)
		vmwrite(VMCS_VPID, v->vpid);
	vmwrite(VMCS_TSC_OFFSET, 0);
	/* CR0/CR4 bits the host owns: those VMX fixes (except PE/PG, free with unrestricted guest) and CR4.VMXE.
	 * Guest writes to them exit; reads come from the shadows. */
	vmwrite(VMCS_CR0_MASK, (c->cr0_fixed0 | ~c->cr0_fixed1 | CR0_CD | CR0_NW) & ~(CR0_PE | CR0_PG));
	vmwrite(VMCS_CR4_MASK, c->cr4_fixed0 | ~c->cr4_fixed1 | CR4_VMXE);
	setup_host_state();
	setup_guest_state(vm, boot);
	v->xcr0 = 1; /* x87 only, the reset value */
	return 0;
}

void vcpu_destroy(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;

	if (v->vmcs) {
		vmclear(v->vmcs);
		frame_free_page(&frames, maddr_to_mpn(v->vmcs));
	}
	if (v->io_bitmap)
		frame_free_run(&frames, maddr_to_mpn(v->io_bitmap), 2);
	if (v->msr_bitmap)
		frame_free_page(&frames, maddr_to_mpn(v->msr_bitmap));
	v->vmcs = v->io_bitmap = v->msr_bitmap = 0;
}

void vcpu_load(struct vm *vm)
{
	vmptrld(vm->vcpu.vmcs);
}

int vcpu_enter(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	int rc = vmx_enter(&v->regs, v->launched);

	if (rc == 0) {
		v->launched = true;
		return 0;
	}
	if (rc == 1) {
		printk("vm %s: VM entry failed: VMfailInvalid (no current VMCS)\n", vm->name);
	} else {
		uint64_t e = vmread(VMCS_INSTRUCTION_ERROR);
		printk("vm %s: VM entry failed: VM-instruction error %llu (%s)\n", vm->name, (unsigned long long)e,
		       vmx_instruction_error_name(e));
	}
	return -EIO;
}
