/* The C library calls the generated code (and the shim) makes: memory.copy is memmove,
 * memory.fill memset, data segments memcpy. memcpy, memset and memmove are x86's string
 * instructions, a machine word per step (rep movsq / rep stosq on x86_64, movsl / stosl on
 * x86_32) and the last few bytes one at a time. A CPU with fast strings moves whole lines
 * either way; under QEMU's TCG, where the real-Xen tests run, every step of a rep is one trip
 * through the translated block, so bytes cost eight times the steps of words (the 58 MiB a
 * PVH kernel is copied over, the memory the core grows into and clears). A byte loop cost the
 * readers' benchmarks most of their time. The rest are plain byte loops, compiled like the
 * core (-fno-builtin -fno-tree-loop-distribute-patterns: no call back into themselves). The
 * direction flag is clear on entry (the ABI's rule) and memmove clears it again after its
 * backward copy. Freestanding; the decompressor benchmark (Makefile: build/bench/decompress)
 * links this file too, so that it times what the PV image runs. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __x86_64__
#define REP_MOVS_WORDS "rep movsq"
#define REP_STOS_WORDS "rep stosq"
#else
#define REP_MOVS_WORDS "rep movsl"
#define REP_STOS_WORDS "rep stosl"
#endif
#define WORD sizeof(unsigned long)

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / WORD, bytes = n % WORD;
    __asm__ volatile(REP_MOVS_WORDS : "+D"(d), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(bytes) : : "memory");
    return dst;
}

/* Backward when dst lies inside src: the odd bytes from the top first, then the words below
 * them, highest first (each read lies below every write made so far). */
void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    size_t words = n / WORD, bytes = n % WORD;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    d += n - 1;
    s += n - 1;
    __asm__ volatile("std\n\trep movsb" : "+D"(d), "+S"(s), "+c"(bytes) : : "memory");
    d -= WORD - 1;
    s -= WORD - 1;
    __asm__ volatile(REP_MOVS_WORDS "\n\tcld" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    unsigned long pattern = (unsigned char)c * (~0UL / 0xff);
    size_t words = n / WORD, bytes = n % WORD;
    __asm__ volatile(REP_STOS_WORDS : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(bytes) : "a"(pattern) : "memory");
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
