// Xen PV guest ABI: the numbers and offsets the core depends on.
// Written from the public interface (xen/include/public); x86_64 layout unless named _32.

export const PAGE_SIZE: u32 = 4096;
export const PAGE_SHIFT: u32 = 12;
export const DOMID_SELF: u16 = 0x7ff0;

// Hypercall sub-operations.
export const SCHEDOP_yield: i32 = 0;
export const SCHEDOP_block: i32 = 1;
export const SCHEDOP_shutdown: i32 = 2;
export const SCHEDOP_poll: i32 = 3;

export const SHUTDOWN_poweroff: u32 = 0;
export const SHUTDOWN_reboot: u32 = 1;
export const SHUTDOWN_suspend: u32 = 2;
export const SHUTDOWN_crash: u32 = 3;

export const XENVER_version: i32 = 0;
export const XENVER_extraversion: i32 = 1;

export const EVTCHNOP_bind_interdomain: i32 = 0;
export const EVTCHNOP_bind_virq: i32 = 1;
export const EVTCHNOP_close: i32 = 3;
export const EVTCHNOP_send: i32 = 4;
export const EVTCHNOP_status: i32 = 5;
export const EVTCHNOP_alloc_unbound: i32 = 6;
export const EVTCHNOP_unmask: i32 = 9;

// Errors come back as -errno (Linux numbering, as Xen uses).
export const EPERM: i32 = 1;
export const ENOENT: i32 = 2;
export const EFAULT: i32 = 14;
export const EBUSY: i32 = 16;
export const EINVAL: i32 = 22;
export const ENOSPC: i32 = 28;
export const ENOSYS: i32 = 38;
export const ETIMEDOUT: i32 = 110;

// start_info (x86_64).
export const SI_MAGIC: u32 = 0;
export const SI_NR_PAGES: u32 = 32;
export const SI_SHARED_INFO: u32 = 40;
export const SI_FLAGS: u32 = 48;
export const SI_STORE_MFN: u32 = 56;
export const SI_STORE_EVTCHN: u32 = 64;
export const SI_CONSOLE_MFN: u32 = 72;
export const SI_CONSOLE_EVTCHN: u32 = 80;
export const SI_PT_BASE: u32 = 88;
export const SI_NR_PT_FRAMES: u32 = 96;
export const SI_MFN_LIST: u32 = 104;
export const SI_MOD_START: u32 = 112;
export const SI_MOD_LEN: u32 = 120;
export const SI_CMD_LINE: u32 = 128;
export const SI_CMD_LINE_SIZE: u32 = 1024;
export const SI_FIRST_P2M_PFN: u32 = 1152; // with the INIT_P2M note only
export const SI_NR_P2M_FRAMES: u32 = 1160;

// start_info (x86_32 PAE, the compat layout: unsigned long is 4 bytes).
export const SI32_NR_PAGES: u32 = 32;
export const SI32_SHARED_INFO: u32 = 36;
export const SI32_FLAGS: u32 = 40;
export const SI32_STORE_MFN: u32 = 44;
export const SI32_STORE_EVTCHN: u32 = 48;
export const SI32_CONSOLE_MFN: u32 = 52;
export const SI32_CONSOLE_EVTCHN: u32 = 56;
export const SI32_PT_BASE: u32 = 60;
export const SI32_NR_PT_FRAMES: u32 = 64;
export const SI32_MFN_LIST: u32 = 68;
export const SI32_MOD_START: u32 = 72;
export const SI32_MOD_LEN: u32 = 76;
export const SI32_CMD_LINE: u32 = 80;
export const SI32_FIRST_P2M_PFN: u32 = 1104;
export const SI32_NR_P2M_FRAMES: u32 = 1108;

export const SIF_PRIVILEGED: u32 = 1;
export const SIF_INITDOMAIN: u32 = 2;
export const SIF_MULTIBOOT_MOD: u32 = 4;
export const SIF_MOD_START_PFN: u32 = 8;

