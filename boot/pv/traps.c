/* PV: how CPU faults reach boot/traps.c. Xen delivers them through the trap table of the
 * arch's stubs (boot/<arch>/entry.S), and puts a page fault's address in vcpu_info. The trap
 * table lasts until the jump: the trampoline clears it once the next kernel's page tables are
 * live (boot/<arch>/trampoline.S), as a new domain has none. */

#include "../shim.h"
#include "arch.h"

/* Xen's trap_info: the vector, flags (bits 0-1 the DPL an `int n` needs; 0 for faults), the
 * code selector and the handler, one of the arch's stubs in boot/<arch>/entry.S. */
struct trap_info { uint8_t vector; uint8_t flags; uint16_t cs; unsigned long address; };
_Static_assert(sizeof(struct trap_info) == 2 * sizeof(unsigned long), "trap_info layout");

/* Every vector but NMI (2), #DF (8, Xen handles it) and the reserved 15. */
#define STUB(n) extern char trap_##n[];
STUB(0) STUB(1) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7) STUB(9) STUB(10) STUB(11) STUB(12)
STUB(13) STUB(14) STUB(16) STUB(17) STUB(18) STUB(19)
#undef STUB

#define ENTRY(n) { n, 0, ARCH_KERNEL_CS, (unsigned long)trap_##n }
static const struct trap_info trap_table[] = {
    ENTRY(0), ENTRY(1), ENTRY(3), ENTRY(4), ENTRY(5), ENTRY(6), ENTRY(7), ENTRY(9), ENTRY(10),
    ENTRY(11), ENTRY(12), ENTRY(13), ENTRY(14), ENTRY(16), ENTRY(17), ENTRY(18), ENTRY(19),
    { 0, 0, 0, 0 }, /* the end */
};
#undef ENTRY

void traps_init(void)
{
    long rc = hypercall1(__HYPERVISOR_set_trap_table, trap_table);
    if (rc < 0)
        shim_panic_call("set_trap_table", rc, "table", (unsigned long)trap_table);
}

unsigned long shim_fault_cr2(void)
{
    return *(volatile unsigned long *)(shared_info_va + ARCH_VCPU0_CR2);
}


/* pvboot.debug=shim-panic on PV: map a frame beyond any machine's with update_va_mapping
 * (arch_map_frame), which Xen refuses. The last frame the arch's mfn can name: far beyond any
 * physical address width (not an MMIO frame, which dom0 may map). */
static uint8_t debug_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

void arch_debug_refused_call(void)
{
#ifdef __x86_64__
    unsigned long mfn = 0xffffffffffUL; /* 40 bits: a 52-bit address */
#else
    unsigned long mfn = 0xffffffffUL;   /* 32 bits: a 44-bit address */
#endif
    long rc = arch_map_frame(debug_page, mfn, 1);
    if (rc < 0)
        shim_panic_call("update_va_mapping", rc, "va mfn", (unsigned long)debug_page, mfn);
}
