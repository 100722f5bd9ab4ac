/* x86_32 PAE PV exception entry stubs, one per vector in the trap table
 * (boot/traps.c).
 *
 * Xen delivers an exception to a 32-bit PV kernel (ring 1) that was running in ring 1 on its
 * current stack, without a stack switch: [error code], eip, cs, eflags, from the top (no
 * esp/ss: the faulting esp is just above eflags). A stub pushes a 0 where the vector has no
 * error code and then the vector, and pushal the registers, so that every frame is alike:
 *
 *   edi esi ebp (esp) ebx edx ecx eax | vector error | eip cs eflags
 *
 * and calls arch_trap_report(frame), which does not return. */

    .text

.macro TRAP_NOERR vec
    .globl trap_\vec
trap_\vec:
    pushl $0
    pushl $\vec
    jmp trap_common
.endm

.macro TRAP_ERR vec
    .globl trap_\vec
trap_\vec:
    pushl $\vec
    jmp trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19

trap_common:
    pushal
    cld
    movl %esp, %eax
    andl $-16, %esp
    subl $12, %esp
    pushl %eax
    call arch_trap_report
1:  ud2
    jmp 1b
