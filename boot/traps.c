/* CPU faults in the shim and in the core's compiled code: what they report (the arch's stubs,
 * boot/<arch>/entry.S, hand their frames to boot/<arch>/traps.c, which calls shim_fault), and
 * the checks made before anything can report at all.
 *
 * A page fault of the core's code past the end of its linear memory is the core's access out
 * of bounds where the image has guard pages instead of wasm2c's checks (x86_64 PV, PVH), and so
 * is a #GP of its %gs-relative moves past the segment's limit, or their page fault outside the
 * memory's mapped part, where it reaches the memory through %gs (x86_32): each is reported as the
 * wasm trap, `pvboot: wasm trap: out of bounds memory access` (runtime_guard_fault in
 * boot/runtime.c). Any other fault prints one line with the vector,
 * the error code, the instruction pointer and cr2 (vcpu 0's, as Xen wrote it into vcpu_info
 * for a page fault), then the registers and the words on top of the stack, and crashes the
 * domain with SHUTDOWN_crash: xl shows it as crashed, Xen's log as "Hardware Dom0 crashed" for
 * dom0. How a fault gets here is each kind's (traps_init): PV's trap table (boot/pv/traps.c),
 * PVH's IDT (boot/pvh/traps.c). */

#include <string.h>
#include "shim.h"
#include "arch.h"

extern const unsigned long stack_bottom[], stack_top[];

static const char *const vector_names[] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range exceeded", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection", "#PF page fault",
    "reserved", "#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
};

#define STACK_WORDS 8

void shim_fault(unsigned vector, unsigned long error, unsigned long ip, unsigned long sp,
                const char *const *reg_names, const unsigned long *regs, unsigned nregs)
{
    static int reporting;
    const unsigned long *w;
    unsigned i;

    if (!reporting)
        runtime_guard_fault(vector, ip); /* the core out of bounds: its wasm trap */
    if (reporting++ > 1)
        shim_crash(); /* even the short line below faulted: the console is gone */
    if (reporting > 1) {
        /* The report itself faulted: say so without touching anything else. */
        shim_puts("pvboot: shim fault while reporting a fault, vector ");
        shim_put_dec(vector);
        shim_puts(", " ARCH_IP_NAME " ");
        shim_put_hex(ip);
        shim_puts("\r\n");
        shim_crash();
    }
    shim_puts("pvboot: shim fault: vector ");
    shim_put_dec(vector);
    shim_puts(" ");
    shim_puts(vector < sizeof(vector_names) / sizeof(vector_names[0]) ? vector_names[vector] : "(unknown)");
    shim_puts(", error ");
    shim_put_hex(error);
    shim_puts(", " ARCH_IP_NAME " ");
    shim_put_hex(ip);
    shim_puts(", cr2 ");
    shim_put_hex(shim_fault_cr2());
    shim_puts("\r\n");
    for (i = 0; i < nregs; i++) {
        shim_puts(i % 6 == 0 ? "pvboot: fault regs: " : " ");
        shim_puts(reg_names[i]);
        shim_puts(" ");
        shim_put_hex(regs[i]);
        if (i % 6 == 5 || i == nregs - 1)
            shim_puts("\r\n");
    }
    shim_puts("pvboot: fault stack at " ARCH_SP_NAME " ");
    shim_put_hex(sp);
    shim_puts(":");
    /* Only words of the shim's own stack: a wild stack pointer is printed, not followed. */
    w = (const unsigned long *)sp;
    if (sp & (sizeof(long) - 1) || w < stack_bottom || w >= stack_top) {
        shim_puts(" (not on the shim's stack)");
    } else {
        for (i = 0; i < STACK_WORDS && w + i < stack_top; i++) {
            shim_puts(" ");
            shim_put_hex(w[i]);
        }
    }
    shim_puts("\r\npvboot: crashing the domain (SHUTDOWN_crash)\r\n");
    shim_crash();
}

/* Xen writes a stub per hypercall into the page the HYPERCALL_PAGE note names, each one
 * "mov $nr, %eax" and the trap into Xen; the page is 0xcc (int3) as linked. xen_version's
 * stub must hold its number. */
static int hypercall_page_filled(void)
{
    const uint8_t *stub = (const uint8_t *)hypercall_page + __HYPERVISOR_xen_version * 32;
    unsigned i;
    for (i = 0; i + 5 <= 16; i++)
        if (stub[i] == 0xb8 && stub[i + 1] == __HYPERVISOR_xen_version && !stub[i + 2] && !stub[i + 3] && !stub[i + 4])
            return 1;
    return 0;
}

