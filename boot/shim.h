/* What the shim's files share. The arch_ functions are per architecture (boot/<arch>/). */
#ifndef PVBOOT_SHIM_H
#define PVBOOT_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include "xen.h"

extern struct start_info *start_info;
extern struct shared_info_page *shared_info;

/* The core's linear memory: pfns from linear_base_pfn up, mapped at va = pfn << 12. */
extern unsigned long linear_base_pfn;
uint8_t *linear_ptr(uint32_t offset, uint32_t len); /* NULL when outside the memory */

void shim_panic(const char *why) __attribute__((noreturn));
void shim_write(const char *s, size_t len);
void shim_puts(const char *s);
void shim_crash(void) __attribute__((noreturn));

uint64_t shim_clock_ns(void);

void arch_mm_init(struct start_info *si, unsigned long first_free_pfn);
unsigned long arch_mapped_end_pfn(void);
void arch_set_table_floor(unsigned long pfn);
void arch_map_ram(unsigned long pfn, unsigned long end);
int arch_map_frame(void *va, unsigned long mfn, int readonly);
unsigned long arch_pfn_to_mfn(unsigned long pfn);
unsigned long arch_mfn_to_pfn(unsigned long mfn);
unsigned long arch_l4_mfn(void);
/* The jump (boot/<arch>/trampoline.S): never returns. */
void arch_start_kernel(void *trampoline_page, uint64_t l4_mfn, uint64_t entry, uint64_t stack,
                       uint64_t start_info_va) __attribute__((noreturn));

#endif
