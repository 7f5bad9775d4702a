/*
 * ballast hypercall ABI, shared by the hypervisor and guest drivers.  Versioned; every field is marked IN (guest to
 * hypervisor) or OUT (hypervisor to guest).
 *
 * Detection: CPUID leaf 0x40000000 returns the maximum hypervisor leaf in EAX and the signature "BallastHVBHV" in
 * EBX, ECX, EDX.
 *
 * Calling convention: VMCALL from guest ring 0 with
 *   RAX  IN  call number (BALLAST_HC_*)
 *   RBX, RCX, RDX, RSI  IN  arguments (call-specific)
 *   RAX  OUT status: 0 or a negative error (BALLAST_E*); call-specific results in RBX, RCX, RDX
 * A VMCALL from ring 3 fails with -BALLAST_EPERM.  An unknown call number fails with -BALLAST_ENOSYS.
 */
#ifndef UAPI_BALLAST_HYPERCALL_H
#define UAPI_BALLAST_HYPERCALL_H

#define BALLAST_CPUID_LEAF 0x40000000
#define BALLAST_SIGNATURE_EBX 0x6c6c6142 /* "Ball" */
#define BALLAST_SIGNATURE_ECX 0x48747361 /* "astH" */
#define BALLAST_SIGNATURE_EDX 0x56484256 /* "VBHV" */

#define BALLAST_ABI_VERSION 1

/* VERSION: OUT RBX = BALLAST_ABI_VERSION; OUT RCX = the VM's memory size in pages. */
#define BALLAST_HC_VERSION 0

#define BALLAST_EPERM 1
#define BALLAST_EINVAL 22
#define BALLAST_ENOSYS 38

#endif
