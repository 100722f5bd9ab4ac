/* Freestanding assert for the wasm2c output: a failed assert is a shim bug, crash loudly. */
#ifndef PVBOOT_ASSERT_H
#define PVBOOT_ASSERT_H
void shim_panic(const char *why) __attribute__((noreturn));
#define assert(x) ((x) ? (void)0 : shim_panic("assertion failed: " #x))
#endif
