// The test host's other pieces, with Debian's own kernel as a PV domU (no pvboot): the busybox
// initramfs builder and typing into a guest's console through the pty xenconsoled publishes
// (what case 6 needs to drive pvboot's menu). Slow under TCG (dom0's libxl unpacks the 8 MB XZ
// kernel: 1.5 to 2 minutes on a busy machine), so only with PVBOOT_XEN_SLOW=1.

import { describe, expect, it } from "vitest";
import { ensureBusyboxInitrd, ensureHost } from "../../scripts/xen-host/build";
import { runGuests } from "../../scripts/xen-host/guests";

describe.skipIf(!process.env.PVBOOT_XEN_SLOW)("Debian's kernel as a PV domU with a busybox initramfs (PVBOOT_XEN_SLOW=1)", () => {
  it("boots, prints its marker and the command line, and reads keys typed by dom0", async () => {
    const host = await ensureHost();
    const ramdisk = await ensureBusyboxInitrd("initrd: marker-42", { readLine: true });
    const r = await runGuests([{
      name: "linux", kernel: host.kernel, ramdisk, extra: "console=hvc0 quiet", hotplug: "block-quick",
      keys: [{ after: "initrd: type a line", send: "hello from dom0\\r" }],
      expect: [/^initrd: marker-42$/, /^initrd: cmdline: console=hvc0 quiet$/, /^initrd: got: hello from dom0$/],
    }], { host, timeoutMs: 400_000, echo: !!process.env.PVBOOT_ECHO });
    if (!r.ok) console.error(r.xen.lines.slice(-30).join("\n"));
    expect(r.ok, r.reason).toBe(true);
    const g = r.guests[0];
    console.log(`linux domU: xl create at ${(g.createMs / 1000).toFixed(1)} s, marker +${((g.matchedMs[0] - g.createMs) / 1000).toFixed(1)} s`);
  }, 500_000);
});
