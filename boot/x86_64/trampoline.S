/* The jump into the next kernel. arch_start_kernel copies the code between trampoline_start
 * and trampoline_end, and the mmuext_op entry of the hypercall page, into a page of ours that
 * the new page tables map at the same virtual address as ours do, and runs it there:
 *
 *   page + 0x000  this code
 *   page + 0x100  the 32-byte mmuext_op stub, as Xen wrote it in our hypercall page
 *   page + 0x120  the 32-byte set_trap_table stub, likewise
 *   page + 0x200  two mmuext_ops: NEW_BASEPTR (the new L4), UNPIN_TABLE (our old L4)
 *   page + 0xff0  the top of a stack that stays mapped across the switch
 *
 * Entered (System V) with rdi = page, rsi = the kernel's stack, rdx = start_info, rcx = entry. */

#define TRAMP_STUB  0x100
#define TRAMP_TRAPS 0x120
#define TRAMP_OPS   0x200
#define TRAMP_STACK 0xff0
#define DOMID_SELF  0x7ff0

    .text
    .globl trampoline_start, trampoline_end
trampoline_start:
    movq %rdi, %rbx              /* the page */
    movq %rsi, %r12              /* kernel stack */
    movq %rdx, %r13              /* start_info */
    movq %rcx, %r14              /* entry */
    leaq TRAMP_STACK(%rbx), %rsp
    leaq TRAMP_OPS(%rbx), %rdi   /* ops */
    movq $2, %rsi                /* count */
    xorl %edx, %edx              /* no success count */
    movq $DOMID_SELF, %r10
    leaq TRAMP_STUB(%rbx), %rax
    call *%rax
    testq %rax, %rax
    jnz 1f
    /* The new page tables are live. The shim's trap table points into what is now the next
     * kernel's memory: clear it (set_trap_table(NULL)), as a new domain has none. */
    xorl %edi, %edi
    leaq TRAMP_TRAPS(%rbx), %rax
    call *%rax
    /* The kernel's entry state. */
    movq %r12, %rsp
    movq %r13, %rsi
    movq %r14, %rax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    jmp *%rax
1:  ud2                          /* the switch failed: the shim's #UD report shows rax = rc */
trampoline_end:
