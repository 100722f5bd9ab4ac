/* x86_64: the frame the trap stubs (boot/x86_64/entry.S) hand over. */

#include "../xen.h"
#include "../shim.h"
#include "hypercall.h"

struct trap_frame {
    unsigned long r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    unsigned long vector, error;
    unsigned long rip, cs, rflags, rsp, ss;
};

void arch_trap_report(struct trap_frame *f)
{
    static const char *const names[] = {
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rflags", "cs",
    };
    unsigned long regs[] = {
        f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->rsp,
        f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, f->rflags, f->cs & 0xffff,
    };
    shim_fault((unsigned)f->vector, f->error, f->rip, f->rsp, names, regs, sizeof(regs) / sizeof(regs[0]));
}

/* Xen's 64-bit PV stub for hypercall `nr`: push %rcx; push %r11; mov $nr, %eax; syscall;
 * pop %r11; pop %rcx; ret. */
void arch_hypercall_page_fill(void)
{
    unsigned nr;
    for (nr = 0; nr < PAGE_SIZE / 32; nr++) {
        uint8_t *p = (uint8_t *)hypercall_page + nr * 32;
        const uint8_t stub[] = { 0x51, 0x41, 0x53, 0xb8, nr, 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3 };
        unsigned i;
        for (i = 0; i < sizeof(stub); i++)
            p[i] = stub[i];
    }
}

/* An address no domain maps: pvboot maps RAM at va = pfn << 12, and this is 128 TiB up. */
#define BAD_VA 0x00007ead00000000UL

/* Each fault at a global label (debug_fault_pf, ...), so that a test can tell from the
 * image's symbols which rip the report must name. */
void arch_debug_fault(const char *kind)
{
    if (kind[0] == 'p') /* pf: a write through a bad pointer */
        __asm__ volatile(".globl debug_fault_pf\ndebug_fault_pf: movq $1, (%0)" :: "r"(BAD_VA) : "memory");
    else if (kind[0] == 'u') /* ud */
        __asm__ volatile(".globl debug_fault_ud\ndebug_fault_ud: ud2");
    else if (kind[0] == 'd') /* de: a division by zero */
        __asm__ volatile(".globl debug_fault_de\ndebug_fault_de: divq %0" :: "r"(0UL), "a"(1UL), "d"(0UL));
    else if (kind[0] == 'g') /* gp: a load from a non-canonical address */
        __asm__ volatile(".globl debug_fault_gp\ndebug_fault_gp: movq (%0), %0" :: "r"(0x8000000000000000UL) : "memory");
}
