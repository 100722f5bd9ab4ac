/* Everything arch-specific the common shim files include. */
#ifndef PVBOOT_ARCH_H
#define PVBOOT_ARCH_H
#include "hypercall.h"
#define ARCH_GUEST_KIND 1 /* xen.guest_kind: x86_32 PAE PV */
#define ARCH_PIN_TOP_TABLE MMUEXT_PIN_L3_TABLE
/* The linear memory stays below the hypervisor's hole (compat guests' default start). */
#define ARCH_VIRT_LIMIT_PFN (0xF5800000UL >> PAGE_SHIFT)
#endif
