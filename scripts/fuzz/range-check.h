/* Included first into the wasm2c output of a fuzz target (scripts/fuzz/build.sh rewrites its
 * RANGE_CHECK and FUNC_PROLOGUE to call this): the linear-memory bounds check and the
 * call-depth check done in inline assembly, so that -fsanitize-coverage=trace-cmp does not
 * hook every memory access and every call (a third of the time, and noise for the fuzzer).
 * The checks are the ones wasm2c makes (a > b: trap). */
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
