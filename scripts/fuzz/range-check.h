/* Included first into the wasm2c output of a fuzz target (scripts/fuzz/build.sh rewrites its
 * RANGE_CHECK to call this): the linear-memory bounds check done in inline assembly, so
 * that -fsanitize-coverage=trace-cmp does not hook every memory access. The check is the
 * one wasm2c makes (end of the access > memory size: trap). */
#include <stdint.h>

static inline __attribute__((always_inline)) int fuzz_out_of_range(uint64_t end, uint64_t size)
{
#if defined(__x86_64__)
    __asm__ goto("cmpq %1, %0\n\tja %l[oob]" : : "r"(end), "r"(size) : "cc" : oob);
    return 0;
oob:
    return 1;
#else
    return end > size;
#endif
}
