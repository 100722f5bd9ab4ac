/* What the shim's files share. The arch_ functions are per architecture (boot/<arch>/). */
#ifndef PVBOOT_SHIM_H
#define PVBOOT_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include "xen.h"

/* PV: Xen's start_info page; PVH: the one the shim fills in x86_64 PV's layout. */
extern struct start_info *start_info;
extern uint8_t *shared_info_va; /* vcpu 0's vcpu_info at offset 0 */

/* The core's linear memory: pfns from linear_base_pfn up, mapped at va = pfn << 12 (PV) or at
 * PVH's alias (arch_linear_va: boot/pvh/mm.c). */
extern unsigned long linear_base_pfn;
uint8_t *linear_ptr(uint32_t offset, uint32_t len); /* NULL when outside the memory */
void *linear_array(uint32_t offset, uint32_t count, uint32_t size); /* likewise, no overflow */
int valid_mfn(uint64_t mfn);
void runtime_place_memory(unsigned long base_pfn, unsigned long limit_pages);
void shim_run_core(void) __attribute__((noreturn)); /* boot/main.c: the core, never back */

void shim_panic(const char *why) __attribute__((noreturn));
void shim_write(const char *s, size_t len);
void shim_puts(const char *s);
void shim_crash(void) __attribute__((noreturn));
void shim_console_init(void); /* where the console ring is, while the M2P is Xen's */
void shim_put_hex(unsigned long long v);
void shim_put_dec(long long v);
void shim_panic_rc(const char *call, long rc, const char *names, unsigned nargs,
                   const unsigned long long *args) __attribute__((noreturn));
/* shim_panic_call("mmu_update", rc, "reqs count done", (unsigned long)queue, n, done) */
#define shim_panic_call(call, rc, names, ...)                                       \
    do {                                                                             \
        const unsigned long long args_[] = { __VA_ARGS__ };                          \
        shim_panic_rc(call, rc, names, sizeof(args_) / sizeof(args_[0]), args_);     \
    } while (0)

/* CPU faults (boot/traps.c, boot/<arch>/traps.c, boot/<arch>/entry.S). */
void hypercall_page_check(void);  /* before the first hypercall: Xen's stubs, or ours */
void hypercall_page_report(void); /* once the console is known: a panic if they were ours */
unsigned long shim_fault_cr2(void); /* vcpu 0's cr2 as Xen left it in vcpu_info */
/* A fault the core's code made out of bounds of its memory (guard pages or the %gs segment,
 * boot/runtime.c): the wasm trap "out of bounds memory access"; returns for any other fault. */
void runtime_guard_fault(unsigned vector, unsigned long ip);
void shim_fault(unsigned vector, unsigned long error, unsigned long ip, unsigned long sp,
                const char *const *reg_names, const unsigned long *regs, unsigned nregs)
    __attribute__((noreturn));
const char *shim_debug_option(void);  /* pvboot.debug=shim-KIND: KIND..., or NULL */
void shim_debug_hypercall_page(void); /* shim-hcpage: wipe a stub before the check */
void shim_debug_fault(void);          /* shim-pf, -ud, -de, -gp: a fault made on purpose */
void shim_debug_fault_at_jump(void);  /* pvboot.shim-fault=jump: a page fault at the jump */

uint64_t shim_clock_ns(void);

/* The arch_ functions below marked PV exist in the PV arches only. */
void arch_mm_init(struct start_info *si, unsigned long first_free_pfn); /* PV */
unsigned long arch_mapped_end_pfn(void); /* PV */
void arch_set_table_floor(unsigned long pfn); /* PV */
uint8_t *arch_linear_va(unsigned long base_pfn); /* where the core's linear memory is mapped */
void arch_map_ram(unsigned long pfn, unsigned long end);
void arch_unmap_ram_tail(unsigned long pfn); /* guard pages, %gs: nothing mapped past the memory's start */
/* x86_32 (PVBOOT_SEGMENT_MEMORY): %gs as the linear memory, boot/x86_32/segment.c */
void arch_segment_init(uint8_t *base, uint64_t size);
void arch_segment_resize(uint8_t *base, uint64_t size);
void arch_segment_release(void); /* before the jump */
int arch_segment_loaded(void);    /* %gs holds the memory's selector */
int arch_map_frame(void *va, unsigned long mfn, int readonly);
unsigned long arch_pfn_to_mfn(unsigned long pfn);
unsigned long arch_mfn_to_pfn(unsigned long mfn);
unsigned long arch_l4_mfn(void); /* PV */
void traps_init(void);           /* PV: set_trap_table with the arch's stubs; PVH: the IDT */
void arch_hypercall_page_fill(void);  /* the page as Xen would write it, when Xen did not */
void arch_debug_fault(const char *kind); /* "pf", "ud", "de", "gp" */
/* pvboot.debug=shim-panic: a hypercall Xen must refuse, then shim_panic_call naming it; returns
 * only if Xen did not refuse. */
void arch_debug_refused_call(void);
/* The jump (boot/<arch>/trampoline.S): never returns. */
void arch_start_kernel(void *trampoline_page, uint64_t l4_mfn, uint64_t entry, uint64_t stack,
                       uint64_t start_info_va) __attribute__((noreturn));

#endif
