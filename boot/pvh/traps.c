/* PVH: how CPU faults reach boot/traps.c. There is no PV trap table in an HVM container: the
 * shim loads its own IDT, one interrupt gate per exception vector (0 to 19) pointing at the
 * stubs of boot/pvh/entry.S, and reads a page fault's address from cr2. The IDT lasts until
 * the jump; the next kernel loads its own. */

#include "../xen.h"
#include "../shim.h"
#include "arch.h"

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

/* A 64-bit interrupt gate: handler, the shim's code selector (boot/pvh/head.S), type 0xe,
 * present, DPL 0. */
struct idt_gate { uint16_t off0, sel; uint8_t ist, type; uint16_t off1; uint32_t off2, zero; };
_Static_assert(sizeof(struct idt_gate) == 16, "idt gate layout");

#define NR_VECTORS 20
#define CODE_SELECTOR 0x08

#define STUB(n) extern char trap_##n[];
STUB(0) STUB(1) STUB(2) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7) STUB(8) STUB(9) STUB(10)
STUB(11) STUB(12) STUB(13) STUB(14) STUB(15) STUB(16) STUB(17) STUB(18) STUB(19)
#undef STUB

static char *const stubs[NR_VECTORS] = {
    trap_0, trap_1, trap_2, trap_3, trap_4, trap_5, trap_6, trap_7, trap_8, trap_9, trap_10,
    trap_11, trap_12, trap_13, trap_14, trap_15, trap_16, trap_17, trap_18, trap_19,
};

static struct idt_gate idt[NR_VECTORS] __attribute__((aligned(16)));

void traps_init(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } desc;
    unsigned i;
    for (i = 0; i < NR_VECTORS; i++) {
        unsigned long a = (unsigned long)stubs[i];
        idt[i].off0 = (uint16_t)a;
        idt[i].sel = CODE_SELECTOR;
        idt[i].ist = 0;
        idt[i].type = 0x8e;
        idt[i].off1 = (uint16_t)(a >> 16);
        idt[i].off2 = (uint32_t)(a >> 32);
        idt[i].zero = 0;
    }
    desc.limit = sizeof(idt) - 1;
    desc.base = (unsigned long)idt;
    __asm__ volatile("lidt %0" :: "m"(desc));
}

unsigned long shim_fault_cr2(void)
{
    unsigned long cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    return cr2;
}

/* Xen's HVM stub for hypercall `nr`: mov $nr, %eax; vmcall (Intel, 0f 01 c1) or vmmcall
 * (AMD, 0f 01 d9); ret. The vendor from CPUID leaf 0. */
void arch_hypercall_page_fill(void)
{
    uint32_t a, b, c, d;
    unsigned nr;
    cpuid(0, &a, &b, &c, &d);
    for (nr = 0; nr < PAGE_SIZE / 32; nr++) {
        uint8_t *p = (uint8_t *)hypercall_page + nr * 32;
        const uint8_t stub[] = { 0xb8, nr, 0, 0, 0, 0x0f, 0x01, b == 0x68747541 /* "Auth" */ ? 0xd9 : 0xc1, 0xc3 };
        unsigned i;
        for (i = 0; i < sizeof(stub); i++)
            p[i] = stub[i];
    }
}

/* An address the shim's page tables do not map: only the first 4 GiB are. */
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

/* pvboot.debug=shim-panic on PVH: there is no PV MMU (the shim maps frames in its own page
 * tables, no hypercall), so the call Xen refuses is HVMOP_get_param for an index past every
 * HVM parameter (-EINVAL), named as boot/pvh/main.c's get_param names a failure. */
#define DEBUG_BAD_PARAM 0xffffu

void arch_debug_refused_call(void)
{
    struct xen_hvm_param p = { DOMID_SELF, 0, DEBUG_BAD_PARAM, 0 };
    long rc = hypercall2(__HYPERVISOR_hvm_op, HVMOP_get_param, &p);
    if (rc < 0)
        shim_panic_call("hvm_op(HVMOP_get_param)", rc, "index", DEBUG_BAD_PARAM);
}
