// The Xen ABI numbers the emulator needs (x86_64), written from the public headers' facts.

export const PAGE = 4096;
export const PAGE_SHIFT = 12;

export const EPERM = 1, ENOENT = 2, EFAULT = 14, EBUSY = 16, EINVAL = 22, ENOSPC = 28, ENOSYS = 38;

export const SCHEDOP_yield = 0, SCHEDOP_block = 1, SCHEDOP_shutdown = 2, SCHEDOP_poll = 3;
export const SHUTDOWN_REASONS = ["poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset"] as const;
export type ShutdownReason = (typeof SHUTDOWN_REASONS)[number];

export const XENVER_version = 0, XENVER_extraversion = 1;

export const EVTCHNOP_bind_interdomain = 0, EVTCHNOP_bind_virq = 1, EVTCHNOP_close = 3,
  EVTCHNOP_send = 4, EVTCHNOP_status = 5, EVTCHNOP_alloc_unbound = 6, EVTCHNOP_unmask = 9,
  EVTCHNOP_reset = 10;
export const EVTCHNSTAT_closed = 0, EVTCHNSTAT_unbound = 1, EVTCHNSTAT_interdomain = 2,
  EVTCHNSTAT_pirq = 3, EVTCHNSTAT_virq = 4, EVTCHNSTAT_ipi = 5;

export const DOMID_SELF = 0x7ff0;

export const GNTTABOP_setup_table = 2, GNTTABOP_query_size = 6, GNTTABOP_set_version = 8, GNTTABOP_get_version = 10;

export const SI = {
  magic: 0, nr_pages: 32, shared_info: 40, flags: 48, store_mfn: 56, store_evtchn: 64,
  console_mfn: 72, console_evtchn: 80, pt_base: 88, nr_pt_frames: 96, mfn_list: 104,
  mod_start: 112, mod_len: 120, cmd_line: 128, cmd_line_size: 1024,
} as const;
// x86_32's compat start_info: the same fields, 4 bytes each.
export const SI32 = {
  magic: 0, nr_pages: 32, shared_info: 36, flags: 40, store_mfn: 44, store_evtchn: 48,
  console_mfn: 52, console_evtchn: 56, pt_base: 60, nr_pt_frames: 64, mfn_list: 68,
  mod_start: 72, mod_len: 76, cmd_line: 80, cmd_line_size: 1024, first_p2m_pfn: 1104, nr_p2m_frames: 1108,
} as const;
export const SIF_PRIVILEGED = 1, SIF_INITDOMAIN = 2, SIF_MULTIBOOT_MOD = 4, SIF_MOD_START_PFN = 8;

export const SHINFO = {
  upcall_pending: 0, upcall_mask: 1, pending_sel: 8, time: 32,
  evtchn_pending: 2048, evtchn_mask: 2560, nr_ports: 4096,
} as const;

// x86_32's shared_info: a u32 selector at 4 whose bits stand for 32-port words; 1024 ports.
export const SHINFO32 = { pending_sel: 4, evtchn_pending: 2048, evtchn_mask: 2176, nr_ports: 1024 } as const;

export type GuestArch = "x86_64" | "x86_32";

export const CONS = {
  in: 0, in_size: 1024, out: 1024, out_size: 2048,
  in_cons: 3072, in_prod: 3076, out_cons: 3080, out_prod: 3084,
} as const;
