// Issue 20, part 2: saved defaults, the only writes pvboot makes. ext images made by mke2fs -d
// (a menu.lst with `default saved` and its `default` file; a grub.cfg in grub-mkconfig's style
// with grubenv), booted in the emulator with writes going into the image file (blkback's
// `persist`). After every write: e2fsck -fn is clean, debugfs reads the new bytes, the file
// keeps its size and blocks, and the next boot picks the saved entry. Then every refusal: a
// read-only vbd, inline data, a hole, a fragmented file, btrfs, XFS, a default file too short,
// a journal needing recovery, a ramdisk menu, tool mode; each one line, and no write request
// at all. A disk of 4096-byte sectors gets its sector read, patched and written whole. And the
// flush: FLUSH_DISKCACHE or WRITE_BARRIER after the writes, whichever the backend offers.

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoader, type RunResult } from "./harness/run";
import type { DiskConfig } from "./harness/domain";
import { bzImage } from "./grubdom-disk";
import { debugfsCat, fsck, grubenvBlock, grubenvDisk, menulstDisk } from "./saved-disks";
import { protofile } from "./xfs/images";
import { parseKeys } from "../scripts/cli/keys";

let dir = "";
const base: Record<string, string> = {};

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

// A grubenv as grub-editenv makes one: the header, NAME=VALUE lines, '#' up to 1024 bytes.
function grubenv(vars: Record<string, string>): string {
  let s = "# GRUB Environment Block\n";
  for (const [k, v] of Object.entries(vars)) s += `${k}=${v}\n`;
  return s + "#".repeat(1024 - s.length);
}

// The entries' kernel is the same bzImage; each entry's command line names it.
const MENU_LST = `default saved
timeout 0
fallback 2
title First
root (hd0)
savedefault fallback
kernel /boot/vmlinuz first
title Second
root (hd0)
savedefault
kernel /boot/vmlinuz second
title Third
root (hd0)
savedefault 1
kernel /boot/vmlinuz third
`;

// grub-mkconfig's 00_header logic for next_entry, saved_entry and GRUB_SAVEDEFAULT.
const GRUB_CFG = `if [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="\${saved_entry}"
fi
function savedefault {
  if [ -z "\${boot_once}" ]; then
    saved_entry="\${chosen}"
    save_env saved_entry
  fi
}
set timeout=0
menuentry 'Alpha' --id alpha {
  savedefault
  linux /boot/vmlinuz alpha
}
menuentry 'Beta' --id beta {
  savedefault
  linux /boot/vmlinuz beta
}
`;

function tree(name: string, files: Record<string, string | Buffer>): string {
  const root = join(dir, name + ".d");
  for (const [p, data] of Object.entries(files)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), data);
  }
  return root;
}

function ext(name: string, files: Record<string, string | Buffer>, features: string[] = []): void {
  const img = join(dir, name + ".img");
  sh("mke2fs", ["-q", "-F", "-t", "ext4", ...features, "-d", tree(name, files), img, "16M"]);
  base[name] = img;
}

// A fresh copy of an image, for one test's writes.
function copy(name: string): string {
  const to = join(dir, `${name}-${Math.random().toString(36).slice(2)}.img`);
  copyFileSync(base[name], to);
  return to;
}

function boot(disk: string | DiskConfig, cmdline = ""): RunResult {
  const d: DiskConfig = typeof disk === "string" ? { image: disk, persist: true } : { persist: true, ...disk };
  return runLoader({ memoryMB: 128, disks: [d], cmdline });
}

function cat(img: string, path: string): Buffer {
  const r = spawnSync("debugfs", ["-R", `cat ${path}`, img]);
  if (r.status !== 0) throw new Error(`debugfs cat ${path}: ${r.stderr}`);
  return r.stdout;
}

// The inode's size and its block list, as debugfs reports them.
function layout(img: string, path: string): string {
  const s = sh("debugfs", ["-R", `stat ${path}`, img]);
  const size = s.match(/Size: (\d+)/)![1];
  const extents = s.slice(s.indexOf("EXTENTS:")).split("\n")[1];
  return `${size} ${extents}`;
}

function fsckClean(img: string): void {
  const r = spawnSync("e2fsck", ["-fn", img], { encoding: "utf8" });
  expect(r.status, r.stdout + r.stderr).toBe(0);
}

function booted(r: RunResult): string {
  expect(r.shutdown, r.console).toBe("jumped");
  return r.console.match(/ Booting '([^']*)'/)![1];
}

