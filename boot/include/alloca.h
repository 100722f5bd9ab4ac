#ifndef PVBOOT_ALLOCA_H
#define PVBOOT_ALLOCA_H
#define alloca(n) __builtin_alloca(n)
#endif
