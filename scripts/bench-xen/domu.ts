// Dom0-side figures: the same pvboot guest under two dom0 hotplug scripts. pvboot as a PV domU
// of real Xen 4.17 under QEMU TCG (scripts/xen-host/): one Xen boot, two guests listing their
// disk's root in tool mode, one with Debian's block hotplug script and one with block-quick
// (scripts/xen-host/dom0-init.ts), which the other real-Xen benchmarks use. Seconds from dom0's
// `xl create` to pvboot's banner, to its disk line and to the end of the listing, block-quick
// against block. These compare dom0 scripts, not pvboot with a peer: their names say dom0.
// TCG and a busy machine make these noisy: compare runs on the same machine only.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeDisk } from "../images/make-disk.ts";
import { runGuests } from "../xen-host/guests.ts";

const dir = mkdtempSync(join(tmpdir(), "pvboot-bench-xen-"));
try {
  mkdirSync(join(dir, "root", "boot"), { recursive: true });
  writeFileSync(join(dir, "root", "hello.txt"), "hello\n");
  makeDisk(join(dir, "disk.img"), 8, [{ fsType: "ext4", sizeMiB: 6, dir: join(dir, "root") }]);
  const expect = [/^pvboot 0\.1\.0 /, /^pvboot: hd0: vbd /, /^\x02pvboot-exit \d+$/];
  const r = await runGuests([
    { name: "block", disk: join(dir, "disk.img"), extra: "pvboot.tool=ls pvboot.path=/", hotplug: "block", expect },
    { name: "block-quick", disk: join(dir, "disk.img"), extra: "pvboot.tool=ls pvboot.path=/", hotplug: "block-quick", expect },
  ], { timeoutMs: 240_000 });
  if (!r.ok) throw new Error(`bench-xen domu: ${r.reason}`);
  const s = (ms: number) => (ms / 1000).toFixed(2);
  // block-quick against Debian's own hotplug script, the peer, in the same Xen boot.
  const [block, quick] = r.guests;
  const figures: [string, (g: typeof block) => number][] = [
    ["dom0-hotplug-create-to-banner", (g) => g.matchedMs[0] - g.createMs],
    ["dom0-hotplug-create-to-disk", (g) => g.matchedMs[1] - g.createMs],
    ["dom0-hotplug-create-to-listing", (g) => g.matchedMs[2] - g.createMs],
    ["dom0-hotplug-banner-to-listing", (g) => g.matchedMs[2] - g.matchedMs[0]],
  ];
  for (const [name, f] of figures) {
    console.log(`${name} block-quick ${s(f(quick))} block ${s(f(block))} ratio ${(f(quick) / f(block)).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
