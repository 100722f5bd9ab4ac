/* The shim's own console output, for what it must say when the core cannot: a wasm trap, a
 * panic. It keeps no state of its own (the ring's indexes are the state), so it can share
 * the ring with the core's console driver. dom0 has no ring: console_io goes to Xen's serial. */

#include <string.h>
#include "shim.h"
#include "arch.h"

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void shim_write(const char *s, size_t len)
{
    struct cons_ring *ring;
    uint32_t port;
    size_t i;
    unsigned spins = 0;

    if (start_info->flags & SIF_INITDOMAIN) {
        hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len, s);
        return;
    }
    ring = (struct cons_ring *)(arch_mfn_to_pfn(start_info->console.domU.mfn) << PAGE_SHIFT);
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
