/* x86_32 PV hypercalls: eax = number, arguments in ebx ecx edx esi edi, through the
 * hypercall page Xen filled in (32 bytes per hypercall). */
#ifndef PVBOOT_HYPERCALL_H
#define PVBOOT_HYPERCALL_H

#include <stdint.h>

extern char hypercall_page[];

static inline long hypercall5(unsigned nr, unsigned long a1, unsigned long a2,
                              unsigned long a3, unsigned long a4, unsigned long a5)
{
    long ret;
    unsigned long b = a1, c = a2, d = a3, s = a4, D = a5;
    void *entry = hypercall_page + nr * 32; /* in memory: every register but ebp is taken */
    __asm__ volatile("call *%[entry]"
                     : "=a"(ret), "+b"(b), "+c"(c), "+d"(d), "+S"(s), "+D"(D)
                     : [entry] "m"(entry)
                     : "memory");
    return ret;
}

#define hypercall1(nr, a) hypercall5(nr, (unsigned long)(a), 0, 0, 0, 0)
#define hypercall2(nr, a, b) hypercall5(nr, (unsigned long)(a), (unsigned long)(b), 0, 0, 0)
#define hypercall3(nr, a, b, c) \
    hypercall5(nr, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), 0, 0)
#define hypercall4(nr, a, b, c, d) \
    hypercall5(nr, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), (unsigned long)(d), 0)

/* A 64-bit timeout travels as two registers, low half first. */
static inline long arch_set_timer_op(uint64_t timeout)
{
    return hypercall2(15, (uint32_t)timeout, (uint32_t)(timeout >> 32));
}

/* update_va_mapping takes the (64-bit PAE) PTE as two words. */
static inline long arch_update_va_mapping(void *va, uint64_t pte, unsigned long flags)
{
    return hypercall4(14, va, (uint32_t)pte, (uint32_t)(pte >> 32), flags);
}

static inline void cpu_mb(void) { __asm__ volatile("lock; addl $0,0(%%esp)" ::: "memory"); }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* (delta << shift) * mul >> 32, as vcpu_time_info defines the TSC scale: the 96-bit product
 * from two 32x32 multiplications. */
static inline uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    uint64_t lo, hi;
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    lo = (uint64_t)(uint32_t)delta * mul;
    hi = (uint64_t)(uint32_t)(delta >> 32) * mul;
    return hi + (lo >> 32);
}

static inline int atomic_test_and_clear_bit64(volatile uint64_t *word, unsigned bit)
{
    unsigned char old;
    /* bt with a register offset addresses the bit string beyond the first dword */
    __asm__ volatile("lock btrl %2, %0; setc %1" : "+m"(*word), "=q"(old) : "r"(bit) : "memory");
    return old;
}

static inline uint16_t atomic_cmpxchg16(volatile uint16_t *p, uint16_t expected, uint16_t replacement)
{
    uint16_t found;
    __asm__ volatile("lock cmpxchgw %2, %1" : "=a"(found), "+m"(*p) : "r"(replacement), "0"(expected) : "memory");
    return found;
}

#endif
