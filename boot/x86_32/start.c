/* x86_32: fill the trampoline page (boot/x86_32/trampoline.S) and run it. */

#include <string.h>
#include "../xen.h"
#include "../shim.h"
#include "hypercall.h"

extern const char trampoline_start[], trampoline_end[];

#define TRAMP_STUB 0x100
#define TRAMP_TRAPS 0x120
#define TRAMP_OPS 0x200

void arch_start_kernel(void *page, uint64_t l3_mfn, uint64_t entry, uint64_t stack, uint64_t si)
{
    uint8_t *p = page;
    struct mmuext_op *ops = (struct mmuext_op *)(p + TRAMP_OPS);
    void (*run)(void *, uint32_t, uint32_t, uint32_t);

    if ((l3_mfn >> 32) || (entry >> 32) || (stack >> 32) || (si >> 32))
        shim_panic("the handoff record holds an address beyond 32 bits");
    memset(p, 0, PAGE_SIZE);
    memcpy(p, trampoline_start, trampoline_end - trampoline_start);
    memcpy(p + TRAMP_STUB, hypercall_page + __HYPERVISOR_mmuext_op * 32, 32);
    memcpy(p + TRAMP_TRAPS, hypercall_page + __HYPERVISOR_set_trap_table * 32, 32);
    ops[0].cmd = MMUEXT_NEW_BASEPTR;
    ops[0].arg1 = (unsigned long)l3_mfn;
    ops[1].cmd = MMUEXT_UNPIN_TABLE;
    ops[1].arg1 = arch_l4_mfn();
#if PVBOOT_SEGMENT_MEMORY
    arch_segment_release(); /* the core has run for the last time */
#endif
    cpu_mb();
    run = (void (*)(void *, uint32_t, uint32_t, uint32_t))(void *)p;
    run(p, (uint32_t)stack, (uint32_t)si, (uint32_t)entry);
    for (;;)
        ;
}
