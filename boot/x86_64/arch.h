/* Everything arch-specific the common shim files include. */
#ifndef PVBOOT_ARCH_H
#define PVBOOT_ARCH_H
#include "hypercall.h"
#define ARCH_GUEST_KIND 0 /* xen.guest_kind: x86_64 PV */
#define ARCH_PIN_TOP_TABLE MMUEXT_PIN_L4_TABLE
#define ARCH_VIRT_LIMIT_PFN (~0UL) /* no hole below the linear memory's reach */
#endif
