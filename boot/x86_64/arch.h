/* Everything arch-specific the common shim files include. */
#ifndef PVBOOT_ARCH_H
#define PVBOOT_ARCH_H
#include "hypercall.h"
#define ARCH_GUEST_KIND 0 /* xen.guest_kind: x86_64 PV */
#define ARCH_PIN_TOP_TABLE MMUEXT_PIN_L4_TABLE
#define ARCH_VIRT_LIMIT_PFN (~0UL) /* no hole below the linear memory's reach */
/* vcpu_info's arch.cr2 (vcpu 0's vcpu_info is at shared_info's start): where Xen puts the
 * faulting address when it delivers a page fault to a PV guest. */
/* The code selector of the trap table's entries (64-bit PV kernels run in ring 3: FLAT_RING3_CS64). */
#define ARCH_KERNEL_CS 0xe033
#define ARCH_VCPU0_CR2 16
#define ARCH_IP_NAME "rip"
#define ARCH_SP_NAME "rsp"
#endif