const digest = (img: string) => sh("sha256sum", [img]).split(" ")[0];
const writes = (r: RunResult) => r.domain.blkbacks[0].stats.writes;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pvboot-saved-"));
  const kernel = bzImage();
  ext("menulst", { "boot/vmlinuz": kernel, "boot/grub/menu.lst": MENU_LST, "boot/grub/default": "0\n" + "#\n".repeat(10) });
  ext("grubcfg", { "boot/vmlinuz": kernel, "boot/grub/grub.cfg": GRUB_CFG, "boot/grub/grubenv": grubenv({ next_entry: "beta" }) });
  ext("inline", { "boot/vmlinuz": kernel, "boot/grub/menu.lst": MENU_LST, "boot/grub/default": "0\n" + "#\n".repeat(10) }, ["-O", "inline_data"]);
  ext("edit", { "boot/vmlinuz": kernel, "boot/grub/menu.lst": MENU_LST.replace("timeout 0", "timeout 5"), "boot/grub/default": "0\n" + "#\n".repeat(10) });
  ext("short", { "boot/vmlinuz": kernel, "boot/grub/menu.lst": MENU_LST, "boot/grub/default": "0\n" });
});

describe("GRUB 0.97: savedefault writes the default file in place", () => {
  it("savedefault fallback, then savedefault N, then the saved entry boots; e2fsck clean, debugfs reads each value", () => {
    const img = copy("menulst");
    const before = cat(img, "/boot/grub/default");
    const shape = layout(img, "/boot/grub/default");

    const r1 = boot(img);
    expect(booted(r1)).toBe("First");
    expect(r1.console).toContain(" savedefault: entry 2 saved in (hd0)/boot/grub/default");
    expect(r1.console).toContain("pvboot: hd0: saved defaults flushed (FLUSH_DISKCACHE)");
    expect(r1.domain.blkbacks[0].stats.log.map((l) => l.op)).toEqual(["write", "flush"]);
    fsckClean(img);
    const after1 = cat(img, "/boot/grub/default");
    expect(after1.subarray(0, 10).toString("latin1")).toBe("2\n\n\n\n\n\n\n\n\n");
    expect(after1.subarray(10)).toEqual(before.subarray(10)); // nothing past GRUB's 10 bytes
    expect(layout(img, "/boot/grub/default")).toBe(shape);

    const r2 = boot(img);
    expect(booted(r2)).toBe("Third"); // the saved entry
    expect(r2.console).toContain(" savedefault: entry 1 saved in (hd0)/boot/grub/default");
    fsckClean(img);
    expect(cat(img, "/boot/grub/default").subarray(0, 10).toString("latin1")).toBe("1\n\n\n\n\n\n\n\n\n");
    expect(layout(img, "/boot/grub/default")).toBe(shape);

    const r3 = boot(img);
    expect(booted(r3)).toBe("Second");
    expect(r3.console).toContain(" savedefault: entry 1 is already the default in (hd0)/boot/grub/default");
    expect(writes(r3)).toBe(0);
    expect(r3.console).not.toContain("flushed"); // nothing written, nothing to flush
  });

  it("an entry edited in the menu ('e', then 'b') saves the number of the entry it was", () => {
    const img = copy("edit");
    const r = runLoader({ memoryMB: 128, disks: [{ image: img, persist: true }], keys: parseKeys("<down>eb") });
    expect(booted(r)).toBe("Second");
    expect(r.console).toContain(" savedefault: entry 1 saved in (hd0)/boot/grub/default");
    fsckClean(img);
    expect(cat(img, "/boot/grub/default").subarray(0, 10).toString("latin1")).toBe("1\n\n\n\n\n\n\n\n\n");
  });

  it("a default file shorter than GRUB's 10 bytes is not written: one line says why", () => {
    const img = copy("short");
    const r = boot(img);
    expect(booted(r)).toBe("First");
    expect(r.console).toContain(" savedefault: not saved: (hd0)/boot/grub/default is 2 bytes, shorter than the 10 GRUB 0.97 rewrites");
    expect(writes(r)).toBe(0);
    expect(cat(img, "/boot/grub/default").toString()).toBe("0\n");
  });

  it("a default file kept inline in its inode (inline_data) is not written", () => {
    const img = copy("inline");
    expect(sh("debugfs", ["-R", "stat /boot/grub/default", img])).toContain("Size of inline data");
    const r = boot(img);
    expect(booted(r)).toBe("First");
    expect(r.console).toMatch(/ savedefault: not saved: ext4: inode \d+: the data is inline in the inode \(inline_data\)/);
    expect(writes(r)).toBe(0);
    fsckClean(img);
  });

  it("a menu.lst from the ramdisk has no default file: one line, no write", () => {
    const r = runLoader({ memoryMB: 128, disks: [{ image: copy("menulst"), persist: true }], ramdisk: Buffer.from("timeout 0\ntitle Ramdisk\nsavedefault\nhalt\n") });
    expect(r.console).toContain(" Booting 'Ramdisk'");
    expect(r.console).toContain(" savedefault: not saved: the menu came from the ramdisk, which has no default file");
    expect(writes(r)).toBe(0);
  });

  it("a read-only vbd is never written", () => {
    const img = copy("menulst");
    const r = boot({ image: img, readonly: true });
    expect(booted(r)).toBe("First");
    expect(r.console).toContain(" savedefault: not saved: hd0 is a read-only vbd");
    expect(writes(r)).toBe(0);
    expect(cat(img, "/boot/grub/default").subarray(0, 2).toString()).toBe("0\n");
  });
});

