// Time: Xen system time in ns, and deadlines for SCHEDOP_poll.

import { clock_ns } from "./hypercall";

export const NS_PER_MS: u64 = 1000000;

export function now(): u64 {
  return clock_ns();
}

export function deadlineAfterMs(ms: u64): u64 {
  return clock_ns() + ms * NS_PER_MS;
}

export function expired(deadline: u64): bool {
  return clock_ns() >= deadline;
}

// A deadline that never comes, for waits that last until their event arrives.
export const FOREVER: u64 = u64.MAX_VALUE;

// SCHEDOP_poll's timeout for a deadline. Xen takes the timeout as a signed s_time_t, 0 for
// none: a deadline past i64's range (FOREVER) would be a time long gone, the poll would return
// at once, and a loader waiting at its menu would spin, taking a host CPU from other domains.
export function pollTimeout(deadline: u64): u64 {
  return deadline > <u64>i64.MAX_VALUE ? 0 : deadline;
}
