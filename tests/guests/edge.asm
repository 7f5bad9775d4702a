; A tiny 64-bit test guest for the edge cases a Linux boot does not reach.  ballast loads it like an uncompressed
; vmlinux (an x86-64 ELF entered through the 64-bit boot protocol: long mode, identity map, RSI = zero page).
; It reports over the virtual UART (COM1) and picks its test from its command line, "case=<name>":
;   case=basic   unknown MSR read -> #GP delivered to the guest; CPUID signature; VMCALL version; then cli+hlt
;   case=oob     read guest-physical 3 GiB, outside the VM's RAM -> ballast stops the VM with a report
;   case=triple  empty IDT, then #BP -> triple fault -> ballast stops the VM with a report
;   case=badio   string I/O to the UART -> not supported, VM stopped
;   case=hcall   malformed hypercalls (a hostile guest): each must get its documented error, nothing else changes
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
	cmp al, 'h'
	je case_hcall
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
	mov ebx, ABI_VERSION            ; IN: the ABI version this guest speaks (BALLAST_ABI_VERSION)
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

; Hypercall ABI numbers (include/uapi/ballast_hypercall.h)
%define HC_VERSION 0
%define HC_GET_TARGET 1
%define HC_LOCK 2
%define HC_UNLOCK 3
%ifndef ABI_VERSION
%error "ABI_VERSION must come from include/uapi/ballast_hypercall.h (the Makefile passes it)"
%endif
%define BATCH 0x300000                  ; the batch page (guest-physical = virtual: identity map)
%define PPN_A 0x310                     ; pages this guest gives up and takes back
%define PPN_B 0x311

; HC name, nr, rbx, rcx, expected rax: make the call and report "edge: hc <name> ok" or "... FAIL".
%macro HC 5
	mov eax, %2
	mov rbx, %3
	mov rcx, %4
	vmcall
	mov rdx, %5
	lea rsi, [%1]
	call check
%endmacro
; EXPECT name, value, expected: compare a result the previous call left (a register or an entry's status).
%macro EXPECT 3
	movsx rax, %2
	mov rdx, %3
	lea rsi, [%1]
	call check
%endmacro

case_hcall:
	HC n_early, HC_GET_TARGET, 0, 0, -71          ; before the handshake: EPROTO
	HC n_early_lock, HC_LOCK, BATCH, 1, -71
	HC n_badver, HC_VERSION, 99, 0, -22           ; a version ballast does not speak: EINVAL
	HC n_unknown, 77, 0, 0, -38                   ; ENOSYS
	HC n_version, HC_VERSION, ABI_VERSION, 0, 0
	HC n_count0, HC_LOCK, BATCH, 0, -7            ; count 0 or above 256: E2BIG
	HC n_count_big, HC_LOCK, BATCH, 257, -7
	HC n_unaligned, HC_LOCK, BATCH + 8, 1, -22    ; EINVAL
	HC n_outside, HC_LOCK, 0x7ffff000, 1, -22     ; batch page outside the VM: EINVAL
	; one batch: out of range, good, the same page again, the batch page itself
	mov qword [BATCH + 0], 0x100000
	mov qword [BATCH + 16], PPN_A
	mov qword [BATCH + 32], PPN_A
	mov qword [BATCH + 48], BATCH >> 12
	HC n_batch, HC_LOCK, BATCH, 4, -11            ; partial: EAGAIN
	EXPECT n_batch_done, ebx, 1
	EXPECT n_st_range, dword [BATCH + 8], -14     ; EFAULT
	EXPECT n_st_good, dword [BATCH + 24], 0
	EXPECT n_st_twice, dword [BATCH + 40], -17    ; EEXIST
	EXPECT n_st_self, dword [BATCH + 56], -1      ; EPERM
	mov qword [BATCH + 0], PPN_B                  ; never ballooned
	HC n_unlock_never, HC_UNLOCK, BATCH, 1, -11
	EXPECT n_st_never, dword [BATCH + 8], -2      ; ENOENT
	HC n_target, HC_GET_TARGET, 0, 0, 0
	EXPECT n_size, ecx, 1                         ; the hypervisor counts one ballooned page
	mov rax, [PPN_A << 12]                        ; touch the ballooned page anyway: backed again, zeroed
	EXPECT n_touch_zero, eax, 0
	HC n_target2, HC_GET_TARGET, 0, 0, 0
	EXPECT n_size2, ecx, 0                        ; no longer ballooned
	mov qword [BATCH + 0], PPN_B
	HC n_relock, HC_LOCK, BATCH, 1, 0
	HC n_unlock, HC_UNLOCK, BATCH, 1, 0
	lea rsi, [msg_done]
	call puts
	cli
	hlt

; RSI = check name, RAX = got, RDX = expected
check:
	push rax
	push rdx
	push rsi
	lea rsi, [msg_hc]
	call puts
	pop rsi
	call puts
	pop rdx
	pop rax
	lea rsi, [msg_ok]
	cmp rax, rdx
	je .print
	lea rsi, [msg_fail]
.print:
	call puts
	ret

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
msg_hc:         db "edge: hc ", 0
msg_ok:         db " ok", 10, 0
msg_fail:       db " FAIL", 10, 0
n_early:        db "get-target-before-version", 0
n_early_lock:   db "lock-before-version", 0
n_badver:       db "version-mismatch", 0
n_unknown:      db "unknown-call", 0
n_version:      db "version", 0
n_count0:       db "batch-count-0", 0
n_count_big:    db "batch-count-257", 0
n_unaligned:    db "batch-unaligned", 0
n_outside:      db "batch-outside-vm", 0
n_batch:        db "mixed-batch", 0
n_batch_done:   db "mixed-batch-done-count", 0
n_st_range:     db "entry-out-of-range", 0
n_st_good:      db "entry-good", 0
n_st_twice:     db "entry-twice", 0
n_st_self:      db "entry-batch-page", 0
n_unlock_never: db "unlock-never-ballooned", 0
n_st_never:     db "entry-never-ballooned", 0
n_target:       db "get-target", 0
n_size:         db "balloon-size-1", 0
n_touch_zero:   db "touched-ballooned-page-is-zero", 0
n_target2:      db "get-target-after-touch", 0
n_size2:        db "balloon-size-0-after-touch", 0
n_relock:       db "lock", 0
n_unlock:       db "unlock", 0
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