describe("GRUB 2: save_env rewrites grubenv's block in place", () => {
  it("next_entry boots once and is cleared; the next boot saves and boots the default", () => {
    const img = copy("grubcfg");
    const shape = layout(img, "/boot/grub/grubenv");

    const r1 = boot(img);
    expect(booted(r1)).toBe("Beta");
    expect(r1.console).toContain("save_env: next_entry saved in (hd0)/boot/grub/grubenv");
    expect(r1.console).not.toContain("saved_entry saved"); // boot_once: savedefault saves nothing
    fsckClean(img);
    expect(cat(img, "/boot/grub/grubenv").toString("latin1")).toBe(grubenv({ next_entry: "" }));
    expect(layout(img, "/boot/grub/grubenv")).toBe(shape);

    const r2 = boot(img);
    expect(booted(r2)).toBe("Alpha"); // no next_entry, no saved_entry: entry 0
    expect(r2.console).not.toContain("next_entry saved");
    expect(r2.console).toContain("save_env: saved_entry saved in (hd0)/boot/grub/grubenv");
    fsckClean(img);
    expect(cat(img, "/boot/grub/grubenv").toString("latin1")).toBe(grubenv({ next_entry: "", saved_entry: "alpha" }));
    expect(layout(img, "/boot/grub/grubenv")).toBe(shape);
  });

  it("on a disk of 4096-byte sectors: the 1 KiB block's sector read, patched and written whole", () => {
    const img = copy("grubcfg");
    const r = boot({ image: img, sectorSize: 4096 });
    expect(booted(r)).toBe("Beta");
    const log = r.domain.blkbacks[0].stats.log;
    expect(log.map((l) => l.op)).toEqual(["write", "flush"]);
    expect(log[0].sectors).toBe(8); // one 4096-byte sector, in 512-byte units
    fsckClean(img);
    expect(cat(img, "/boot/grub/grubenv").toString("latin1")).toBe(grubenv({ next_entry: "" }));
  });

  it("the flush follows the writes: WRITE_BARRIER when the backend offers only that", () => {
    const img = copy("grubcfg");
    const r = boot({ image: img, flush: "barrier" });
    expect(booted(r)).toBe("Beta");
    expect(r.console).toContain("pvboot: hd0: saved defaults flushed (WRITE_BARRIER)");
    expect(r.domain.blkbacks[0].stats.log.map((l) => l.op)).toEqual(["write", "flush"]);
    expect(cat(img, "/boot/grub/grubenv").toString("latin1")).toBe(grubenv({ next_entry: "" }));
  });

  it("a backend with no flush at all: written, and one line says it could not be flushed", () => {
    const img = copy("grubcfg");
    const r = boot({ image: img, flush: "none" });
    expect(booted(r)).toBe("Beta");
    expect(r.console).toContain("hd0: the backend offers neither feature-flush-cache nor feature-barrier");
    expect(r.domain.blkbacks[0].stats.log.map((l) => l.op)).toEqual(["write"]);
  });

  it("a read-only vbd: next_entry still boots once here, nothing is written, one line says why", () => {
    const img = copy("grubcfg");
    const r = boot({ image: img, readonly: true });
    expect(booted(r)).toBe("Beta");
    expect(r.console).toContain("save_env: not saved: hd0 is a read-only vbd (mode \"r\")");
    expect(writes(r)).toBe(0);
    expect(cat(img, "/boot/grub/grubenv").toString("latin1")).toBe(grubenv({ next_entry: "beta" }));
  });

  it("tool mode (pvboot menu, check) reads the same grub.cfg and writes nothing", () => {
    const img = copy("grubcfg");
    const r = boot(img, "pvboot.tool=menu");
    expect(r.console).not.toContain("save_env");
    expect(writes(r)).toBe(0);
    expect(cat(img, "/boot/grub/grubenv").toString("latin1")).toBe(grubenv({ next_entry: "beta" }));
  });

  it("XFS: refused, saying why", () => {
    const root = tree("xfs", { "boot/vmlinuz": bzImage(), "boot/grub/grub.cfg": GRUB_CFG, "boot/grub/grubenv": grubenv({ next_entry: "beta" }) });
    const img = join(dir, "xfs.img");
    writeFileSync(join(dir, "xfs.proto"), protofile(root));
    sh("truncate", ["-s", "300M", img]);
    const r0 = spawnSync("mkfs.xfs", ["-q", "-f", "-p", join(dir, "xfs.proto"), img], { env: { ...process.env, TEST_DIR: "1", TEST_DEV: "1", QA_CHECK_FS: "1" } });
    expect(r0.status, String(r0.stderr)).toBe(0);
    const before = digest(img);
    const r = boot(img);
    expect(booted(r)).toBe("Beta");
    expect(r.console).toContain("save_env: not saved: xfs: pvboot does not write to XFS");
    expect(writes(r)).toBe(0);
    expect(digest(img)).toBe(before);
  });

  it("btrfs: refused, saying why (checksummed data)", () => {
    const root = tree("btrfs", { "boot/vmlinuz": bzImage(), "boot/grub/grub.cfg": GRUB_CFG, "boot/grub/grubenv": grubenv({ next_entry: "beta" }) });
    const img = join(dir, "btrfs.img");
    writeFileSync(img, Buffer.alloc(0));
    sh("truncate", ["-s", "128M", img]);
    sh("mkfs.btrfs", ["-q", "-f", "--rootdir", root, img]);
    const before = digest(img);
    const r = boot(img);
    expect(booted(r)).toBe("Beta");
    expect(r.console).toContain("save_env: not saved: btrfs: pvboot does not write to btrfs (file data is checksummed");
    expect(writes(r)).toBe(0);
    expect(digest(img)).toBe(before);
  });
});

