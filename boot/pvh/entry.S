/* PVH exception entry stubs, one per vector of the IDT (boot/pvh/traps.c).
 *
 * The CPU delivers an exception in long mode on the current stack (the shim runs in ring 0
 * and never changes stacks) as: ss, rsp, rflags, cs, rip, [error code], from the top. A stub
 * pushes a 0 where the vector has no error code and then the vector, so that every frame is
 * alike, the same frame as the x86_64 PV stubs make:
 *
 *   r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax | vector error | rip cs rflags rsp ss
 *
 * and calls arch_trap_report(frame), which does not return. */

    .text

.macro TRAP_NOERR vec
    .globl trap_\vec
trap_\vec:
    pushq $0
    pushq $\vec
    jmp trap_common
.endm

.macro TRAP_ERR vec
    .globl trap_\vec
trap_\vec:
    pushq $\vec
    jmp trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR 8
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19

trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    andq $-16, %rsp
    call arch_trap_report
1:  ud2
    jmp 1b
