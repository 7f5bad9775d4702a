; VM entry and exit.
;
;   int vmx_enter(struct guest_regs *regs, int launched)
;
; Saves the host's callee-saved registers, sets VMCS HOST_RSP to the current stack, loads the guest's general
; registers and CR2 from *regs, and executes VMRESUME (launched != 0) or VMLAUNCH.  On a VM exit the CPU resumes at
; vmx_exit_entry with HOST_RSP, where the regs pointer waits on top of the stack; the guest's registers are stored
; back and vmx_enter returns 0.  If the entry instruction itself fails, vmx_enter returns 1 (VMfailInvalid) or
; 2 (VMfailValid: see the VM-instruction error field).
;
; struct guest_regs layout (kernel/vm.h): rax rbx rcx rdx rsi rdi rbp r8..r15 cr2, 8 bytes each.

%define VMCS_HOST_RSP 0x6c14
%define R_RAX 0
%define R_RBX 8
%define R_RCX 16
%define R_RDX 24
%define R_RSI 32
%define R_RDI 40
%define R_RBP 48
%define R_R8  56
%define R_R9  64
%define R_R10 72
%define R_R11 80
%define R_R12 88
%define R_R13 96
%define R_R14 104
%define R_R15 112
%define R_CR2 120

global vmx_enter, vmx_exit_entry
section .text

vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                        ; regs pointer, found again at exit
	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jc .fail_invalid
	jz .fail_valid

	mov rax, [rdi + R_CR2]
	mov cr2, rax
	test esi, esi                   ; launched?
	mov rax, [rdi + R_RAX]
	mov rbx, [rdi + R_RBX]
	mov rcx, [rdi + R_RCX]
	mov rdx, [rdi + R_RDX]
	mov rsi, [rdi + R_RSI]
	mov rbp, [rdi + R_RBP]
	mov r8,  [rdi + R_R8]
	mov r9,  [rdi + R_R9]
	mov r10, [rdi + R_R10]
	mov r11, [rdi + R_R11]
	mov r12, [rdi + R_R12]
	mov r13, [rdi + R_R13]
	mov r14, [rdi + R_R14]
	mov r15, [rdi + R_R15]
	mov rdi, [rdi + R_RDI]          ; last: it was the pointer (the flags from 'test' survive the moves)
	jnz .resume
	vmlaunch
	jmp .entry_failed
.resume:
	vmresume
.entry_failed:
	; VMLAUNCH/VMRESUME fell through: the guest never ran, host registers other than the flags are the guest's.
	jc .restore_invalid
	pop rdi
	mov eax, 2
	jmp .out
.restore_invalid:
	pop rdi
	mov eax, 1
	jmp .out
.fail_invalid:
	pop rdi
	mov eax, 1
	jmp .out
.fail_valid:
	pop rdi
	mov eax, 2
.out:
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

vmx_exit_entry:
	; RSP = HOST_RSP: the regs pointer is on top.  Every register still holds the guest's value.
	push rdi
	mov rdi, [rsp + 8]
	mov [rdi + R_RAX], rax
	mov [rdi + R_RBX], rbx
	mov [rdi + R_RCX], rcx
	mov [rdi + R_RDX], rdx
	mov [rdi + R_RSI], rsi
	mov [rdi + R_RBP], rbp
	mov [rdi + R_R8],  r8
	mov [rdi + R_R9],  r9
	mov [rdi + R_R10], r10
	mov [rdi + R_R11], r11
	mov [rdi + R_R12], r12
	mov [rdi + R_R13], r13
	mov [rdi + R_R14], r14
	mov [rdi + R_R15], r15
	mov rax, cr2
	mov [rdi + R_CR2], rax
	pop rax                         ; the guest's rdi
	mov [rdi + R_RDI], rax
	pop rdi                         ; the regs pointer
	xor eax, eax
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