// The disks test/xen/saved.test.ts boots on real Xen, booted here the same way: two boots of one
// disk (an MBR partition: the write goes through the partition's offset), entries that only
// echo and halt.
describe("the real-Xen round trips, in the emulator", () => {
  it("grubenv on (hd0,0): the once entry, then the default; e2fsck clean, debugfs reads next_entry=", () => {
    const img = grubenvDisk(dir);
    const r1 = boot(img);
    expect(r1.shutdown, r1.console).toBe("poweroff");
    expect(r1.console).toContain("saved-test: once");
    expect(r1.console).toContain("save_env: next_entry saved in (hd0,0)/boot/grub/grubenv");
    const f = fsck(img);
    expect(f.status, f.out).toBe(0);
    expect(debugfsCat(img, "/boot/grub/grubenv").toString("latin1")).toBe(grubenvBlock({ next_entry: "" }));
    const r2 = boot(img);
    expect(r2.console).toContain("saved-test: default");
    expect(r2.console).not.toContain("save_env");
  });

  it("the same from an x86_32 (PAE) domain, whose ring speaks x86_32-abi", () => {
    const img = grubenvDisk(dir);
    const r1 = runLoader({ arch: "x86_32", memoryMB: 128, disks: [{ image: img, persist: true }] });
    expect(r1.domain.blkbacks[0].stats.protocol).toBe("x86_32-abi");
    expect(r1.console).toContain("save_env: next_entry saved in (hd0,0)/boot/grub/grubenv");
    expect(r1.domain.blkbacks[0].stats.log.map((l) => l.op)).toEqual(["write", "flush"]);
    expect(debugfsCat(img, "/boot/grub/grubenv").toString("latin1")).toBe(grubenvBlock({ next_entry: "" }));
    expect(fsck(img).status).toBe(0);
  });

  it("menu.lst on (hd0,0): default saved 0 saves 1, the next boot runs entry 1", () => {
    const img = menulstDisk(dir);
    const r1 = boot(img);
    expect(r1.shutdown, r1.console).toBe("poweroff");
    expect(r1.console).toContain("saved-test: first");
    expect(r1.console).toContain(" savedefault: entry 1 saved in (hd0,0)/boot/grub/default");
    const f = fsck(img);
    expect(f.status, f.out).toBe(0);
    expect(debugfsCat(img, "/boot/grub/default").subarray(0, 10).toString("latin1")).toBe("1\n\n\n\n\n\n\n\n\n");
    const r2 = boot(img);
    expect(r2.console).toContain("saved-test: second");
  });
});

