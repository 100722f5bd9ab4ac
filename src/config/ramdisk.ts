// The domain's ramdisk (xl ramdisk=, start_info mod_start/mod_len), read as a menu.lst the
// way PV-GRUB did when no config was named. Xen's domain builder puts the module right after
// the kernel image, inside the start-of-day mapping but below the pages the linear memory
// starts at, so its frames are found through the domain's P2M (xen.pfn_to_mfn) and mapped
// one at a time over a scratch page to be copied out.

import * as abi from "../xen/abi";
import { startInfo } from "../xen/start_info";
import { map_frame, unmap_frame, pfn_to_mfn, MAP_READONLY } from "../xen/hypercall";
import { allocPages } from "../lib/pages";
import { MAX_FILE } from "./lexer";

export class RamdiskData {
  present: bool = false;
  data: usize = 0;
  size: u32 = 0;
  error: string | null = null;
}

let scratch: usize = 0;

export function readRamdisk(): RamdiskData {
  const r = new RamdiskData();
  const len = startInfo.modLen;
  if (len == 0) return r;
  r.present = true;
  if (len > <u64>MAX_FILE) {
    r.error = len.toString() + " bytes, more than the " + (MAX_FILE >> 10).toString() + " KiB a config file may have";
    return r;
  }
  // mod_start is a virtual address (SIF_MOD_START_PFN clear); the image is linked at 0.
  const flagPfn = (startInfo.flags & abi.SIF_MOD_START_PFN) != 0;
  const start = flagPfn ? startInfo.modStart << abi.PAGE_SHIFT : startInfo.modStart;
  if (scratch == 0) scratch = allocPages(1);
  const n = <u32>len;
  const out = heap.alloc(n == 0 ? 1 : n);
  let done: u32 = 0;
  while (done < n) {
    const va = start + <u64>done;
    const pfn = va >> abi.PAGE_SHIFT;
    const inPage = <u32>(va & <u64>(abi.PAGE_SIZE - 1));
    let chunk = abi.PAGE_SIZE - inPage;
    if (chunk > n - done) chunk = n - done;
    const mfn = pfn_to_mfn(pfn);
    if (mfn == U64.MAX_VALUE) {
      r.error = "page " + pfn.toString() + " is outside the domain";
      return r;
    }
    const rc = map_frame(scratch, mfn, MAP_READONLY);
    if (rc < 0) {
      r.error = "cannot map page " + pfn.toString() + " (" + rc.toString() + ")";
      return r;
    }
    memory.copy(out + done, scratch + inPage, chunk);
    unmap_frame(scratch);
    done += chunk;
  }
  r.data = out;
  r.size = n;
  return r;
}
