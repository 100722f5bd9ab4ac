// start_info: what Xen (or the previous loader) handed this domain.

import * as abi from "./abi";
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

  get nrPages(): u64 { return this.u64at(abi.SI_NR_PAGES); }
  get sharedInfo(): u64 { return this.u64at(abi.SI_SHARED_INFO); }
  get flags(): u32 { return <u32>this.u64at(abi.SI_FLAGS); }
  get storeMfn(): u64 { return this.u64at(abi.SI_STORE_MFN); }
  get storeEvtchn(): u32 { return <u32>this.u64at(abi.SI_STORE_EVTCHN); }
  get consoleMfn(): u64 { return this.u64at(abi.SI_CONSOLE_MFN); }
  get consoleEvtchn(): u32 { return <u32>this.u64at(abi.SI_CONSOLE_EVTCHN); }
  get modStart(): u64 { return this.u64at(abi.SI_MOD_START); }
  get modLen(): u64 { return this.u64at(abi.SI_MOD_LEN); }
  get isInitialDomain(): bool { return (this.flags & abi.SIF_INITDOMAIN) != 0; }

  // The magic names the ABI width: "xen-3.0-x86_64" or "xen-3.0-x86_32p".
  get magic(): usize { return this.page + abi.SI_MAGIC; }

  // The domain's command line (xl `extra=`), NUL-terminated inside its 1024 bytes.
  get cmdLine(): usize { return this.page + abi.SI_CMD_LINE; }

  cmdLineLength(): u32 {
    let n: u32 = 0;
    while (n < abi.SI_CMD_LINE_SIZE && load<u8>(this.page + abi.SI_CMD_LINE + n) != 0) n++;
    return n;
  }
}

export const startInfo = new StartInfo();
