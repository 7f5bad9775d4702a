/*
 * One thin wrapper per VMX instruction.  Each reports failure by name: the instruction, the field or operand, the
 * VM-instruction error number and its meaning (SDM Vol. 3C §31.4), and the caller.
 * VMX instructions report VMfailInvalid with CF=1 (no current VMCS) and VMfailValid with ZF=1 (error in the
 * VM-instruction error field).
 */
#ifndef VMX_VMX_INSN_H
#define VMX_VMX_INSN_H

#include <stdbool.h>
#include <stdint.h>
#include "vmx/vmcs_fields.h"

void vmx_insn_failed(const char *insn, uint64_t operand, bool valid, const char *caller);
const char *vmx_instruction_error_name(unsigned err);

#define VMX_CHECK(insn, operand, asm_stmt, ...)                                                                  \
	({                                                                                                      \
		uint8_t cf_, zf_;                                                                                \
		__asm__ volatile(asm_stmt "; setc %0; setz %1" : "=qm"(cf_), "=qm"(zf_) : __VA_ARGS__ : "cc", "memory"); \
		if (cf_ | zf_)                                                                                   \
			vmx_insn_failed(insn, operand, zf_, __func__);                                           \
		!(cf_ | zf_);                                                                                    \
	})

static inline bool vmxon(uint64_t region) { return VMX_CHECK("VMXON", region, "vmxon %2", "m"(region)); }
static inline bool vmclear(uint64_t vmcs) { return VMX_CHECK("VMCLEAR", vmcs, "vmclear %2", "m"(vmcs)); }
static inline bool vmptrld(uint64_t vmcs) { return VMX_CHECK("VMPTRLD", vmcs, "vmptrld %2", "m"(vmcs)); }

static inline void vmxoff(void) { __asm__ volatile("vmxoff" ::: "cc", "memory"); }

static inline void vmwrite(uint64_t field, uint64_t value)
{
	VMX_CHECK("VMWRITE", field, "vmwrite %3, %2", "r"(field), "rm"(value));
}

static inline uint64_t vmread(uint64_t field)
{
	uint64_t value = 0;
	uint8_t cf, zf;

	__asm__ volatile("vmread %3, %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf), "=rm"(value) : "r"(field) : "cc");
	if (cf | zf)
		vmx_insn_failed("VMREAD", field, zf, __func__);
	return value;
}

/* INVEPT / INVVPID types (§31.3) */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_ADDRESS 0
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2

static inline void invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, zero; } desc = { eptp, 0 };
	VMX_CHECK("INVEPT", type, "invept %2, %3", "m"(desc), "r"(type));
}

static inline void invvpid(uint64_t type, uint16_t vpid, uint64_t addr)
{
	struct { uint64_t vpid, addr; } desc = { vpid, addr };
	VMX_CHECK("INVVPID", type, "invvpid %2, %3", "m"(desc), "r"(type));
}

#endif
