// The multiboot module package GNU Mach (and the Hurd's servers after it) takes from a PV
// loader, flags SIF_MULTIBOOT_MOD: descriptors first, then every module at a page boundary,
// then each module's command line in a page of its own (docs/loader.md). Offsets are from the
// package's start; mod_end is one past the module's last byte, as GNU Mach reads it.

import { attemptPages } from "../lib/attempt";

const PAGE: u64 = 4096;
const DESC_SIZE: u32 = 16;

// A run of the package's pages that lives somewhere in the loader's memory.
export class PackagePiece {
  constructor(public firstPage: u64, public data: usize, public pages: u64) {}
}

export class ModulePackage {
  pages: u64 = 0; // the package's size in pages
  pieces: Array<PackagePiece> = new Array<PackagePiece>();
  error: string | null = null;
}

// Its pages are the boot attempt's memory (src/lib/attempt.ts). `data[i]` are page-aligned (and zero past `sizes[i]` to the page's end); `cmdlines[i]` the
// module's whole line, file name first.
export function buildPackage(data: Array<usize>, sizes: Array<u64>, cmdlines: Array<string>): ModulePackage {
  const pkg = new ModulePackage();
  const n = data.length;
  const descPages = (<u64>(n + 1) * DESC_SIZE + PAGE - 1) / PAGE;
  const desc = attemptPages(<usize>descPages);
  if (desc == 0) {
    pkg.error = "no memory left for the module package's descriptors";
    return pkg;
  }
  pkg.pieces.push(new PackagePiece(0, desc, descPages));
  let page = descPages;
  const starts = new Array<u64>();
  for (let i = 0; i < n; i++) {
    const pages = (sizes[i] + PAGE - 1) / PAGE;
    starts.push(page);
    if (pages > 0) pkg.pieces.push(new PackagePiece(page, data[i], pages));
    page += pages;
  }
  for (let i = 0; i < n; i++) {
    const line = String.UTF8.encode(cmdlines[i]);
    const len = <u32>line.byteLength;
    if (<u64>len >= PAGE) {
      pkg.error = "module " + (i + 1).toString() + ": its command line has " + len.toString() + " bytes; the package gives each 4095";
      return pkg;
    }
    const cl = attemptPages(1);
    if (cl == 0) {
      pkg.error = "no memory left for module " + (i + 1).toString() + "'s command line";
      return pkg;
    }
    memory.copy(cl, changetype<usize>(line), len);
    pkg.pieces.push(new PackagePiece(page, cl, 1));
    const d = desc + <usize>i * DESC_SIZE;
    const start = starts[i] * PAGE;
    if (start + sizes[i] > 0xffffffff) {
      pkg.error = "the module package is larger than 4 GiB";
      return pkg;
    }
    store<u32>(d, <u32>start);
    store<u32>(d + 4, <u32>(start + sizes[i])); // one past the end
    store<u32>(d + 8, <u32>(page * PAGE));
    page++;
  }
  // the terminator (mod_start 0) is the zeroed descriptor after the last
  pkg.pages = page;
  return pkg;
}
