/* x86_64: the trap table and the frame its stubs (boot/x86_64/entry.S) hand over. */

#include "../xen.h"
#include "../shim.h"
#include "hypercall.h"

/* Xen's trap_info: the vector, flags (bits 0-1 the DPL an `int n` needs; 0 for faults), the
 * code selector (64-bit PV kernels run in ring 3: FLAT_RING3_CS64) and the handler. */
struct trap_info { uint8_t vector; uint8_t flags; uint16_t cs; unsigned long address; };
_Static_assert(sizeof(struct trap_info) == 16, "trap_info layout");
#define FLAT_KERNEL_CS64 0xe033

struct trap_frame {
    unsigned long r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    unsigned long vector, error;
    unsigned long rip, cs, rflags, rsp, ss;
};

#define STUB(n) extern char trap_##n[];
STUB(0) STUB(1) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7) STUB(9) STUB(10) STUB(11) STUB(12)
STUB(13) STUB(14) STUB(16) STUB(17) STUB(18) STUB(19)
#undef STUB

#define ENTRY(n) { n, 0, FLAT_KERNEL_CS64, (unsigned long)trap_##n }
static const struct trap_info trap_table[] = {
    ENTRY(0), ENTRY(1), ENTRY(3), ENTRY(4), ENTRY(5), ENTRY(6), ENTRY(7), ENTRY(9), ENTRY(10),
    ENTRY(11), ENTRY(12), ENTRY(13), ENTRY(14), ENTRY(16), ENTRY(17), ENTRY(18), ENTRY(19),
    { 0, 0, 0, 0 }, /* the end */
};

void arch_traps_init(void)
{
    long rc = hypercall1(__HYPERVISOR_set_trap_table, trap_table);
    if (rc < 0)
        shim_panic_call("set_trap_table", rc, "table", (unsigned long)trap_table);
}

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
