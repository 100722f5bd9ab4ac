/* pvboot's x86_32 PAE PV entry: the Xen ELF notes, the hypercall page, a stack, and a call
 * into start_pvboot(start_info). Xen enters at _start with esi = start_info, events masked. */

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

#define XEN_ELFNOTE_ENTRY          1
#define XEN_ELFNOTE_HYPERCALL_PAGE 2
#define XEN_ELFNOTE_VIRT_BASE      3
#define XEN_ELFNOTE_PADDR_OFFSET   4
#define XEN_ELFNOTE_XEN_VERSION    5
#define XEN_ELFNOTE_GUEST_OS       6
#define XEN_ELFNOTE_LOADER         8
#define XEN_ELFNOTE_PAE_MODE       9
#define XEN_ELFNOTE_FEATURES       10

/* PAE_MODE "yes" is libelf's extended-cr3: the shim never reads cr3, so its L3 may lie
 * anywhere, and it says so with pae_pgdir_above_4gb too. */
ELFNOTE(XEN_ELFNOTE_GUEST_OS, .asciz "pvboot")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE, .long 0)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET, .long 0)
ELFNOTE(XEN_ELFNOTE_ENTRY, .long _start)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .long hypercall_page)
ELFNOTE(XEN_ELFNOTE_LOADER, .asciz "generic")
ELFNOTE(XEN_ELFNOTE_FEATURES, .asciz "!writable_page_tables|pae_pgdir_above_4gb")
ELFNOTE(XEN_ELFNOTE_PAE_MODE, .asciz "yes")

    .section .text.head, "ax"
    .globl _start
_start:
    cld
    movl $stack_top, %esp
    pushl %esi
    call start_pvboot
1:  jmp 1b

    /* Xen writes the hypercall stubs here. */
    .p2align 12
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xcc

    .section .bss
    .p2align 12
    .globl stack_bottom, stack_top
stack_bottom:
    .skip 512 * 1024
stack_top:
