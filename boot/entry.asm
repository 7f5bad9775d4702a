; ballast boot entry: multiboot2 and multiboot1 headers, the 32-bit entry, and the switch to 64-bit long mode.
;
; GRUB (multiboot2) or QEMU -kernel (multiboot1) enters _start32 in 32-bit protected mode, paging off, with
; EAX = loader magic and EBX = physical address of the boot information.  We check that the CPU has long mode
; (and say so on COM1 if not), identity-map the first 4 GiB with 2 MiB pages, enable PAE + EFER.LME + paging and
; far-jump into 64-bit code, which calls kmain(magic, info).  C extends the map beyond 4 GiB later if RAM is there.

%define MB2_MAGIC        0xE85250D6
%define MB2_ARCH_I386    0
%define MB1_MAGIC        0x1BADB002
%define MB1_PAGE_ALIGN   (1 << 0)      ; modules on page boundaries
%define MB1_MEMINFO      (1 << 1)      ; we want the memory map
%define MB1_AOUT_KLUDGE  (1 << 16)     ; load addresses from this header (QEMU refuses 64-bit ELF otherwise)
%define MB1_FLAGS        (MB1_PAGE_ALIGN | MB1_MEMINFO | MB1_AOUT_KLUDGE)

%define COM1             0x3f8
%define CR0_PE           (1 << 0)
%define CR0_WP           (1 << 16)
%define CR0_NW           (1 << 29)
%define CR0_CD           (1 << 30)
%define CR0_PG           (1 << 31)
%define CR4_PAE          (1 << 5)
%define MSR_EFER         0xC0000080
%define EFER_LME         (1 << 8)
%define PTE_P            (1 << 0)
%define PTE_W            (1 << 1)
%define PTE_PS           (1 << 7)
%define BOOT_STACK_SIZE  16384

extern _image_start, _edata, _end, kmain
global _start32, boot_pml4, boot_stack_top

section .multiboot
align 8
mb2_header:
	dd MB2_MAGIC, MB2_ARCH_I386, mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; module alignment tag: modules page-aligned
	align 8
	dw 6, 0
	dd 8
	; end tag
	align 8
	dw 0, 0
	dd 8
mb2_header_end:

align 4
mb1_header:
	dd MB1_MAGIC, MB1_FLAGS, -(MB1_MAGIC + MB1_FLAGS)
	dd mb1_header           ; header_addr
	dd _image_start         ; load_addr
	dd _edata               ; load_end_addr
	dd _end                 ; bss_end_addr
	dd _start32             ; entry_addr

section .text.boot
bits 32
_start32:
	cli
	cld
	mov esp, boot_stack_top
	mov edi, eax                    ; keep magic and info pointer for kmain (SysV: rdi, rsi)
	mov esi, ebx

	call serial_init32

	; Long mode needs CPUID leaf 0x80000001 and its LM bit (EDX bit 29).
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode

	; Identity map 0-4 GiB: PML4[0] -> PDPT, PDPT[0..3] -> four page directories of 512 2 MiB pages.
	mov eax, boot_pdpt
	or eax, PTE_P | PTE_W
	mov [boot_pml4], eax
	mov ecx, 0
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd
	or eax, PTE_P | PTE_W
	mov [boot_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .pdpt
	mov ecx, 0                      ; 2048 entries, entry i maps i * 2 MiB
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_P | PTE_W | PTE_PS
	mov [boot_pd + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                     ; bits 32+ of the address: i >> 11
	mov [boot_pd + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jb .pd

	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	or eax, CR0_PG | CR0_PE | CR0_WP
	and eax, ~(CR0_CD | CR0_NW)     ; some loaders leave caching off: on real hardware that is 10-100x slower
	mov cr0, eax

	lgdt [boot_gdt_ptr]
	jmp 0x08:start64

.no_long_mode:
	mov ebx, msg_no_lm
	call serial_puts32
.halt:
	hlt
	jmp .halt

; 115200 8N1, FIFOs on: enough to print before C sets the UART up properly.
serial_init32:
	mov dx, COM1 + 1
	xor al, al
	out dx, al                      ; no interrupts
	mov dx, COM1 + 3
	mov al, 0x80
	out dx, al                      ; DLAB on
	mov dx, COM1
	mov al, 1
	out dx, al                      ; divisor 1 = 115200 baud
	mov dx, COM1 + 1
	xor al, al
	out dx, al
	mov dx, COM1 + 3
	mov al, 0x03
	out dx, al                      ; 8N1, DLAB off
	mov dx, COM1 + 2
	mov al, 0xC7
	out dx, al                      ; FIFO on and cleared
	ret

; EBX = NUL-terminated string
serial_puts32:
.next:
	mov al, [ebx]
	test al, al
	jz .done
	mov ah, al
	mov dx, COM1 + 5
.wait:
	in al, dx
	test al, 0x20                   ; transmitter holding register empty
	jz .wait
	mov dx, COM1
	mov al, ah
	out dx, al
	inc ebx
	jmp .next
.done:
	ret

bits 64
start64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor ax, ax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor rbp, rbp
	; edi, esi still hold magic and info; the upper halves were zeroed by the 32-bit moves.
	call kmain
.hang:
	cli
	hlt
	jmp .hang

section .rodata
msg_no_lm:
	db "ballast: this CPU has no 64-bit long mode; ballast needs an x86-64 CPU with VT-x. Halting.", 13, 10, 0

align 8
boot_gdt:
	dq 0
	dq 0x00209A0000000000           ; 0x08: 64-bit code, present, DPL 0
	dq 0x0000920000000000           ; 0x10: data, present, writable
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dd boot_gdt

section .bss
align 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4 * 4096
align 16
boot_stack: resb BOOT_STACK_SIZE
boot_stack_top:
