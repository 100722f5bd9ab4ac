/* A small hosted wasm2c (1.0.32) runtime for pvboot modules run as Linux programs: the fuzz
 * driver (scripts/fuzz/driver.c) and the decompressor benchmark (scripts/bench/decompress.c).
 * The PV image has its own, freestanding one (boot/runtime.c).
 *
 * One imported linear memory (env.memory), reserved once at a cap and reused: every module
 * instance starts over zeroed memory (hosted_memory_reset). Built with
 * WASM_RT_MEMCHECK_SIGNAL_HANDLER=1 (the decompressor benchmark on x86_64, as the PV image),
 * the memory has guard pages up to 8 GiB past its base instead of wasm2c's checks, and a
 * SIGSEGV there is the wasm trap. A trap prints what it was (for an
 * AssemblyScript abort routed to src/fuzz/abort.ts, its message and place) and calls abort(). */

#ifndef WASM_RT_HOSTED_H
#define WASM_RT_HOSTED_H

#include <stdint.h>
#include "wasm-rt.h"

#define WASM_PAGE 65536u
#define ABORT_MAGIC 0x54524241u /* src/fuzz/abort.ts */

extern wasm_rt_memory_t hosted_memory;
extern uint32_t hosted_memory_cap_pages;

/* What a trap message starts with ("pvboot-fuzz") and says at its end ("target ext"). */
extern const char *hosted_trap_prefix;
extern const char *hosted_trap_label;
/* Linear address of src/fuzz/abort.ts's record (the module's *_abort_record export), 0 when
 * the instance has none yet. */
extern uint32_t hosted_abort_record;

/* Reserve the linear memory: `mib` MiB (1..4095), address space only until touched. */
void hosted_memory_reserve(unsigned long mib);
/* Zero what the last instance used and start over at `initial_pages`. */
void hosted_memory_reset(uint32_t initial_pages);
/* How much of the memory reached stays resident between resets (cleared with memset); the
 * rest is handed back with madvise. 16 MiB unless the program sets it. */
extern uint64_t hosted_memory_keep;
/* Guard pages only (WASM_RT_MEMCHECK_SIGNAL_HANDLER=1): nonzero keeps what the instances
 * reached of those bytes readable and writable across a reset, so that the guard starts past
 * them until the memory grows beyond; 0 (the default) starts it at the new instance's size.
 * The decompressor benchmark sets it: under a hypervisor with shadow page tables (this
 * machine's), taking pages' access away and giving it back costs a fault on the next touch of
 * each page, about 140 ms per 64 MiB of output, which the image does not pay per
 * decompression and the library's reused buffer never pays. */
extern int hosted_memory_keep_accessible;

int hosted_mem_ok(uint64_t at, uint64_t len);
/* An AssemblyScript string at `ptr` (UTF-16, byte length at ptr - 4) to stderr: ASCII only,
 * at most 2048 characters, "(null)" or "(bad string)" when it is none. */
void hosted_print_string(uint32_t ptr);
uint32_t hosted_mem_u32(uint32_t at);

/* The import every pvboot module has: env.memory (wasm2c calls Z_envZ_memory(env_instance)). */
struct Z_env_instance_t { int unused; };
extern struct Z_env_instance_t hosted_env;
wasm_rt_memory_t *Z_envZ_memory(struct Z_env_instance_t *e);

#endif
