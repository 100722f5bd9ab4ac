// pvboot as a real PV domU: Debian's Xen 4.17 and a Debian dom0 with xl under QEMU (TCG),
// `kernel = "build/pvboot-x86_64.elf"` in the xl config, disks made by make-disk.ts behind
// real blkback. Two guests in one Xen boot (about a minute): one lists its disk's root in tool
// mode; the other shows its menu.lst's menu and boots the entry, whose kernel is pvboot's own
// image: the handoff on real Xen into a kernel that then uses everything the first one tore
// down (the console ring, xenstore, the grant table, blkback) and lists the disk.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeDisk } from "../../scripts/images/make-disk";
import { ToolStream } from "../../scripts/cli/tool";
import { runGuests, type GuestsRun, type GuestResult } from "../../scripts/xen-host/guests";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BANNER = /^pvboot 0\.1\.0 \(xen-3\.0-x86_64\) on Xen 4\.17\.\d+.*, domU, 256 MiB$/;
const PVBOOT_ELF = join(ROOT, "build/pvboot-x86_64.elf");
// The last line each guest prints (src/main.ts).
const END_LINE = {
  lister: "pvboot: nothing more to do, powering off",
  plain: "pvboot: nothing more to do, powering off", // said by the second pvboot
};
let dir = "";
let run: GuestsRun;

// What the guest's console carried, taken apart as the CLI does (frames of tool mode).
function toolOutput(g: GuestResult): { out: string; exit: number | null; other: string[] } {
  let out = "";
  const other: string[] = [];
  const ts = new ToolStream((b) => (out += Buffer.from(b).toString("latin1")), (l) => other.push(l), (l) => other.push(l));
  ts.push(Buffer.from(g.lines.map((l) => l.text + "\n").join(""), "latin1"));
  return { out, exit: ts.exitCode, other };
}

const at = (g: GuestResult, i: number) => ((g.matchedMs[i] - g.createMs) / 1000).toFixed(1);

