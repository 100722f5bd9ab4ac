// Issue 21, part 6, on real Xen 4.17 (QEMU TCG): Debian 12's kernel booted by pvboot from the
// filesystems other than ext, in one Xen boot, one guest after the other, each pvboot finding
// its menu.lst itself (no extra=):
//   xfs    an XFS /boot partition as RHEL lays it out (/vmlinuz, /grub/menu.lst)
//   btrfs  a btrfs root whose default subvolume is @ (id 257, not the top level), the kernel
//          the uncompressed ELF stored in zstd-compressed extents (compress-force=zstd); the
//          extents are checked to be zstd in `btrfs inspect-internal dump-tree`'s view
// Each must reach the busybox initramfs's lines with its entry's command line: the kernel ran.
// The disks come from scripts/images/fs-guests.sh (needs root), cached under
// build/cache/xen-fs-guests/ by the script's, the kernel's and the initramfs's contents.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBusyboxInitrd, ensureHost } from "../../scripts/xen-host/build";
import { runGuests, type GuestsRun } from "../../scripts/xen-host/guests";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = join(ROOT, "scripts/images/fs-guests.sh");
const MARKER = "initrd: marker-fs";
let run: GuestsRun;
let disks = "";

// The file's EXTENT_DATA items in a dump-tree listing: logical bytes per compression name
// ("none", "zlib", "lzo", "zstd"); holes (disk byte 0) are not counted.
function extentBytes(dump: string, ino: number): Map<string, number> {
  const out = new Map<string, number>();
  const items = dump.split(/\n\s*item \d+ /).filter((t) => t.startsWith(`key (${ino} EXTENT_DATA `));
  for (const it of items) {
    const comp = /compression \d+ \((\w+)\)/.exec(it)?.[1] ?? "?";
    let bytes = 0;
    const reg = /extent data disk byte (\d+) nr \d+\s+extent data offset \d+ nr (\d+)/.exec(it);
    if (reg) bytes = reg[1] === "0" ? 0 : Number(reg[2]);
    else {
      const inl = /inline extent data size \d+ ram_bytes (\d+)/.exec(it);
      if (!inl) throw new Error(`dump-tree: an EXTENT_DATA item of ${ino} not understood:\n${it}`);
      bytes = Number(inl[1]);
    }
    out.set(comp, (out.get(comp) ?? 0) + bytes);
  }
  return out;
}

describe("pvboot boots Debian's kernel from XFS and from btrfs on real Xen", () => {
  beforeAll(async () => {
    const host = await ensureHost();
    const initrd = await ensureBusyboxInitrd(MARKER);
    const key = createHash("sha256").update(readFileSync(SCRIPT)).update(readFileSync(host.kernel))
      .update(readFileSync(host.dom0Kernel)).update(readFileSync(initrd)).digest("hex").slice(0, 16);
    disks = join(ROOT, "build/cache/xen-fs-guests", key);
    if (!existsSync(join(disks, "btrfs.img"))) {
      const tmp = `${disks}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      execFileSync("bash", [SCRIPT, host.kernel, host.dom0Kernel, initrd, tmp], { stdio: ["ignore", "inherit", "inherit"], timeout: 300_000 });
      renameSync(tmp, disks);
    }
    const expectLinux = (cmdline: RegExp) => [new RegExp(`^${MARKER}$`), cmdline];
    run = await runGuests([
      { name: "xfs", disk: join(disks, "xfs.img"), hotplug: "block-quick", memoryMB: 192, timeoutS: 400,
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet from=xfs-boot$/) },
      { name: "btrfs", disk: join(disks, "btrfs.img"), hotplug: "block-quick", memoryMB: 256, timeoutS: 600,
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet from=btrfs-default-subvol$/) },
    ], { host, timeoutMs: 1_200_000, echo: !!process.env.PVBOOT_ECHO, oneAtATime: true });
    const s = (ms: number) => (ms / 1000).toFixed(1);
    if (!run.ok) console.error(run.xen.lines.slice(-60).join("\n"));
    for (const g of run.guests) console.log(`${g.name}: xl create at ${s(g.createMs)} s, initramfs +${s(g.matchedMs[0] - g.createMs)} s`);
  }, 1_600_000);

  it("the btrfs kernel file really is stored in zstd extents", () => {
    const ino = Number(readFileSync(join(disks, "btrfs.vmlinux.ino"), "utf8"));
    const bytes = extentBytes(readFileSync(join(disks, "btrfs.dump-tree.txt"), "utf8"), ino);
    const total = [...bytes.values()].reduce((a, b) => a + b, 0);
    console.log(`btrfs /boot/vmlinux (inode ${ino}): ${JSON.stringify(Object.fromEntries(bytes))}`);
    expect(total).toBeGreaterThan(30 << 20);
    expect(bytes.get("zstd") ?? 0).toBeGreaterThan(total * 0.9);
  });

  it("both guests reach their initramfs with their entry's command line", () => {
    expect(run.ok, run.reason).toBe(true);
    for (const g of run.guests) expect(g.ok, `${g.name}: ${g.lines.slice(-20).map((l) => l.text).join("\n")}`).toBe(true);
  });

  it("pvboot found each menu.lst itself on the filesystem it names", () => {
    const text = (n: string) => run.guests.find((g) => g.name === n)!.lines.map((l) => l.text).join("\n");
    expect(text("xfs")).toContain(" Booting 'Debian GNU/Linux (XFS /boot)'");
    expect(text("xfs")).not.toContain("pvboot: command line:");
    expect(text("btrfs")).toContain(" Booting 'Debian GNU/Linux (btrfs, default subvolume @)'");
    expect(text("btrfs")).not.toContain("Top level");
  });
});
