/* x86_64: fill the trampoline page (boot/x86_64/trampoline.S) and run it. */

#include <string.h>
#include "../xen.h"
#include "../shim.h"
#include "hypercall.h"

extern const char trampoline_start[], trampoline_end[];

#define TRAMP_STUB 0x100
#define TRAMP_TRAPS 0x120
#define TRAMP_OPS 0x200

struct tramp_op { uint32_t cmd, pad; uint64_t arg1, arg2; };

void arch_start_kernel(void *page, uint64_t l4_mfn, uint64_t entry, uint64_t stack, uint64_t si)
{
    uint8_t *p = page;
    struct tramp_op *ops = (struct tramp_op *)(p + TRAMP_OPS);
    void (*run)(void *, uint64_t, uint64_t, uint64_t);

    memset(p, 0, PAGE_SIZE);
    memcpy(p, trampoline_start, trampoline_end - trampoline_start);
    memcpy(p + TRAMP_STUB, hypercall_page + __HYPERVISOR_mmuext_op * 32, 32);
    memcpy(p + TRAMP_TRAPS, hypercall_page + __HYPERVISOR_set_trap_table * 32, 32);
    ops[0].cmd = MMUEXT_NEW_BASEPTR;
    ops[0].arg1 = l4_mfn;
    ops[1].cmd = MMUEXT_UNPIN_TABLE;
    ops[1].arg1 = arch_l4_mfn();
    cpu_mb();
    run = (void (*)(void *, uint64_t, uint64_t, uint64_t))(void *)p;
    run(p, stack, si, entry);
    for (;;)
        ;
}
