/* The C library calls the generated code (and the shim) makes: memory.copy is memmove,
 * memory.fill memset, data segments memcpy. memcpy, memset and memmove's forward case are
 * x86's string instructions (rep movsb / rep stosb: the CPU moves whole lines; a byte loop
 * cost the readers' benchmarks most of their time), the rest plain byte loops, compiled like
 * the core (-fno-builtin -fno-tree-loop-distribute-patterns: no call back into themselves).
 * The direction flag is clear on entry (the ABI's rule, and the shim never sets it).
 * Freestanding; the decompressor benchmark (Makefile: build/bench/decompress) links this
 * file too, so that it times what the PV image runs. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}
