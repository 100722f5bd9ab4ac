// start_info: what Xen (or the previous loader) handed this domain, in the layout of the
// domain's width (xen.guest_kind): x86_64's, or x86_32's compat one with 4-byte fields.

import * as abi from "./abi";
import { pv32 } from "./arch";
import { map_frame, start_info_mfn, MAP_READONLY } from "./hypercall";
import { allocPages } from "../lib/pages";

export class StartInfo {
  page: usize = 0;

  init(): void {
    this.page = allocPages(1);
    const rc = map_frame(this.page, start_info_mfn(), MAP_READONLY);
    if (rc < 0) unreachable(); // without start_info nothing can be done, not even print
  }

  u64at(off: u32): u64 { return load<u64>(this.page + off); }

  // A field by its offsets in both layouts: an unsigned long (u64 on x86_64, u32 on x86_32).
  field(off64: u32, off32: u32): u64 {
    return pv32() ? <u64>load<u32>(this.page + off32) : load<u64>(this.page + off64);
  }

  // A uint32_t field (flags, the event channels): the low half of x86_64's padded slot.
  field32(off64: u32, off32: u32): u32 {
    return load<u32>(this.page + (pv32() ? off32 : off64));
  }

  get nrPages(): u64 { return this.field(abi.SI_NR_PAGES, abi.SI32_NR_PAGES); }
  get sharedInfo(): u64 { return this.field(abi.SI_SHARED_INFO, abi.SI32_SHARED_INFO); }
  get flags(): u32 { return this.field32(abi.SI_FLAGS, abi.SI32_FLAGS); }
  get storeMfn(): u64 { return this.field(abi.SI_STORE_MFN, abi.SI32_STORE_MFN); }
  get storeEvtchn(): u32 { return this.field32(abi.SI_STORE_EVTCHN, abi.SI32_STORE_EVTCHN); }
  get consoleMfn(): u64 { return this.field(abi.SI_CONSOLE_MFN, abi.SI32_CONSOLE_MFN); }
  get consoleEvtchn(): u32 { return this.field32(abi.SI_CONSOLE_EVTCHN, abi.SI32_CONSOLE_EVTCHN); }
  get modStart(): u64 { return this.field(abi.SI_MOD_START, abi.SI32_MOD_START); }
  get modLen(): u64 { return this.field(abi.SI_MOD_LEN, abi.SI32_MOD_LEN); }
  get ptBase(): u64 { return this.field(abi.SI_PT_BASE, abi.SI32_PT_BASE); }
  get nrPtFrames(): u64 { return this.field(abi.SI_NR_PT_FRAMES, abi.SI32_NR_PT_FRAMES); }
  get mfnList(): u64 { return this.field(abi.SI_MFN_LIST, abi.SI32_MFN_LIST); }
  get firstP2mPfn(): u64 { return this.field(abi.SI_FIRST_P2M_PFN, abi.SI32_FIRST_P2M_PFN); }
  get nrP2mFrames(): u64 { return this.field(abi.SI_NR_P2M_FRAMES, abi.SI32_NR_P2M_FRAMES); }
  get isInitialDomain(): bool { return (this.flags & abi.SIF_INITDOMAIN) != 0; }

  // The magic names the ABI width: "xen-3.0-x86_64" or "xen-3.0-x86_32p".
  get magic(): usize { return this.page + abi.SI_MAGIC; }

  // The domain's command line (xl `extra=`), NUL-terminated inside its 1024 bytes.
  get cmdLine(): usize { return this.page + (pv32() ? abi.SI32_CMD_LINE : abi.SI_CMD_LINE); }

  cmdLineLength(): u32 {
    let n: u32 = 0;
    const at = this.cmdLine;
    while (n < abi.SI_CMD_LINE_SIZE && load<u8>(at + n) != 0) n++;
    return n;
  }
}

export const startInfo = new StartInfo();