describe("pvboot as a PV domU of real Xen 4.17 (dom0 with xl, QEMU TCG)", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pvboot-domu-"));
    const a = join(dir, "a");
    mkdirSync(join(a, "boot", "grub"), { recursive: true });
    writeFileSync(join(a, "hello.txt"), "hello from a real blkback\n");
    writeFileSync(join(a, "boot", "grub", "menu.lst"), "timeout 1\n");
    symlinkSync("boot/grub/menu.lst", join(a, "menu.lst"));
    makeDisk(join(dir, "a.img"), 8, [{ fsType: "ext4", sizeMiB: 6, dir: a }]);
    // b: a menu.lst whose entry boots pvboot's own image as its kernel (a PV ELF with Xen
    // notes), told by its command line to list the disk: the menu on the real console ring,
    // the handoff, then the second pvboot's banner, disk and listing.
    const b = join(dir, "b");
    mkdirSync(join(b, "boot", "grub"), { recursive: true });
    copyFileSync(PVBOOT_ELF, join(b, "boot", "kernel"));
    writeFileSync(join(b, "boot", "grub", "menu.lst"), "timeout 1\ntitle pvboot itself\nroot (hd0,0)\nkernel /boot/kernel pvboot.tool=ls pvboot.path=/boot\n");
    makeDisk(join(dir, "b.img"), 12, [{ fsType: "ext2", sizeMiB: 10, dir: b }]);

    run = await runGuests([
      { name: "lister", disk: join(dir, "a.img"), hotplug: "block-quick", extra: "pvboot.tool=ls pvboot.path=/",
        expect: [BANNER, /^pvboot: hd0: vbd 51712 \(xvda\), 8 MiB \(16384 sectors\), 512-byte sectors, read-write$/,
          /^\x02pvboot-exit \d+$/, new RegExp(`^${END_LINE.lister}$`)] },
      { name: "plain", disk: join(dir, "b.img"),
        expect: [BANNER, /^pvboot: hd0: vbd 51712 \(xvda\), 12 MiB \(24576 sectors\), 512-byte sectors, read-write$/,
          /.*Booting 'pvboot itself'/, /^pvboot: starting 'pvboot itself' at 0x[0-9a-f]+ \(start_info 0x[0-9a-f]+, 256 MiB\)$/,
          /^pvboot: command line: pvboot\.tool=ls pvboot\.path=\/boot$/, /^\x02pvboot-exit 0$/, new RegExp(`^${END_LINE.plain}$`)] },
    ], { timeoutMs: 200_000, echo: !!process.env.PVBOOT_ECHO });
    if (!run.ok) console.error(run.xen.lines.slice(-40).join("\n"));
    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(`domU run: ${s(run.elapsedMs)} s; Xen + dom0 with xl up at ${s(run.xlReadyMs)} s`);
    for (const g of run.guests) {
      console.log(`  ${g.name}: xl create at ${s(g.createMs)} s; banner +${at(g, 0)} s, disk +${at(g, 1)} s, ` +
        `${g.name === "lister" ? "listing done" : "entry booting"} +${at(g, 2)} s` +
        (g.name === "plain" ? `, handoff +${at(g, 3)} s, second pvboot listed +${at(g, 5)} s` : "") + (g.ended ? `; ended: ${g.ended}` : ""));
    }
  }, 240_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("boots both guests in one Xen boot and each prints its banner and disk", () => {
    expect(run.ok, run.reason).toBe(true);
    for (const g of run.guests) {
      expect(g.matched[0]).toMatch(BANNER);
      expect(g.matched[1]).toContain("vbd 51712 (xvda)");
    }
  });

  it("lists the disk's root through real blkback as the emulator does", () => {
    const g = run.guests.find((x) => x.name === "lister")!;
    const { out, exit } = toolOutput(g);
    expect(exit).toBe(0);
    // The same core through the emulated blkfront, on the same image.
    const emulated = execFileSync("npx", ["--no-install", "pvboot", "ls", join(dir, "a.img"), "/"],
      { cwd: ROOT, encoding: "latin1", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toBe(emulated);
    expect(out).toMatch(/^-rw-r--r-- +26 hello\.txt$/m);
    expect(out).toMatch(/^drwxr-xr-x +\d+ boot\/$/m);
    expect(out).toMatch(/^lrwxrwxrwx +18 menu\.lst -> boot\/grub\/menu\.lst$/m);
  });

  it("hands over to the entry's kernel (pvboot again), which finds the console, xenstore and the disk as they were", () => {
    const g = run.guests.find((x) => x.name === "plain")!;
    const start = g.lines.findIndex((l) => /^pvboot: starting 'pvboot itself'/.test(l.text));
    expect(start).toBeGreaterThan(0);
    const after = g.lines.slice(start + 1).map((l) => l.text);
    // the second pvboot: its banner with the same memory, the same disk through the same backend
    expect(after.find((t) => BANNER.test(t))).toBeDefined();
    expect(after).toContain("pvboot: hd0: vbd 51712 (xvda), 12 MiB (24576 sectors), 512-byte sectors, read-write");
    const { out, exit } = toolOutput({ ...g, lines: g.lines.slice(start + 1) });
    expect(exit).toBe(0);
    expect(out).toMatch(/^-rw[-x]r-[-x]r-[-x] +\d+ kernel$/m);
    expect(out).toMatch(/^drwxr-xr-x +\d+ grub\/$/m);
  });

  it("tears its disk down and powers off without other complaints", () => {
    for (const g of run.guests) {
      const i = g.lines.findIndex((l) => l.text === END_LINE[g.name as keyof typeof END_LINE]);
      expect(i, g.name).toBeGreaterThan(0);
      // No complaint about the disk: real blkback shows Closed a while before InitWait, and
      // blkfront waits through it (it once gave up there: "the backend is closing (state 6)").
      const before = g.lines.slice(0, i).map((l) => l.text).filter((t) => /^pvboot: hd0: /.test(t) && !/vbd 51712/.test(t));
      expect(before, g.name).toEqual([]);
    }
  });
});