static uint8_t unfilled_stub[8]; /* the first bytes of xen_version's stub, when Xen left it */
static int hypercall_page_unfilled;

/* Before the first hypercall. When the page is not filled, the shim writes its own stubs
 * (the instruction the arch's hypercall ABI names, the same one Xen's stubs use) so that it
 * can still say so, once the console is known (hypercall_page_report). */
void hypercall_page_check(void)
{
    if (hypercall_page_filled())
        return;
    memcpy(unfilled_stub, hypercall_page + __HYPERVISOR_xen_version * 32, sizeof(unfilled_stub));
    hypercall_page_unfilled = 1;
    arch_hypercall_page_fill();
}

void hypercall_page_report(void)
{
    unsigned i;
    if (!hypercall_page_unfilled)
        return;
    shim_puts("pvboot: shim panic: Xen did not fill the hypercall page at ");
    shim_put_hex((unsigned long)hypercall_page);
    shim_puts(" (xen_version's stub at ");
    shim_put_hex((unsigned long)(hypercall_page + __HYPERVISOR_xen_version * 32));
    shim_puts(" reads");
    for (i = 0; i < sizeof(unfilled_stub); i++) {
        shim_puts(" ");
        shim_put_hex(unfilled_stub[i]);
    }
    shim_puts("); this message went through the shim's own stubs\r\n");
    shim_crash();
}

/* The value of `key` ("pvboot.debug=shim-") on the domain's command line, or NULL. */
static const char *cmdline_option(const char *key)
{
    const char *s = start_info->cmd_line;
    size_t n = strlen(key), i = 0, len = 0;
    while (len < sizeof(start_info->cmd_line) && s[len])
        len++;
    while (i + n <= len) {
        if ((i == 0 || s[i - 1] == ' ') && memcmp(s + i, key, n) == 0)
            return s + i + n;
        while (i < len && s[i] != ' ')
            i++;
        while (i < len && s[i] == ' ')
            i++;
    }
    return NULL;
}

/* pvboot.debug=shim-KIND, or NULL: faults the shim makes on purpose (shim_debug_fault), for
 * test/xen/faults.test.ts. The core sees the same option but never runs: each ends the
 * domain before it starts. */
const char *shim_debug_option(void)
{
    return cmdline_option("pvboot.debug=shim-");
}

static int option_is(const char *opt, const char *kind)
{
    size_t n = strlen(kind);
    return memcmp(opt, kind, n) == 0 && (opt[n] == 0 || opt[n] == ' ');
}

/* A page of the image for shim-panic to try to map a frame over. */
/* Called once the trap table, the console and shared_info are set up. */
void shim_debug_fault(void)
{
    const char *opt = shim_debug_option();
    static const char *const kinds[] = { "pf", "ud", "de", "gp" };
    unsigned i;
    if (!opt || option_is(opt, "hcpage"))
        return;
    if (option_is(opt, "panic")) {
        /* A hypercall Xen refuses, reported as every shim panic after a failed hypercall is:
         * the call (the arch's own: PV's or PVH's), its arguments, Xen's rc. */
        shim_puts("pvboot: debug action 'shim-panic': a hypercall Xen refuses\r\n");
        arch_debug_refused_call();
        shim_panic("Xen did what the debug action asked, where it must refuse");
    }
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (option_is(opt, kinds[i])) {
            shim_puts("pvboot: debug action 'shim-");
            shim_puts(kinds[i]);
            shim_puts("': a CPU fault in the shim\r\n");
            arch_debug_fault(kinds[i]);
            shim_panic("the debug fault did not fault");
        }
    }
    shim_puts("pvboot: unknown shim debug action, ignored\r\n");
}

/* pvboot.shim-fault=jump: a page fault in xen.start_kernel, once the core has laid out the
 * next kernel, rewritten the M2P and torn down its drivers; the report must still reach the
 * console (test/xen/faults.test.ts). The core ignores the option. */
void shim_debug_fault_at_jump(void)
{
    const char *opt = cmdline_option("pvboot.shim-fault=");
    if (!opt || !option_is(opt, "jump"))
        return;
    shim_puts("pvboot: debug: a page fault at the jump, after the core rewrote the M2P\r\n");
    arch_debug_fault("pf");
    shim_panic("the debug fault did not fault");
}

/* pvboot.debug=shim-hcpage: wipe xen_version's stub as if Xen had not filled the page. */
void shim_debug_hypercall_page(void)
{
    const char *opt = shim_debug_option();
    if (opt && option_is(opt, "hcpage"))
        memset(hypercall_page + __HYPERVISOR_xen_version * 32, 0xcc, 32);
}
