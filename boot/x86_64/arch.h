/* Everything arch-specific the common shim files include. */
#ifndef PVBOOT_ARCH_H
#define PVBOOT_ARCH_H
#include "hypercall.h"
#endif