// Layouts debugfs makes on ext2 (1 KiB blocks, block maps): a grubenv of two blocks whose
// second block is moved away (fragmented), a default file whose one block is freed (a hole).
describe("layouts in doubt are never written", () => {
  function ext2(name: string, files: Record<string, string | Buffer>): string {
    const img = join(dir, name + ".img");
    sh("mke2fs", ["-q", "-F", "-t", "ext2", "-b", "1024", "-d", tree(name, files), img, "16M"]);
    return img;
  }
  // debugfs's setb/freeb leave the groups' free counts: e2fsck -fy mends those, then -fn is clean.
  const summaries = (img: string) => {
    spawnSync("e2fsck", ["-fy", img]);
    fsckClean(img);
  };
  const blocksOf = (img: string, path: string) =>
    sh("debugfs", ["-R", `blocks ${path}`, img]).trim().split(/\s+/).map(Number);

  it("a fragmented grubenv (its two blocks apart): one line, no write", () => {
    const env2k = (v: Record<string, string>) => grubenv(v) + "#".repeat(1024);
    const img = ext2("fragmented", { "boot/vmlinuz": bzImage(), "boot/grub/grub.cfg": GRUB_CFG, "boot/grub/grubenv": env2k({ next_entry: "beta" }) });
    const [b0, b1] = blocksOf(img, "/boot/grub/grubenv");
    expect(b1).toBe(b0 + 1);
    const moved = 12000;
    const data = readFileSync(img);
    data.copy(data, moved * 1024, b1 * 1024, b1 * 1024 + 1024); // the second block's bytes, moved
    writeFileSync(img, data);
    sh("debugfs", ["-w", "-R", `setb ${moved}`, img]);
    sh("debugfs", ["-w", "-R", `freeb ${b1}`, img]);
    sh("debugfs", ["-w", "-R", `sif /boot/grub/grubenv block[1] ${moved}`, img]);
    summaries(img);
    expect(cat(img, "/boot/grub/grubenv").toString("latin1")).toBe(env2k({ next_entry: "beta" }));
    const r = boot(img);
    expect(booted(r)).toBe("Beta");
    expect(r.console).toMatch(/save_env: not saved: ext2: inode \d+: the file is fragmented \(its 2 blocks are not one contiguous run\)/);
    expect(writes(r)).toBe(0);
  });

  it("a journal that needs recovery: one line, no write (the journal may hold newer blocks)", () => {
    const img = copy("grubcfg");
    sh("debugfs", ["-w", "-R", "feature needs_recovery", img]);
    const r = boot(img);
    expect(booted(r)).toBe("Beta");
    expect(r.console).toContain("save_env: not saved: ext4: the journal needs recovery (needs_recovery)");
    expect(writes(r)).toBe(0);
  });

  it("a default file whose block is a hole: one line, no write", () => {
    const img = ext2("hole", { "boot/vmlinuz": bzImage(), "boot/grub/menu.lst": MENU_LST, "boot/grub/default": "0\n" + "#\n".repeat(10) });
    const [b0] = blocksOf(img, "/boot/grub/default");
    sh("debugfs", ["-w", "-R", `freeb ${b0}`, img]);
    sh("debugfs", ["-w", "-R", "sif /boot/grub/default block[0] 0", img]);
    sh("debugfs", ["-w", "-R", "sif /boot/grub/default blocks 0", img]);
    summaries(img);
    const r = boot(img);
    expect(booted(r)).toBe("First"); // no number in the default file (zeros): 0
    expect(r.console).toMatch(/ savedefault: not saved: ext2: inode \d+: the file has no block at its start \(a hole\)/);
    expect(writes(r)).toBe(0);
  });
});
