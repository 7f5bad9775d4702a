/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every ballast guest module needs before it may talk to the hypervisor: the detection of ballast through
 * CPUID, and the one VMCALL instruction.  Shared by ballast_balloon.ko and ballast_hctest.ko; the ABI itself is
 * include/uapi/ballast_hypercall.h.
 */
#ifndef BALLAST_GUEST_H
#define BALLAST_GUEST_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/build_bug.h>
#include <asm/processor.h>

#include "ballast_hypercall.h"

/* The ABI promises Linux's errno values, so a status is handed on unchanged; the compiler checks the promise. */
static inline void ballast_check_errnos(void)
{
	BUILD_BUG_ON(BALLAST_EPERM != EPERM);
	BUILD_BUG_ON(BALLAST_ENOENT != ENOENT);
	BUILD_BUG_ON(BALLAST_E2BIG != E2BIG);
	BUILD_BUG_ON(BALLAST_EAGAIN != EAGAIN);
	BUILD_BUG_ON(BALLAST_EFAULT != EFAULT);
	BUILD_BUG_ON(BALLAST_EEXIST != EEXIST);
	BUILD_BUG_ON(BALLAST_EINVAL != EINVAL);
	BUILD_BUG_ON(BALLAST_ENOSPC != ENOSPC);
	BUILD_BUG_ON(BALLAST_ENOSYS != ENOSYS);
	BUILD_BUG_ON(BALLAST_EPROTO != EPROTO);
	BUILD_BUG_ON(sizeof(struct ballast_batch_entry) != 16);
	BUILD_BUG_ON(BALLAST_BATCH_MAX * sizeof(struct ballast_batch_entry) > PAGE_SIZE);
}

#ifdef BALLAST_FAKE_HV
/*
 * Test build only (make guest-balloon-fakehv-test): the hypervisor is simulated inside the guest by fakehv/fake_hv.c,
 * linked in instead of the two functions below, so the balloon's own logic can run under QEMU.
 */
long ballast_vmcall(u64 nr, u64 *rbx, u64 *rcx, u64 *rdx, u64 rsi, u64 rdi);
int ballast_detect(void);
#else
/*
 * The raw VMCALL.  RAX carries the call number in and the status out; RBX, RCX, RDX carry arguments in and results
 * out; RSI and RDI are input only.  "memory": the hypervisor reads and writes the batch page behind the compiler's back.
 * A VMCALL outside VMX non-root mode is #UD, so call this only after ballast_detect() said yes.
 */
static inline long ballast_vmcall(u64 nr, u64 *rbx, u64 *rcx, u64 *rdx, u64 rsi, u64 rdi)
{
	u64 rax = nr;

	asm volatile("vmcall"
		     : "+a"(rax), "+b"(*rbx), "+c"(*rcx), "+d"(*rdx)
		     : "S"(rsi), "D"(rdi)
		     : "memory");
	return (long)rax;
}

/*
 * Is this ballast, offering the balloon?  Each step is one requirement of the ABI; the first one missing is named
 * in the log, so a guest booted elsewhere (QEMU, bare metal, another hypervisor) says why it has no balloon.
 * Returns 0, or -ENODEV after one pr_err line that always contains "no ballast hypervisor" (prefixed by the
 * including module's pr_fmt).
 */
static inline int ballast_detect(void)
{
	unsigned int eax, ebx, ecx, edx;
	char sig[13];

	/* CPUID.1:ECX[31] is the "running under a hypervisor" bit; without it leaves 0x4000000x mean nothing. */
	if (!(cpuid_ecx(1) & (1u << 31))) {
		pr_err("no ballast hypervisor: CPUID.1:ECX[31] (hypervisor present) is clear\n");
		return -ENODEV;
	}
	cpuid(BALLAST_CPUID_LEAF, &eax, &ebx, &ecx, &edx);
	if (ebx != BALLAST_SIGNATURE_EBX || ecx != BALLAST_SIGNATURE_ECX || edx != BALLAST_SIGNATURE_EDX) {
		memcpy(sig + 0, &ebx, 4);
		memcpy(sig + 4, &ecx, 4);
		memcpy(sig + 8, &edx, 4);
		sig[12] = '\0';
		pr_err("no ballast hypervisor: CPUID 0x%x signature is \"%*pE\", not \"BallastHVBHV\"\n",
		       BALLAST_CPUID_LEAF, 12, sig);
		return -ENODEV;
	}
	/* The feature leaf must exist before it is read: an absent leaf returns another leaf's data. */
	if (eax < BALLAST_CPUID_FEATURES) {
		pr_err("no ballast hypervisor: highest leaf 0x%x has no feature leaf 0x%x\n",
		       eax, BALLAST_CPUID_FEATURES);
		return -ENODEV;
	}
	if (!(cpuid_eax(BALLAST_CPUID_FEATURES) & BALLAST_FEATURE_BALLOON)) {
		pr_err("no ballast hypervisor: ballast does not offer the balloon (CPUID 0x%x EAX bit 0 clear)\n",
		       BALLAST_CPUID_FEATURES);
		return -ENODEV;
	}
	return 0;
}

#endif /* BALLAST_FAKE_HV */

#endif
