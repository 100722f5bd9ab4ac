// The hypervisor's version, for the banner: "4.17.7" style.

import * as abi from "./abi";
import { xen_version } from "./hypercall";
import { Text } from "../lib/text";

export function appendXenVersion(t: Text): void {
  const v = xen_version(abi.XENVER_version, 0, 0);
  if (v < 0) {
    t.str("unknown");
    return;
  }
  t.u(<u32>v >> 16).ch(0x2e).u(<u32>v & 0xffff);
  const extra = heap.alloc(16);
  memory.fill(extra, 0, 16);
  if (xen_version(abi.XENVER_extraversion, extra, 16) >= 0) t.cstr(extra, 16);
}
