/* wasm-rt.h names jmp_buf for exception unwinding; the core uses no wasm exceptions. */
#ifndef PVBOOT_SETJMP_H
#define PVBOOT_SETJMP_H
typedef long jmp_buf[8];
#endif
