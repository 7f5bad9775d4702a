; A tiny 64-bit test guest for the edge cases a Linux boot does not reach.  ballast loads it like an uncompressed
; vmlinux (an x86-64 ELF entered through the 64-bit boot protocol: long mode, identity map, RSI = zero page).
; It reports over the virtual UART (COM1) and picks its test from its command line, "case=<name>":
;   case=basic   unknown MSR read -> #GP delivered to the guest; CPUID signature; VMCALL version; then cli+hlt
;   case=oob     read guest-physical 3 GiB, outside the VM's RAM -> ballast stops the VM with a report
;   case=triple  empty IDT, then #BP -> triple fault -> ballast stops the VM with a report
;   case=badio   string I/O to the UART -> not supported, VM stopped
bits 64
default rel
global _start

%define COM1 0x3f8
%define ZP_CMDLINE_PTR 0x228

section .text
_start:
	mov rsp, stack_top
	mov r15, rsi                    ; zero page
	lea rsi, [msg_start]
	call puts

	; Find "case=" in the command line and dispatch on its first letter.
	mov edi, [r15 + ZP_CMDLINE_PTR]
.find:
	mov al, [rdi]
	test al, al
	jz case_basic
	cmp dword [rdi], 'case'
	jne .next
	cmp byte [rdi + 4], '='
	jne .next
	mov al, [rdi + 5]
	cmp al, 'o'
	je case_oob
	cmp al, 't'
	je case_triple
	cmp al, 'b'
	jne case_basic
	cmp byte [rdi + 7], 'd'         ; "badio", not "basic"
	je case_badio
	jmp case_basic
.next:
	inc rdi
	jmp .find

case_basic:
	; IDT with a #GP handler that skips the 2-byte RDMSR.
	lea rax, [gp_handler]
	lea rdi, [idt + 13 * 16]
	call set_gate
	lidt [idt_ptr]
	mov ecx, 0x12345678             ; no such MSR
	rdmsr
	cmp byte [gp_seen], 1
	jne .no_gp
	lea rsi, [msg_gp_ok]
	call puts
	jmp .cpuid
.no_gp:
	lea rsi, [msg_gp_missing]
	call puts
.cpuid:
	mov eax, 0x40000000
	cpuid
	mov [sig], ebx
	mov [sig + 4], ecx
	mov [sig + 8], edx
	lea rsi, [msg_sig]
	call puts
	lea rsi, [sig]
	call puts
	lea rsi, [msg_nl]
	call puts
	xor eax, eax                    ; BALLAST_HC_VERSION
	vmcall
	test rax, rax
	jnz .vmcall_bad
	add bl, '0'
	mov [msg_ver_digit], bl
	lea rsi, [msg_ver]
	call puts
	jmp .done
.vmcall_bad:
	lea rsi, [msg_vmcall_bad]
	call puts
.done:
	lea rsi, [msg_done]
	call puts
	cli
	hlt
	jmp .done

case_oob:
	lea rsi, [msg_oob]
	call puts
	mov rbx, 0xc0000000             ; 3 GiB: mapped by the boot page tables, not RAM in a small VM
	mov rax, [rbx]
	lea rsi, [msg_survived]
	call puts
	cli
	hlt

case_triple:
	lea rsi, [msg_triple]
	call puts
	lidt [null_idt]
	int3                            ; no IDT: #BP -> #GP -> #DF -> triple fault
	lea rsi, [msg_survived]
	call puts
	cli
	hlt

case_badio:
	lea rsi, [msg_badio]
	call puts
	mov dx, COM1
	mov ecx, 4
	lea rsi, [msg_badio]
	rep outsb
	cli
	hlt

gp_handler:
	mov byte [gp_seen], 1
	add qword [rsp + 8], 2          ; error code at [rsp], RIP at [rsp + 8]
	add rsp, 8                      ; drop the error code
	iretq

; RAX = handler, RDI = gate address: 64-bit interrupt gate, CS = 0x10.
set_gate:
	mov word [rdi], ax
	mov word [rdi + 2], 0x10
	mov word [rdi + 4], 0x8e00
	shr rax, 16
	mov word [rdi + 6], ax
	shr rax, 16
	mov dword [rdi + 8], eax
	mov dword [rdi + 12], 0
	ret

; RSI = NUL-terminated string
puts:
	mov dx, COM1
.loop:
	lodsb
	test al, al
	jz .out
	out dx, al
	jmp .loop
.out:
	ret

section .data
msg_start:      db "edge: start", 10, 0
msg_gp_ok:      db "edge: unknown MSR read raised #GP in the guest", 10, 0
msg_gp_missing: db "edge: FAIL unknown MSR read did not raise #GP", 10, 0
msg_sig:        db "edge: CPUID 0x40000000 signature ", 0
msg_nl:         db 10, 0
msg_ver:        db "edge: VMCALL version "
msg_ver_digit:  db "?", 10, 0
msg_vmcall_bad: db "edge: FAIL VMCALL version returned an error", 10, 0
msg_done:       db "edge: done, halting", 10, 0
msg_oob:        db "edge: reading guest-physical 0xc0000000", 10, 0
msg_triple:     db "edge: triple fault coming", 10, 0
msg_badio:      db "edge: string I/O coming", 10, 0
msg_survived:   db "edge: FAIL still running", 10, 0
gp_seen:        db 0
sig:            times 16 db 0
align 16
idt_ptr:        dw 256 * 16 - 1
                dq idt
null_idt:       dw 0
                dq 0

section .bss
align 16
idt:            resb 256 * 16
stack:          resb 8192
stack_top:
