#ifndef PVBOOT_STDLIB_H
#define PVBOOT_STDLIB_H
#include <stddef.h>
void shim_panic(const char *why) __attribute__((noreturn));
#define abort() shim_panic("abort")
#endif
