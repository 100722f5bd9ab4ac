/* Everything arch-specific the common shim files include. */
#ifndef PVBOOT_ARCH_H
#define PVBOOT_ARCH_H
#include "hypercall.h"
#define ARCH_GUEST_KIND 1 /* xen.guest_kind: x86_32 PAE PV */
#define ARCH_PIN_TOP_TABLE MMUEXT_PIN_L3_TABLE
/* The linear memory stays below the hypervisor's hole (compat guests' default start). */
#define ARCH_VIRT_LIMIT_PFN (0xF5800000UL >> PAGE_SHIFT)
/* vcpu_info's arch.cr2 in a compat guest's layout (evtchn_pending_sel is 4 bytes there):
 * where Xen puts the faulting address when it delivers a page fault to a PV guest. */
/* The code selector of the trap table's entries (32-bit PV kernels run in ring 1: FLAT_RING1_CS). */
#define ARCH_KERNEL_CS 0xe019
#define ARCH_VCPU0_CR2 8
#define ARCH_IP_NAME "eip"
#define ARCH_SP_NAME "esp"
#endif
