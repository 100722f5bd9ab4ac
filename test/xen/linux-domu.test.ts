// The test host's other pieces, with Debian's own kernel as a PV domU (pvboot is not involved):
// the busybox initramfs builder, typing into a guest's console through the pty xenconsoled
// publishes (what case 6 needs to drive pvboot's menu), and pvgrub2 (scripts/xen-host/pvgrub2.ts)
// booting that kernel from a disk made by make-disk.ts: the peer pvboot is measured against.
// Slow under TCG (libxl and GRUB unpack the 8 MB XZ kernel; Linux boots): 4 to 5 minutes on a
// busy machine, so only with PVBOOT_XEN_SLOW=1.

import { afterAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeDisk } from "../../scripts/images/make-disk";
import { ensureBusyboxInitrd, ensureHost } from "../../scripts/xen-host/build";
import { ensurePvgrub2 } from "../../scripts/xen-host/pvgrub2";
import { runGuests } from "../../scripts/xen-host/guests";

let dir = "";

describe.skipIf(!process.env.PVBOOT_XEN_SLOW)("Debian's kernel as a PV domU, direct and through pvgrub2 (PVBOOT_XEN_SLOW=1)", () => {
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("boots the busybox initramfs both ways and reads keys typed by dom0", async () => {
    const host = await ensureHost();
    const direct = await ensureBusyboxInitrd("initrd: marker-42", { readLine: true });
    const fromDisk = await ensureBusyboxInitrd("initrd: marker-pvgrub2");
    const pvgrub2 = await ensurePvgrub2();
    dir = mkdtempSync(join(tmpdir(), "pvboot-linux-domu-"));
    mkdirSync(join(dir, "root", "boot", "grub"), { recursive: true });
    copyFileSync(host.kernel, join(dir, "root", "boot", "vmlinuz"));
    copyFileSync(fromDisk, join(dir, "root", "boot", "initrd.cpio"));
    writeFileSync(join(dir, "root", "boot", "grub", "grub.cfg"),
      "set timeout=0\nmenuentry \"busybox\" {\n  linux /boot/vmlinuz console=hvc0 quiet\n  initrd /boot/initrd.cpio\n}\n");
    makeDisk(join(dir, "disk.img"), 16, [{ fsType: "ext4", sizeMiB: 14, dir: join(dir, "root") }]);

    const r = await runGuests([
      { name: "linux", kernel: host.kernel, ramdisk: direct, extra: "console=hvc0 quiet", hotplug: "block-quick",
        keys: [{ after: "initrd: type a line", send: "hello from dom0\\r" }],
        expect: [/^initrd: marker-42$/, /^initrd: cmdline: console=hvc0 quiet$/, /^initrd: got: hello from dom0$/] },
      { name: "pvgrub2", kernel: pvgrub2, disk: join(dir, "disk.img"), hotplug: "block-quick",
        expect: [/^initrd: marker-pvgrub2$/, /^initrd: cmdline: .*console=hvc0 quiet$/] },
    ], { host, timeoutMs: 600_000, echo: !!process.env.PVBOOT_ECHO });
    if (!r.ok) console.error(r.xen.lines.slice(-30).join("\n"));
    expect(r.ok, r.reason).toBe(true);
    for (const g of r.guests) {
      console.log(`${g.name}: xl create at ${(g.createMs / 1000).toFixed(1)} s, marker +${((g.matchedMs[0] - g.createMs) / 1000).toFixed(1)} s`);
    }
  }, 700_000);
});
