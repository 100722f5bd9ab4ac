// Issue 20, part 2, on real Xen 4.17 (QEMU TCG): saved defaults round-trip through Linux's
// blkback. One Xen boot, six guests one after another, two to a disk (runGuests gives guests
// of one disk one copy, so the second sees what the first wrote):
//   env1, env2     the grubenv disk (test/saved-disks.ts): env1 boots the `once` entry that
//                  grubenv's next_entry names and clears it with save_env; env2 boots the default
//   lst1, lst2     the menu.lst disk: lst1 boots `default saved` (0), whose `savedefault 1`
//                  writes the default file; lst2 boots entry 1
//   lin1, lin2     the linux disk: lin1's entry saves entry 1 and boots Debian 12's kernel to
//                  its busybox initramfs (the save flushed before a real handoff); lin2 boots
//                  entry 1
// The other entries echo a marker and halt (seconds per guest). Afterwards every disk, as the
// guests left it, passes e2fsck -fn and debugfs reads the new values: only what reached the
// drive is there, so pvboot's flush (or blkback's own write-back) got it there.
// Needs the Xen test host (make xen-host) and build/pvboot-x86_64.elf.

import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ensureBusyboxInitrd, ensureHost } from "../../scripts/xen-host/build";
import { debianKernel } from "../../scripts/kernels/fetch";
import { runGuests, type GuestsRun } from "../../scripts/xen-host/guests";
import { debugfsCat, fsck, grubenvBlock, grubenvDisk, linuxDisk, menulstDisk } from "../saved-disks";

let run: GuestsRun;
let dir = "";
let kept = "";
let envDisk = "";
let lstDisk = "";
let linDisk = "";
const MARKER = "initrd: marker-saved";
const text = (n: string) => run.guests.find((g) => g.name === n)!.lines.map((l) => l.text).join("\n");

describe("saved defaults on real Xen: next_entry boots once, savedefault's entry boots next, also after Linux", () => {
  beforeAll(async () => {
    const host = await ensureHost();
    dir = mkdtempSync(join(tmpdir(), "pvboot-xen-saved-"));
    kept = join(dir, "kept");
    envDisk = grubenvDisk(dir);
    lstDisk = menulstDisk(dir);
    linDisk = linuxDisk(dir, debianKernel(), await ensureBusyboxInitrd(MARKER));
    const guest = (name: string, disk: string, marker: string) => ({
      name, disk, hotplug: "block-quick" as const, memoryMB: 64, timeoutS: 120, expect: [new RegExp(`^saved-test: ${marker}$`)],
    });
    run = await runGuests([
      guest("env1", envDisk, "once"),
      guest("env2", envDisk, "default"),
      guest("lst1", lstDisk, "first"),
      guest("lst2", lstDisk, "second"),
      { name: "lin1", disk: linDisk, hotplug: "block-quick" as const, memoryMB: 256, timeoutS: 400,
        expect: [new RegExp(`^${MARKER}$`), /^initrd: cmdline: console=hvc0 quiet saved=linux$/] },
      guest("lin2", linDisk, "second"),
    ], { host, timeoutMs: 1_500_000, echo: !!process.env.PVBOOT_ECHO, oneAtATime: true, waitForEnd: true, keepDisks: kept });
    if (!run.ok) console.error(run.xen.lines.slice(-60).join("\n"));
  }, 1_800_000);

  it("each guest ran the entry the one before it saved", () => {
    expect(run.ok, run.reason).toBe(true);
    expect(text("env1")).toContain("save_env: next_entry saved in (hd0,0)/boot/grub/grubenv");
    expect(text("env1")).toMatch(/pvboot: hd0: saved defaults flushed \((FLUSH_DISKCACHE|WRITE_BARRIER)\)/);
    expect(text("lst1")).toMatch(/pvboot: hd0: saved defaults flushed \((FLUSH_DISKCACHE|WRITE_BARRIER)\)/);
    expect(text("env2")).not.toContain("flushed");
    expect(text("env2")).not.toContain("save_env");
    expect(text("lst1")).toContain(" savedefault: entry 1 saved in (hd0,0)/boot/grub/default");
    expect(text("lin1")).toContain(" savedefault: entry 1 saved in (hd0,0)/boot/grub/default");
    expect(text("lin1")).toMatch(/pvboot: hd0: saved defaults flushed \((FLUSH_DISKCACHE|WRITE_BARRIER)\)/);
    for (const g of ["env1", "env2", "lst1", "lst2", "lin1", "lin2"]) {
      expect(text(g), g).not.toContain("not saved");
      expect(text(g), g).not.toContain("backend offers neither"); // blkback offers a flush
      expect(run.guests.find((x) => x.name === g)!.ended, g).toBe("poweroff");
    }
  });

  it("the disks as the guests left them: e2fsck -fn clean, debugfs reads the saved values", () => {
    const env = join(kept, basename(envDisk));
    const lst = join(kept, basename(lstDisk));
    const lin = join(kept, basename(linDisk));
    for (const img of [env, lst, lin]) {
      const f = fsck(img);
      expect(f.status, f.out).toBe(0);
    }
    expect(debugfsCat(env, "/boot/grub/grubenv").toString("latin1")).toBe(grubenvBlock({ next_entry: "" }));
    expect(debugfsCat(lst, "/boot/grub/default").subarray(0, 10).toString("latin1")).toBe("1\n\n\n\n\n\n\n\n\n");
    expect(debugfsCat(lin, "/boot/grub/default").subarray(0, 10).toString("latin1")).toBe("1\n\n\n\n\n\n\n\n\n");
    rmSync(dir, { recursive: true, force: true });
  });
});
