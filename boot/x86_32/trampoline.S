/* The jump into the next kernel. arch_start_kernel copies the code between trampoline_start
 * and trampoline_end, and the mmuext_op entry of the hypercall page, into a page of ours that
 * the new page tables map at the same virtual address as ours do, and runs it there:
 *
 *   page + 0x000  this code
 *   page + 0x100  the 32-byte mmuext_op stub, as Xen wrote it in our hypercall page
 *   page + 0x120  the 32-byte set_trap_table stub, likewise
 *   page + 0x200  two 12-byte mmuext_ops: NEW_BASEPTR (the new L3), UNPIN_TABLE (our old L3)
 *   page + 0xff0  the top of a stack that stays mapped across the switch
 *
 * Entered (cdecl) with the page, the kernel's stack, start_info and the entry on the stack. */

#define TRAMP_STUB  0x100
#define TRAMP_TRAPS 0x120
#define TRAMP_OPS   0x200
#define TRAMP_STACK 0xff0
#define DOMID_SELF  0x7ff0

    .text
    .globl trampoline_start, trampoline_end
trampoline_start:
    movl 4(%esp), %ebp           /* the page */
    movl 8(%esp), %eax           /* kernel stack */
    movl %eax, TRAMP_STACK+0(%ebp)
    movl 12(%esp), %eax          /* start_info */
    movl %eax, TRAMP_STACK+4(%ebp)
    movl 16(%esp), %eax          /* entry */
    movl %eax, TRAMP_STACK+8(%ebp)
    leal TRAMP_STACK(%ebp), %esp
    leal TRAMP_OPS(%ebp), %ebx   /* ops */
    movl $2, %ecx                /* count */
    xorl %edx, %edx              /* no success count */
    movl $DOMID_SELF, %esi
    leal TRAMP_STUB(%ebp), %eax
    call *%eax
    testl %eax, %eax
    jnz 1f
    /* The new page tables are live. The shim's trap table points into what is now the next
     * kernel's memory: clear it (set_trap_table(NULL)), as a new domain has none. */
    pushl %ebp                   /* a debug Xen scribbles over the unused argument registers */
    xorl %ebx, %ebx
    leal TRAMP_TRAPS(%ebp), %eax
    call *%eax
    popl %ebp
    /* The kernel's entry state. */
    movl TRAMP_STACK+4(%ebp), %esi
    movl TRAMP_STACK+8(%ebp), %eax
    movl TRAMP_STACK+0(%ebp), %esp
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %edi, %edi
    xorl %ebp, %ebp
    jmp *%eax
1:  ud2                          /* the switch failed: the shim's #UD report shows eax = rc */
trampoline_end:
