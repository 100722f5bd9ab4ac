/* Everything arch-specific the common shim files include: PVH (an x86_64 HVM container, the
 * shim in long mode on its own page tables, boot/pvh/head.S). */
#ifndef PVBOOT_ARCH_H
#define PVBOOT_ARCH_H
#include "hypercall.h"
#define ARCH_GUEST_KIND 2 /* xen.guest_kind: PVH */
#define ARCH_IP_NAME "rip"
#define ARCH_SP_NAME "rsp"
#define ARCH_DEBUG_PORT 0xe9 /* shim messages before the console ring is known (boot/console.c) */
#endif
