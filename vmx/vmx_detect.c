/*
 * Finding out whether this CPU can run guests: CPUID.1:ECX.VMX, the firmware lock in IA32_FEATURE_CONTROL, then the
 * capability MSRs.  Each way of failing gets its own one-line explanation, because "no VT-x" is what users of
 * QEMU's TCG and of machines with VT-x disabled in firmware will see first.
 */
#include <ballast/errno.h>
#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "vmx/vmx.h"
#include "vmx/vmx_hw.h"

struct vmx_caps vmx_caps;

static void report_line(const char *line)
{
	printk("%s\n", line);
}

static void read_msrs(struct vmx_msrs *m)
{
	m->basic = rdmsr(MSR_IA32_VMX_BASIC);
	m->pinbased = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
	m->procbased = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
	m->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
	m->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
	m->misc = rdmsr(MSR_IA32_VMX_MISC);
	m->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	m->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	m->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	m->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	/* The MSRs below exist only when the ones above say so (A.3.2, A.10); reading a missing one would #GP. */
	if (m->basic & VMX_BASIC_TRUE_CTLS) {
		m->true_pinbased = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
		m->true_procbased = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
		m->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
		m->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	}
	uint64_t proc = m->basic & VMX_BASIC_TRUE_CTLS ? m->true_procbased : m->procbased;
	if ((proc >> 32) & PROC_SECONDARY_CONTROLS) {
		m->procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
		if ((m->procbased2 >> 32) & (PROC2_EPT | PROC2_VPID))
			m->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
		if ((m->procbased2 >> 32) & PROC2_VMFUNC)
			m->vmfunc = rdmsr(MSR_IA32_VMX_VMFUNC);
	}
}

int vmx_detect(void)
{
	struct cpuid_regs id = cpuid(0);
	char vendor[13];

	*(uint32_t *)&vendor[0] = id.ebx;
	*(uint32_t *)&vendor[4] = id.edx;
	*(uint32_t *)&vendor[8] = id.ecx;
	vendor[12] = 0;

	if (!(cpuid(1).ecx & CPUID_1_ECX_VMX)) {
		printk("vmx: no VT-x: this %s CPU does not report VMX (CPUID.1:ECX bit 5 is 0); ballast needs Intel VT-x "
		       "with EPT (QEMU's TCG has none: use Bochs, or QEMU with KVM and nested VT-x)\n", vendor);
		return -ENOTSUP;
	}

	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCKED)) {
		/* Unlocked: firmware left the choice to us.  Enable VMX outside SMX and lock, as an OS would. */
		fc |= FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
		printk("vmx: IA32_FEATURE_CONTROL was unlocked; enabled VMX and locked it (now 0x%llx)\n",
		       (unsigned long long)fc);
	} else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		printk("vmx: no VT-x: disabled by firmware (IA32_FEATURE_CONTROL=0x%llx is locked with VMX off); enable "
		       "\"Intel Virtualization Technology\" in the firmware setup\n", (unsigned long long)fc);
		return -ENOTSUP;
	}

	struct vmx_msrs msrs = { 0 };
	read_msrs(&msrs);
	vmx_caps_decode(&vmx_caps, &msrs);
	printk("vmx: VT-x present on %s CPU, IA32_FEATURE_CONTROL=0x%llx (locked, VMX outside SMX on)\n", vendor,
	       (unsigned long long)fc);
	vmx_caps_report(&vmx_caps, report_line);

	const char *missing = vmx_caps_missing_requirement(&vmx_caps);
	if (missing) {
		printk("vmx: VT-x lacks a feature ballast needs: %s\n", missing);
		return -ENOTSUP;
	}
	printk("vmx: all required VT-x features present\n");
	return 0;
}
