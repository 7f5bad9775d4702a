/*
 * Turning VMX operation on for the boot CPU, and the failure reporting shared by every VMX instruction wrapper.
 */
#include <ballast/compiler.h>
#include <ballast/errno.h>
#include <ballast/string.h>
#include "arch/x86_64/cpu.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "vmx/vmx.h"
#include "vmx/vmx_hw.h"
#include "vmx/vmx_insn.h"

static const char *const insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(unsigned err)
{
	if (err < ARRAY_SIZE(insn_errors) && insn_errors[err])
		return insn_errors[err];
	return "unknown VM-instruction error";
}

void vmx_insn_failed(const char *insn, uint64_t operand, bool valid, const char *caller)
{
	if (!valid)
		panic("%s(0x%llx) failed in %s: VMfailInvalid (no current VMCS or bad pointer)", insn,
		      (unsigned long long)operand, caller);
	/* Read the error number directly: vmread() would recurse into us if it failed too. */
	uint64_t err = 0;
	uint64_t field = VMCS_INSTRUCTION_ERROR;
	__asm__ volatile("vmread %1, %0" : "=r"(err) : "r"(field) : "cc");
	panic("%s(0x%llx) failed in %s: VM-instruction error %llu (%s)", insn, (unsigned long long)operand, caller,
	      (unsigned long long)err, vmx_instruction_error_name(err));
}

static const char *const exit_names[NR_EXIT_REASONS] = {
	[EXIT_EXCEPTION_NMI] = "exception/NMI", [EXIT_EXTERNAL_INTERRUPT] = "external interrupt",
	[EXIT_TRIPLE_FAULT] = "triple fault", [EXIT_INIT] = "INIT", [EXIT_SIPI] = "SIPI",
	[EXIT_INTERRUPT_WINDOW] = "interrupt window", [EXIT_NMI_WINDOW] = "NMI window",
	[EXIT_TASK_SWITCH] = "task switch", [EXIT_CPUID] = "CPUID", [EXIT_GETSEC] = "GETSEC", [EXIT_HLT] = "HLT",
	[EXIT_INVD] = "INVD", [EXIT_INVLPG] = "INVLPG", [EXIT_RDPMC] = "RDPMC", [EXIT_RDTSC] = "RDTSC",
	[EXIT_VMCALL] = "VMCALL", [EXIT_VMCLEAR] = "VMCLEAR", [EXIT_VMLAUNCH] = "VMLAUNCH",
	[EXIT_VMPTRLD] = "VMPTRLD", [EXIT_VMPTRST] = "VMPTRST", [EXIT_VMREAD] = "VMREAD",
	[EXIT_VMRESUME] = "VMRESUME", [EXIT_VMWRITE] = "VMWRITE", [EXIT_VMXOFF] = "VMXOFF", [EXIT_VMXON] = "VMXON",
	[EXIT_CR_ACCESS] = "CR access", [EXIT_DR_ACCESS] = "DR access", [EXIT_IO_INSTRUCTION] = "I/O",
	[EXIT_RDMSR] = "RDMSR", [EXIT_WRMSR] = "WRMSR", [EXIT_INVALID_GUEST_STATE] = "entry: invalid guest state",
	[EXIT_MSR_LOADING] = "entry: MSR loading", [EXIT_MWAIT] = "MWAIT", [EXIT_MONITOR_TRAP] = "monitor trap",
	[EXIT_MONITOR] = "MONITOR", [EXIT_PAUSE] = "PAUSE", [EXIT_MACHINE_CHECK] = "entry: machine check",
	[EXIT_TPR_BELOW_THRESHOLD] = "TPR below threshold", [EXIT_APIC_ACCESS] = "APIC access",
	[EXIT_GDTR_IDTR] = "GDTR/IDTR access", [EXIT_LDTR_TR] = "LDTR/TR access",
	[EXIT_EPT_VIOLATION] = "EPT violation", [EXIT_EPT_MISCONFIG] = "EPT misconfiguration",
	[EXIT_INVEPT] = "INVEPT", [EXIT_RDTSCP] = "RDTSCP", [EXIT_PREEMPTION_TIMER] = "preemption timer",
	[EXIT_INVVPID] = "INVVPID", [EXIT_WBINVD] = "WBINVD", [EXIT_XSETBV] = "XSETBV", [EXIT_RDRAND] = "RDRAND",
	[EXIT_INVPCID] = "INVPCID", [EXIT_VMFUNC] = "VMFUNC", [EXIT_RDSEED] = "RDSEED", [EXIT_XSAVES] = "XSAVES",
	[EXIT_XRSTORS] = "XRSTORS",
};

const char *vmx_exit_reason_name(unsigned reason)
{
	if (reason < NR_EXIT_REASONS && exit_names[reason])
		return exit_names[reason];
	return "unknown";
}

static uint64_t vmxon_region;

int vmx_cpu_enable(void)
{
	/* CR0 and CR4 must satisfy the VMX fixed bits before VMXON (§24.8); CR4.VMXE enables the instructions. */
	uint64_t cr0 = (read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1;
	uint64_t cr4 = (read_cr4() | vmx_caps.cr4_fixed0 | CR4_VMXE) & vmx_caps.cr4_fixed1;
	write_cr0(cr0);
	write_cr4(cr4);

	mpn_t page = frame_alloc_page(&frames);
	if (!mpn_valid(page))
		return -ENOMEM;
	vmxon_region = mpn_to_maddr(page);
	memset(mpn_to_ptr(page), 0, PAGE_SIZE);
	*(uint32_t *)mpn_to_ptr(page) = vmx_caps.revision; /* the VMXON region starts with the revision id */
	if (!vmxon(vmxon_region))
		return -EIO;
	/* Nothing stale may survive from a previous owner of the CPU (firmware, a loader that used VMX). */
	invept(INVEPT_ALL_CONTEXT, 0);
	invvpid(INVVPID_ALL_CONTEXT, 0, 0);
	printk("vmx: VMXON done (region at 0x%llx), CR0=0x%llx CR4=0x%llx\n", (unsigned long long)vmxon_region,
	       (unsigned long long)cr0, (unsigned long long)cr4);
	return 0;
}
