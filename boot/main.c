/* What every kind's boot flow ends with: the core, instantiated over the linear memory and
 * run (src/main.ts runs the whole boot flow and never comes back); and the clock the core
 * reads. Each kind's own start is in boot/pv/main.c (PV) and boot/pvh/main.c (PVH). */

#include "wasm-rt.h"
#include "core.h"
#include "shim.h"
#include "arch.h"


extern wasm_rt_memory_t core_memory;

uint8_t *shared_info_va; /* where this kind's shim maps shared_info; vcpu 0's vcpu_info first */
static Z_core_instance_t core;
static struct Z_xen_instance_t *xen_imports;
static struct Z_env_instance_t *env_imports;

/* Xen system time from vcpu 0's time info, retried while Xen updates it (odd version). */
uint64_t shim_clock_ns(void)
{
    volatile struct vcpu_time_info *t = (void *)(shared_info_va + SHARED_INFO_VCPU0_TIME);
    uint32_t version;
    uint64_t ns;
    do {
        version = t->version;
        cpu_mb();
        ns = t->system_time + scale_delta(rdtsc() - t->tsc_timestamp, t->tsc_to_system_mul, t->tsc_shift);
        cpu_mb();
    } while ((version & 1) || version != t->version);
    return ns;
}

/* The linear memory as runtime_place_memory laid it out, then the core. */
void shim_run_core(void)
{
    wasm_rt_allocate_memory(&core_memory, CORE_MIN_PAGES, 65536);
    Z_core_init_module();
    Z_core_instantiate(&core, env_imports, xen_imports);
    Z_coreZ_pvboot_main(&core);
    shim_panic("the core returned");
}
