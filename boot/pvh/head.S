/* pvboot's PVH entry. Xen enters at pvh_start32 (XEN_ELFNOTE_PHYS32_ENTRY) as
 * docs/misc/pvh.pandoc says: 32-bit protected mode, paging off, flat segments, %ebx = the
 * physical address of hvm_start_info. From here: page tables mapping the first 4 GiB 1:1 with
 * 2 MiB pages (mm.c splits one into 4 KiB pages where a frame is mapped over a page), our GDT,
 * long mode, a stack, and start_pvh(hvm_start_info) in C (boot/pvh/main.c). */

#define ELFNOTE(type, desc)                 \
    .pushsection .note.Xen, "a", @note;     \
    .p2align 2;                             \
    .long 2f - 1f;                          \
    .long 4f - 3f;                          \
    .long type;                             \
1:  .asciz "Xen";                           \
2:  .p2align 2;                             \
3:  desc;                                   \
4:  .p2align 2;                             \
    .popsection

#define XEN_ELFNOTE_GUEST_OS      6
#define XEN_ELFNOTE_PHYS32_ENTRY 18

ELFNOTE(XEN_ELFNOTE_GUEST_OS, .asciz "pvboot")
ELFNOTE(XEN_ELFNOTE_PHYS32_ENTRY, .long pvh_start32)

#define CR0_PE   0x00000001
#define CR0_PG   0x80000000
#define CR4_PAE  0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define PTE_P_RW 0x003
#define PDE_2M   0x083            /* present, writable, 2 MiB page */

#define GDT_CODE64 0x08
#define GDT_DATA   0x10

    .section .text.head, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    cli
    cld
    movl %ebx, %esi                       /* hvm_start_info, kept for start_pvh */

    /* 2048 2 MiB pages in four page directories: physical 0 to 4 GiB at the same address. */
    movl $pvh_pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $PDE_2M, %eax
    movl %eax, (%edi,%ecx,8)
    movl %ecx, %eax
    shrl $11, %eax                        /* bits 32+ of the address: ecx >> 11 */
    movl %eax, 4(%edi,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jb 1b
    movl $pvh_pdpt, %edi
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $pvh_pd + PTE_P_RW, %eax
    movl %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    incl %ecx
    cmpl $4, %ecx
    jb 2b
    movl $pvh_pdpt + PTE_P_RW, pvh_pml4
    movl $0, pvh_pml4 + 4

    lgdt gdt_desc
    movl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $pvh_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl $(CR0_PE | CR0_PG), %eax
    movl %eax, %cr0
    ljmp $GDT_CODE64, $start64

    .code64
start64:
    movl $GDT_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movq $stack_top, %rsp
    movl %esi, %edi
    call start_pvh
3:  hlt
    jmp 3b

    .section .rodata
    .p2align 3
gdt:
    .quad 0
    .quad 0x00af9a000000ffff              /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff              /* 0x10: flat data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .quad gdt

    /* Xen writes the hypercall stubs here when asked (boot/pvh/main.c). */
    .section .text
    .p2align 12
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xcc

    .section .bss
    .p2align 12
    .globl pvh_pml4, pvh_pdpt, pvh_pd
pvh_pml4:
    .skip 4096
pvh_pdpt:
    .skip 4096
pvh_pd:
    .skip 4 * 4096
    .globl stack_bottom, stack_top
stack_bottom:
    .skip 512 * 1024
stack_top:
