/* x86_32 PAE: the frame the trap stubs (boot/x86_32/entry.S) hand over. */

#include "../xen.h"
#include "../shim.h"
#include "hypercall.h"

struct trap_frame {
    unsigned long edi, esi, ebp, esp_pushal, ebx, edx, ecx, eax;
    unsigned long vector, error;
    unsigned long eip, cs, eflags;
};

void arch_trap_report(struct trap_frame *f)
{
    static const char *const names[] = {
        "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eflags", "cs",
    };
    /* Same ring, no stack switch: the faulting esp is just above the frame Xen pushed. */
    unsigned long esp = (unsigned long)(&f->eflags + 1);
    unsigned long regs[] = {
        f->eax, f->ebx, f->ecx, f->edx, f->esi, f->edi, f->ebp, esp, f->eflags, f->cs & 0xffff,
    };
    shim_fault((unsigned)f->vector, f->error, f->eip, esp, names, regs, sizeof(regs) / sizeof(regs[0]));
}

/* Xen's 32-bit PV stub for hypercall `nr`: mov $nr, %eax; int $0x82; ret. */
void arch_hypercall_page_fill(void)
{
    unsigned nr;
    for (nr = 0; nr < PAGE_SIZE / 32; nr++) {
        uint8_t *p = (uint8_t *)hypercall_page + nr * 32;
        const uint8_t stub[] = { 0xb8, nr, 0, 0, 0, 0xcd, 0x82, 0xc3 };
        unsigned i;
        for (i = 0; i < sizeof(stub); i++)
            p[i] = stub[i];
    }
}

/* An address no domain of less than 3.8 GiB maps (pvboot maps RAM at va = pfn << 12), just
 * below the hypervisor's hole. */
#define BAD_VA 0xf5400000UL

/* Each fault at a global label (debug_fault_pf, ...), so that a test can tell from the
 * image's symbols which eip the report must name. */
void arch_debug_fault(const char *kind)
{
    if (kind[0] == 'p') /* pf: a write through a bad pointer */
        __asm__ volatile(".globl debug_fault_pf\ndebug_fault_pf: movl $1, (%0)" :: "r"(BAD_VA) : "memory");
    else if (kind[0] == 'u') /* ud */
        __asm__ volatile(".globl debug_fault_ud\ndebug_fault_ud: ud2");
    else if (kind[0] == 'd') /* de: a division by zero */
        __asm__ volatile(".globl debug_fault_de\ndebug_fault_de: divl %0" :: "r"(0UL), "a"(1UL), "d"(0UL));
    else if (kind[0] == 'g') /* gp: `int $0x41`, a vector the trap table does not open */
        __asm__ volatile(".globl debug_fault_gp\ndebug_fault_gp: int $0x41");
}
