/* The shim's own console output, for what it must say when the core cannot: a wasm trap, a
 * panic, a CPU fault. It keeps no state of its own beyond where the ring is (the ring's indexes
 * are the state), so it can share the ring with the core's console driver. dom0 has no ring:
 * console_io goes to Xen's serial.
 *
 * Where the ring is mapped is worked out once, by shim_console_init, while the M2P is still
 * Xen's: the core rewrites the M2P for the next kernel before the jump, and a fault after that
 * must still find the ring. */

#include <string.h>
#include "shim.h"
#include "arch.h"

static struct cons_ring *ring; /* the console ring at its start-of-day va; NULL until known */

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void shim_console_init(void)
{
    if (!(start_info->flags & SIF_INITDOMAIN))
        ring = (struct cons_ring *)(arch_mfn_to_pfn(start_info->console.domU.mfn) << PAGE_SHIFT);
}

void shim_write(const char *s, size_t len)
{
    uint32_t port;
    size_t i;
    unsigned spins = 0;

    if ((start_info->flags & SIF_INITDOMAIN) || !ring) {
        /* dom0, or a domU before shim_console_init: Xen's console (a domU's shows up in Xen's
         * log only on a debug hypervisor or with guest_loglvl=all). */
        hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len, s);
#ifdef ARCH_DEBUG_PORT
        /* PVH: also Xen's debug port, which Xen prints for any HVM domain ("(d1) ...",
         * with guest_loglvl=all) where a release build refuses a domU's console_io. */
        for (i = 0; i < len; i++)
            __asm__ volatile("outb %0, %1" :: "a"(s[i]), "Nd"((uint16_t)ARCH_DEBUG_PORT));
#endif
        return;
    }
    port = start_info->console.domU.evtchn;
    for (i = 0; i < len; i++) {
        /* A full ring: let the backend run, a bounded number of times. */
        while (ring->out_prod - *(volatile uint32_t *)&ring->out_cons >= sizeof(ring->out)) {
            if (++spins > 100000)
                return;
            hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &port);
            hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, NULL);
        }
        ring->out[ring->out_prod & (sizeof(ring->out) - 1)] = s[i];
        cpu_mb();
        ring->out_prod++;
    }
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &port);
}

void shim_puts(const char *s)
{
    shim_write(s, strlen(s));
}

/* "0x" and the value in lowercase hex, no leading zeros. */
void shim_put_hex(unsigned long long v)
{
    char buf[2 + 16];
    int n = sizeof(buf);
    do {
        buf[--n] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    buf[--n] = 'x';
    buf[--n] = '0';
    shim_write(buf + n, sizeof(buf) - n);
}

void shim_put_dec(long long v)
{
    char buf[21];
    int n = sizeof(buf);
    unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
    do {
        buf[--n] = '0' + u % 10;
        u /= 10;
    } while (u);
    if (v < 0)
        buf[--n] = '-';
    shim_write(buf + n, sizeof(buf) - n);
}

void shim_crash(void)
{
    uint32_t reason = SHUTDOWN_crash;
    for (;;)
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &reason);
}

void shim_panic(const char *why)
{
    shim_puts("pvboot: shim panic: ");
    shim_puts(why);
    shim_puts("\r\n");
    shim_crash();
}

/* A hypercall that failed where the shim cannot go on: its name, its arguments (`names`, one
 * word each, space-separated) and Xen's rc, e.g.
 * "pvboot: shim panic: update_va_mapping(va 0x..., pte 0x..., flags 0x2): rc -22". */
void shim_panic_rc(const char *call, long rc, const char *names, unsigned nargs, const unsigned long long *args)
{
    unsigned i;
    shim_puts("pvboot: shim panic: ");
    shim_puts(call);
    shim_puts("(");
    for (i = 0; i < nargs; i++) {
        size_t n = 0;
        while (names[n] && names[n] != ' ')
            n++;
        if (i)
            shim_puts(", ");
        shim_write(names, n);
        shim_puts(" ");
        shim_put_hex(args[i]);
        names += names[n] ? n + 1 : n;
    }
    shim_puts("): rc ");
    shim_put_dec(rc);
    shim_puts("\r\n");
    shim_crash();
}