// shared_info (x86_64): vcpu_info[0] at 0, then the 2-level event arrays.
export const VCPU_UPCALL_PENDING: u32 = 0;
export const VCPU_UPCALL_MASK: u32 = 1;
export const VCPU_PENDING_SEL: u32 = 8;
export const SHINFO_EVTCHN_PENDING: u32 = 2048;
export const SHINFO_EVTCHN_MASK: u32 = 2560;
export const NR_EVENT_CHANNELS: u32 = 4096;
// shared_info (x86_32): vcpu_info is 64 bytes too, its pending selector a u32 at 4; the event
// arrays hold 32 u32 words (1024 ports), pending at 2048 (the same bytes as x86_64's for
// those ports, little-endian), mask at 2176.
export const VCPU32_PENDING_SEL: u32 = 4;
export const SHINFO32_EVTCHN_MASK: u32 = 2176;
export const NR_EVENT_CHANNELS_32: u32 = 1024;

// The compat guest's hypervisor hole (HYPERVISOR_COMPAT_VIRT_START's default): nothing of the
// new kernel's may be mapped at or above it.
export const HYPERVISOR_VIRT_START_32: u64 = 0xF5800000;

// PV console ring (io/console.h).
export const CONS_IN: u32 = 0;
export const CONS_IN_SIZE: u32 = 1024;
export const CONS_OUT: u32 = 1024;
export const CONS_OUT_SIZE: u32 = 2048;
export const CONS_IN_CONS: u32 = 3072;
export const CONS_IN_PROD: u32 = 3076;
export const CONS_OUT_CONS: u32 = 3080;
export const CONS_OUT_PROD: u32 = 3084;

export const EAGAIN: i32 = 11;
export const EACCES: i32 = 13;
export const EIO: i32 = 5;
export const E2BIG: i32 = 7;
export const EEXIST: i32 = 17;
export const EISDIR: i32 = 21;
export const EROFS: i32 = 30;
export const EPROTO: i32 = 71;
export const EQUOTA: i32 = 122;
export const EOPNOTSUPP: i32 = 95;

// Grant table v1 (grant_table.h).
export const GNTTABOP_setup_table: i32 = 2;
export const GNTTABOP_query_size: i32 = 6;
export const GNTTABOP_set_version: i32 = 8;
export const GNTTABOP_get_version: i32 = 10;
export const GTF_permit_access: u32 = 1;
export const GTF_readonly: u32 = 4;
export const GTF_reading: u32 = 8;
export const GTF_writing: u32 = 16;
export const GNTTAB_NR_RESERVED: u32 = 8;
export const GRANT_ENTRY_SIZE: u32 = 8;

// xenstore (io/xs_wire.h).
export const XS_DIRECTORY: u32 = 1;
export const XS_READ: u32 = 2;
export const XS_WATCH: u32 = 4;
export const XS_UNWATCH: u32 = 5;
export const XS_TRANSACTION_START: u32 = 6;
export const XS_TRANSACTION_END: u32 = 7;
export const XS_GET_DOMAIN_PATH: u32 = 10;
export const XS_WRITE: u32 = 11;
export const XS_MKDIR: u32 = 12;
export const XS_RM: u32 = 13;
export const XS_WATCH_EVENT: u32 = 15;
export const XS_ERROR: u32 = 16;
export const XS_RESET_WATCHES: u32 = 21;
export const XS_PAYLOAD_MAX: u32 = 4096;
export const XS_RING_SIZE: u32 = 1024;
export const XS_REQ: u32 = 0;
export const XS_RSP: u32 = 1024;
export const XS_REQ_CONS: u32 = 2048;
export const XS_REQ_PROD: u32 = 2052;
export const XS_RSP_CONS: u32 = 2056;
export const XS_RSP_PROD: u32 = 2060;

// XenbusState.
export const XenbusStateUnknown: u32 = 0;
export const XenbusStateInitialising: u32 = 1;
export const XenbusStateInitWait: u32 = 2;
export const XenbusStateInitialised: u32 = 3;
export const XenbusStateConnected: u32 = 4;
export const XenbusStateClosing: u32 = 5;
export const XenbusStateClosed: u32 = 6;
