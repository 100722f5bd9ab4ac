/* The jump into the next PVH kernel. xen.start_kernel (boot/pvh/imports.c) copies the code
 * between pvh_trampoline_start and pvh_trampoline_end into a page the core reserved below
 * 4 GiB (identity-mapped), writes into it the copies (12-byte records {dst, src, len},
 * physical; src 0xffffffff: zeros), their number, hvm_start_info's address and the entry
 * (into the ljmp at pvh_trampoline_jump), and calls it:
 *
 *   page + 0x000  this code, with its own GDT: 0x08 flat 32-bit code, 0x10 flat data
 *   page + 0x3e8  u32 number of copies
 *   page + 0x3ec  u32 hvm_start_info's physical address
 *   page + 0x400  the copies
 *
 * It leaves long mode first (compatibility mode, then CR0.PG, EFER.LME and CR4 cleared), so
 * that the copies may overwrite anything but this page, the shim's page tables included;
 * does the copies one after another with memmove semantics, a dword per step (under QEMU's
 * TCG each step of a rep costs alike: bytes took four times as long over a 58 MiB kernel);
 * and enters the kernel as docs/misc/pvh.pandoc says: 32-bit protected mode, paging off, flat
 * segments, ebx = hvm_start_info, every other register (esp too) 0. */

#define TRAMP_COUNT      0x3e8
#define TRAMP_START_INFO 0x3ec
#define TRAMP_COPIES     0x400
#define CODE32 0x08
#define DATA32 0x10

    .text
    .code64
    .globl pvh_trampoline_start, pvh_trampoline_end, pvh_trampoline_jump
pvh_trampoline_start:
    cli
    cld
    leaq pvh_trampoline_start(%rip), %rbp        /* this page */
    leaq (gdt - pvh_trampoline_start)(%rbp), %rax
    movq %rax, (gdt_desc - pvh_trampoline_start + 2)(%rbp)
    lgdt (gdt_desc - pvh_trampoline_start)(%rbp)
    leaq (compat - pvh_trampoline_start)(%rbp), %rax
    pushq $CODE32
    pushq %rax
    lretq

    .code32
compat:
    movl $DATA32, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movl %cr0, %eax
    andl $0x7fffffff, %eax                       /* paging off: long mode ends */
    movl %eax, %cr0
    movl $0xc0000080, %ecx                       /* EFER.LME off */
    rdmsr
    andl $~0x100, %eax
    wrmsr
    xorl %eax, %eax
    movl %eax, %cr4

    movl TRAMP_COUNT(%ebp), %edx
    leal TRAMP_COPIES(%ebp), %ebx
1:  testl %edx, %edx
    jz 5f
    movl (%ebx), %edi
    movl 4(%ebx), %esi
    cmpl $0xffffffff, %esi
    jne 2f
    xorl %eax, %eax                              /* zeros: dwords, then the odd bytes */
    movl 8(%ebx), %ecx
    shrl $2, %ecx
    rep stosl
    movl 8(%ebx), %ecx
    andl $3, %ecx
    rep stosb
    jmp 4f
2:  cmpl %esi, %edi                              /* forward unless dst lies inside src */
    jbe 3f
    movl 8(%ebx), %eax
    addl %esi, %eax
    cmpl %eax, %edi
    jae 3f
    /* Backward: the odd bytes from the top, then the dwords below them, highest first
     * (each read lies below every write made so far). */
    leal -1(%eax), %esi
    movl 8(%ebx), %ecx
    leal -1(%edi,%ecx), %edi
    andl $3, %ecx
    std
    rep movsb
    subl $3, %esi
    subl $3, %edi
    movl 8(%ebx), %ecx
    shrl $2, %ecx
    rep movsl
    cld
    jmp 4f
3:  movl 8(%ebx), %ecx                           /* forward: dwords, then the odd bytes */
    shrl $2, %ecx
    rep movsl
    movl 8(%ebx), %ecx
    andl $3, %ecx
    rep movsb
4:  addl $12, %ebx
    decl %edx
    jmp 1b

5:  movl TRAMP_START_INFO(%ebp), %ebx
    xorl %eax, %eax
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %esp, %esp
pvh_trampoline_jump:
    .byte 0xea                                   /* ljmp $CODE32, $entry (entry written here) */
    .long 0
    .word CODE32

    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff                     /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff                     /* 0x10: flat data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .quad 0                                      /* the page's gdt, written above */
    .org pvh_trampoline_start + TRAMP_COUNT      /* the code must end before the fields */
pvh_trampoline_end:
    .code64
