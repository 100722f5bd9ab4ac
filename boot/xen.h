/* The parts of the Xen PV ABI the shim itself touches, written from the public headers' facts. */
#ifndef PVBOOT_XEN_H
#define PVBOOT_XEN_H

#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define DOMID_SELF 0x7ff0

#define __HYPERVISOR_set_trap_table 0
#define __HYPERVISOR_mmu_update 1
#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_update_va_mapping 14
#define __HYPERVISOR_set_timer_op 15
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_grant_table_op 20
#define __HYPERVISOR_mmuext_op 26
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_event_channel_op 32

#define MMU_NORMAL_PT_UPDATE 0
#define MMU_MACHPHYS_UPDATE 1
#define MMUEXT_PIN_L3_TABLE 2
#define MMUEXT_PIN_L4_TABLE 3
#define MMUEXT_UNPIN_TABLE 4
#define MMUEXT_NEW_BASEPTR 5
#define UVMF_INVLPG 2
#define XENMEM_machphys_mapping 12
#define CONSOLEIO_write 0
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SCHEDOP_poll 3
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_alloc_unbound 6
#define XENVER_version 0
#define XENVER_extraversion 1

#define SIF_INITDOMAIN 2

#define GNTTABOP_setup_table 2
#define GNTTABOP_query_size 6
#define GNTTABOP_set_version 8
#define GNTTABOP_get_version 10

#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOSYS 38

struct start_info {
    char magic[32];
    unsigned long nr_pages;
    unsigned long shared_info; /* machine address */
    uint32_t flags;
    unsigned long store_mfn;
    uint32_t store_evtchn;
    union {
        struct { unsigned long mfn; uint32_t evtchn; } domU;
        struct { uint32_t info_off; uint32_t info_size; } dom0;
    } console;
    unsigned long pt_base;
    unsigned long nr_pt_frames;
    unsigned long mfn_list;
    unsigned long mod_start;
    unsigned long mod_len;
    char cmd_line[1024];
};

struct vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad1[2];
};
#define SHARED_INFO_VCPU0_TIME 32

struct mmu_update { uint64_t ptr; uint64_t val; };

/* xen_pfn_t is an unsigned long: 4 bytes on x86_32. */
struct gnttab_setup_table { uint16_t dom; uint32_t nr_frames; int16_t status; unsigned long *frame_list; };

/* Xen's mmuext_op in the guest's width: 24 bytes on x86_64, 12 on x86_32. */
struct mmuext_op { unsigned int cmd; unsigned long arg1; unsigned long arg2; };

/* XENMEM_machphys_mapping: where Xen maps its read-only M2P for this guest. */
struct xen_machphys_mapping { unsigned long v_start, v_end, max_mfn; };

struct sched_poll { uint32_t *ports; unsigned int nr_ports; uint64_t timeout; };

/* PV console ring (io/console.h) */
struct cons_ring {
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

#endif

#ifdef __i386__
_Static_assert(__builtin_offsetof(struct start_info, shared_info) == 36, "start_info layout");
_Static_assert(__builtin_offsetof(struct start_info, console) == 52, "start_info layout");
_Static_assert(__builtin_offsetof(struct start_info, mfn_list) == 68, "start_info layout");
_Static_assert(__builtin_offsetof(struct start_info, cmd_line) == 80, "start_info layout");
_Static_assert(sizeof(struct mmuext_op) == 12, "mmuext_op layout");
_Static_assert(__builtin_offsetof(struct sched_poll, timeout) == 8, "sched_poll layout");
#endif

#ifdef __x86_64__
_Static_assert(__builtin_offsetof(struct start_info, shared_info) == 40, "start_info layout");
_Static_assert(__builtin_offsetof(struct start_info, console) == 72, "start_info layout");
_Static_assert(__builtin_offsetof(struct start_info, mfn_list) == 104, "start_info layout");
_Static_assert(__builtin_offsetof(struct start_info, cmd_line) == 128, "start_info layout");
_Static_assert(__builtin_offsetof(struct cons_ring, out_prod) == 3084, "console ring layout");
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info layout");
_Static_assert(__builtin_offsetof(struct gnttab_setup_table, frame_list) == 16, "gnttab_setup_table layout");
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op layout");
#endif
