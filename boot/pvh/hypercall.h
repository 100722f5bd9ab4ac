/* PVH hypercalls: the x86_64 register convention (rax = number, arguments in rdi rsi rdx r10
 * r8) through the hypercall page, which Xen fills here when asked by the MSR of CPUID leaf
 * base+2 (boot/pvh/main.c); its stubs are vmcall or vmmcall instead of syscall. */
#ifndef PVBOOT_PVH_HYPERCALL_H
#define PVBOOT_PVH_HYPERCALL_H

#include "../x86_64/hypercall.h"

#define __HYPERVISOR_hvm_op 34
#define HVMOP_get_param 1
#define HVM_PARAM_STORE_PFN 1
#define HVM_PARAM_STORE_EVTCHN 2
#define HVM_PARAM_CONSOLE_PFN 17
#define HVM_PARAM_CONSOLE_EVTCHN 18

#define XENMEM_add_to_physmap 7
#define XENMEM_memory_map 9
#define XENMEM_remove_from_physmap 15
#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1

struct xen_hvm_param { uint16_t domid; uint16_t pad; uint32_t index; uint64_t value; };
struct xen_add_to_physmap { uint16_t domid; uint16_t size; uint32_t space; uint64_t idx; uint64_t gpfn; };
struct xen_remove_from_physmap { uint16_t domid; uint64_t gpfn; };
struct xen_memory_map { uint32_t nr_entries; void *buffer; };
struct e820_entry { uint64_t addr; uint64_t size; uint32_t type; } __attribute__((packed));
#define E820_RAM 1

/* hvm_start_info (start_info.h), version 1, and its module entries. */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry { uint64_t paddr, size, cmdline_paddr, reserved; };

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "0"(leaf), "2"(0));
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "xen_add_to_physmap layout");
_Static_assert(sizeof(struct xen_remove_from_physmap) == 16, "xen_remove_from_physmap layout");
_Static_assert(sizeof(struct e820_entry) == 20, "e820 layout");
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");

#endif
