/* x86_64 PV hypercalls: rax = number, arguments in rdi rsi rdx r10 r8, through the
 * hypercall page Xen filled in (32 bytes per hypercall). */
#ifndef PVBOOT_HYPERCALL_H
#define PVBOOT_HYPERCALL_H

extern char hypercall_page[];

static inline long hypercall5(unsigned nr, unsigned long a1, unsigned long a2,
                              unsigned long a3, unsigned long a4, unsigned long a5)
{
    register unsigned long r_a1 __asm__("rdi") = a1;
    register unsigned long r_a2 __asm__("rsi") = a2;
    register unsigned long r_a3 __asm__("rdx") = a3;
    register unsigned long r_a4 __asm__("r10") = a4;
    register unsigned long r_a5 __asm__("r8") = a5;
    long ret;
    __asm__ volatile("call *%[entry]"
                     : "=a"(ret), "+r"(r_a1), "+r"(r_a2), "+r"(r_a3), "+r"(r_a4), "+r"(r_a5)
                     : [entry] "r"(hypercall_page + nr * 32)
                     : "memory", "rcx", "r11");
    return ret;
}

#define hypercall1(nr, a) hypercall5(nr, (unsigned long)(a), 0, 0, 0, 0)
#define hypercall2(nr, a, b) hypercall5(nr, (unsigned long)(a), (unsigned long)(b), 0, 0, 0)
#define hypercall3(nr, a, b, c) \
    hypercall5(nr, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), 0, 0)
#define hypercall4(nr, a, b, c, d) \
    hypercall5(nr, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), (unsigned long)(d), 0)

static inline long arch_set_timer_op(uint64_t timeout) { return hypercall1(15, timeout); }

static inline void cpu_mb(void) { __asm__ volatile("mfence" ::: "memory"); }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* (delta << shift) * mul >> 32, as vcpu_time_info defines the TSC scale. */
static inline uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static inline int atomic_test_and_clear_bit64(volatile uint64_t *word, unsigned bit)
{
    unsigned char old;
    __asm__ volatile("lock btrq %2, %0; setc %1" : "+m"(*word), "=q"(old) : "Ir"((uint64_t)bit) : "memory");
    return old;
}

static inline uint16_t atomic_cmpxchg16(volatile uint16_t *p, uint16_t expected, uint16_t replacement)
{
    uint16_t found;
    __asm__ volatile("lock cmpxchgw %2, %1" : "=a"(found), "+m"(*p) : "r"(replacement), "0"(expected) : "memory");
    return found;
}

#endif
