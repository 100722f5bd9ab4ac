/* The C library calls the generated code (and the shim) makes: memory.copy is memmove,
 * memory.fill memset, data segments memcpy. Plain byte loops, compiled like the core
 * (-fno-builtin -fno-tree-loop-distribute-patterns: no call back into themselves).
 * Freestanding; the decompressor benchmark (Makefile: build/bench/decompress) links this
 * file too, so that it times what the PV image runs. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
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
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
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
