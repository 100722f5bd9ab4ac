// `pvboot check DISK`: every entry of a real disk (made by mke2fs -d) loaded and checked in the
// emulated Xen, with Debian 12's kernel (scripts/kernels/fetch.ts) and with every failure the
// loader knows, one line per entry, the smallest memory for the default entry, the exit
// status and the JSON object; and the disk `make demo` makes (scripts/demo.sh).
// Slow-ish (each entry and each step of the memory bisection is a fresh emulated domain).

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { makeDisk } from "../scripts/images/make-disk";
import { debianKernel } from "../scripts/kernels/fetch";
import { pvElf } from "./loader/pv-elf";
import { bzImage, elf } from "./grubdom-disk";
import { grubenvBlock } from "./saved-disks";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PVBOOT = join(ROOT, "scripts/pvboot.mjs");
// Asynchronous, so that the test worker stays responsive while a check runs for long.
function pvboot(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn("node", [PVBOOT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (b) => (stdout += b));
    p.stderr.on("data", (b) => (stderr += b));
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

// [title, lines, what `check` says about it]
const ENTRIES: [string, string[], RegExp][] = [
  ["Small", ["kernel /boot/vmlinux-pv console=hvc0", "initrd /boot/initrd.img"], /^ok$/],
  ["Debian 12", ["kernel /boot/vmlinuz-debian root=/dev/xvda1 ro", "initrd /boot/initrd.img"], /^ok$/],
  ["Missing kernel", ["kernel /boot/vmlinuz-missing"], /:\d+: kernel: '\(hd0,0\)\/boot\/vmlinuz-missing': file not found$/],
  ["Missing initrd", ["kernel /boot/vmlinux-pv", "initrd /boot/initrd-missing"], /:\d+: initrd: '\(hd0,0\)\/boot\/initrd-missing': file not found$/],
  ["Missing module", ["kernel /boot/vmlinux-pv", "module /boot/mod-missing"], /:\d+: module: '\(hd0,0\)\/boot\/mod-missing': file not found$/],
  ["Not a kernel", ["kernel /boot/notakernel"], /:\d+: kernel: '\(hd0,0\)\/boot\/notakernel': unknown kernel format \(starts with 23 21 2f 62/],
  ["Empty kernel", ["kernel /boot/empty"], /unknown kernel format \(starts with nothing: the file is empty\)$/],
  ["A directory", ["kernel /boot"], /kernel: '\(hd0,0\)\/boot': is a directory$/],
  ["No Xen notes", ["kernel /boot/vmlinux-bare"], /boot: '\(hd0,0\)\/boot\/vmlinux-bare': a 64-bit kernel with no Xen notes/],
  ["Wrong width", ["kernel /boot/vmlinux-i386"], /kernel: '\(hd0,0\)\/boot\/vmlinux-i386': a 32-bit \(x86_32\) kernel: this is pvboot-x86_64\.elf, .*boot this kernel with pvboot-x86_32\.elf/],
  ["Foreign", ["kernel /boot/vmlinux-arm"], /a 64-bit aarch64 ELF kernel/],
  ["Corrupt payload", ["kernel /boot/vmlinuz-corrupt"], /boot: '\(hd0,0\)\/boot\/vmlinuz-corrupt': the bzImage's gzip payload: gzip: byte \d+: /],
  ["Corrupt module", ["kernel /boot/vmlinux-pv", "module /boot/mod-corrupt.gz"], /'\(hd0,0\)\/boot\/mod-corrupt\.gz': gzip-compressed module: gzip: byte \d+: .*\(modulenounzip loads it as it is\)$/],
  ["Truncated setup", ["kernel /boot/vmlinuz-short"], /Linux setup of 31232 bytes but the file has only 4096$/],
  ["Too big", ["kernel /boot/vmlinux-pv", "initrd /boot/initrd-big"], /'\(hd0,0\)\/boot\/initrd-big': \d+ bytes do not fit in the memory left/],
  ["Chainloader", ["rootnoverify (hd0,1)", "chainloader +1"], /chainloader: chainloading is not possible in a Xen PV guest/],
  ["Bad configfile", ["configfile /boot/grub/none.lst"], /configfile: '\(hd0,0\)\/boot\/grub\/none\.lst': file not found$/],
  ["Other menu", ["configfile /boot/grub/other.lst"], /^ok \(shows another menu\)$/],
  ["Reboot", ["reboot"], /^ok \(reboots the domain\)$/],
  ["Interactive", ["pause Press a key", "password secret", "kernel /boot/vmlinux-pv"], /^ok$/],
  ["Trailing data", ["kernel /boot/vmlinuz-trailing"], /^ok; warning: '\(hd0,0\)\/boot\/vmlinuz-trailing': 100 bytes after the gzip stream ignored/],
  ["Unzipped module", ["kernel /boot/vmlinux-pv", "module /boot/mod.gz a b"], /^ok$/],
];

let disk = "";
let menuPath = "";
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "pvboot-check-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "boot/grub"), { recursive: true });
  copyFileSync(debianKernel(), join(root, "boot/vmlinuz-debian"));
  writeFileSync(join(root, "boot/vmlinux-pv"), pvElf());
  writeFileSync(join(root, "boot/vmlinux-bare"), pvElf(0, false));
  writeFileSync(join(root, "boot/vmlinux-i386"), elf(3, 1));
  writeFileSync(join(root, "boot/vmlinux-arm"), elf(183, 2));
  writeFileSync(join(root, "boot/notakernel"), "#!/bin/sh\necho hi\n");
  writeFileSync(join(root, "boot/empty"), "");
  writeFileSync(join(root, "boot/initrd.img"), gzipSync(Buffer.alloc(200_000, 7)));
  writeFileSync(join(root, "boot/initrd-big"), Buffer.alloc(40 << 20, 1)); // more than 48 MiB leaves
  const bz = bzImage();
  bz[bz.length - 200] ^= 0x55; // in the deflate stream
  writeFileSync(join(root, "boot/vmlinuz-corrupt"), bz);
  const short = Buffer.concat([bzImage(), Buffer.alloc(4096)]).subarray(0, 4096);
  short[0x1f1] = 60;
  writeFileSync(join(root, "boot/vmlinuz-short"), short);
  writeFileSync(join(root, "boot/vmlinuz-trailing"), Buffer.concat([gzipSync(pvElf()), Buffer.alloc(100, 0x5a)]));
  writeFileSync(join(root, "boot/mod.gz"), gzipSync(Buffer.alloc(10_000, 3)));
  const mod = gzipSync(Buffer.from("module ".repeat(5000)));
  mod[mod.length - 6] ^= 1; // its size field
  writeFileSync(join(root, "boot/mod-corrupt.gz"), mod);
  writeFileSync(join(root, "boot/grub/other.lst"), "title Other\nkernel /boot/vmlinux-pv\n");
  const menu = ["default 0", "timeout 5", ""];
  for (const [title, lines] of ENTRIES) menu.push(`title ${title}`, ...lines, "");
  writeFileSync(join(root, "boot/grub/menu.lst"), menu.join("\n"));
  // The same menu, its default a failing entry: named on the command line (--extra).
  writeFileSync(join(root, "boot/grub/bad-default.lst"), menu.join("\n").replace("default 0", "default 2"));
  menuPath = "(hd0,0)/boot/grub/menu.lst";
  disk = join(dir, "disk.img");
  makeDisk(disk, 120, [{ fsType: "ext4", sizeMiB: 110, dir: root }]);
}, 300_000);

// The line check prints for each entry: "  3   Title: what".
function entryLines(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of out.split("\n")) {
    const r = /^ +\d+ [* ] (.*?): (ok.*|\(hd0,0\).*|the .*)$/.exec(l);
    if (r) m.set(r[1], r[2]);
  }
  return m;
}

describe("pvboot check", () => {
  it("says ok or why for every entry, with file and line, then the smallest memory; exit 0", async () => {
    const r = await pvboot("check", disk, "--memory", "48");
    expect(r.status, r.stderr).toBe(0);
    const lines = entryLines(r.stdout);
    for (const [title, , want] of ENTRIES) {
      if (title === "Debian 12") continue; // 48 MiB is too little for it: below
      expect(lines.get(title), title).toMatch(want);
    }
    expect(lines.get("Missing kernel")).toMatch(/^\(hd0,0\)\/boot\/grub\/menu\.lst:13: kernel:/);
    // the real kernel does not fit in 48 MiB, and says so with the sizes
    expect(lines.get("Debian 12")).toMatch(/^\(hd0,0\)\/boot\/grub\/menu\.lst:8: boot: .*unpacks to \d+ bytes \(\d+ MiB\), more than the \d+ MiB of memory left/);
    const last = r.stdout.trimEnd().split("\n").pop()!;
    const m = /^memory = (\d+) +# the smallest that boots the default entry \(0\)$/.exec(last);
    expect(m, last).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(16);
    expect(Number(m![1])).toBeLessThanOrEqual(48);
    // one below the answer does not boot the small entry: bisection, not a guess
    const below = await pvboot("check", disk, "--memory", String(Number(m![1]) - 1), "--json");
    expect(JSON.parse(below.stdout).entries[0].ok).toBe(false);
  }, 300_000);

  it("Debian 12's kernel: ok in 256 MiB, checked through the handoff, in JSON", async () => {
    const r = await pvboot("check", disk, "--json", "--extra", "(hd0,0)/boot/grub/bad-default.lst");
    expect(r.status, r.stderr).toBe(1); // the default (entry 2) is missing its kernel
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ disk, arch: "x86_64", memory_mb: 256, config: "(hd0,0)/boot/grub/bad-default.lst", default: 2, default_ok: false, exit: 1 });
    expect(j.min_memory_mb).toBeNull();
    const deb = j.entries[1];
    expect(deb).toMatchObject({ index: 1, title: "Debian 12", ok: true, outcome: "loaded", kernel: "(hd0,0)/boot/vmlinuz-debian" });
    expect(deb.image).toMatch(/^bzImage \(boot protocol 2\.\d+, xz payload\) -> ELF64 x86_64, \d+ bytes, Xen notes/);
    for (const [k, v] of Object.entries(deb.checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
    expect(j.entries[2]).toMatchObject({ ok: false, outcome: "failed", file: "(hd0,0)/boot/grub/bad-default.lst", line: 13 });
    expect(j.entries[2].error).toBe("kernel: '(hd0,0)/boot/vmlinuz-missing': file not found");
    expect(r.stdout.trim().split("\n").length).toBe(1); // one object
  }, 300_000);

  it("exit 2 when the disk cannot be read; 1 when it holds no config; 2 on usage errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-check-bad-"));
    const blank = join(dir, "blank.img");
    writeFileSync(blank, Buffer.alloc(4 << 20));
    let r = await pvboot("check", blank);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("no filesystem pvboot can read on the disk");
    r = await pvboot("check", join(dir, "none.img"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot open disk image");
    const root = join(dir, "root");
    mkdirSync(root);
    writeFileSync(join(root, "hello"), "hi\n");
    const noconfig = join(dir, "noconfig.img");
    makeDisk(noconfig, 10, [{ fsType: "ext2", sizeMiB: 8, dir: root }]);
    r = await pvboot("check", noconfig, "--json");
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: "no config file found", exit: 1 });
    expect(r.stderr).toContain("(hd0,0)/boot/grub/menu.lst: not found");
    // the config from the ramdisk (xl ramdisk=), as the guest takes it when extra= names none
    const rd = join(dir, "menu.lst");
    writeFileSync(rd, "title From the ramdisk\nroot (hd0,0)\nkernel /boot/vmlinux-pv\n");
    r = await pvboot("check", disk, "--ramdisk", rd);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}0 \* From the ramdisk: ok\nmemory = \d+ /);
    // --arch x86_32 checks as pvboot-x86_32.elf would: the 64-bit kernel is refused by width
    r = await pvboot("check", disk, "--ramdisk", rd, "--arch", "x86_32");
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^ {2}0 \* From the ramdisk: .*a 64-bit \(x86_64\) kernel: this is pvboot-x86_32\.elf/);
    expect((await pvboot("check", disk, "--arch", "arm64")).status).toBe(2);
    expect((await pvboot("check", disk, "--memory", "8")).status).toBe(2);
    expect((await pvboot("help", "check")).stdout).toContain("usage: pvboot check DISK [--extra ARG] [--memory MB] [--arch x86_64|x86_32] [--json]");
  }, 120_000);

  // A grub.cfg entry runs as the menu runs it, through the script interpreter: insmod and
  // load_video do nothing, and 00_header's savedefault (save_env) writes nothing in a check.
  it("a grub.cfg entry as grub-mkconfig writes it: ok, and the disk is left as it was", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-check-grubcfg-"));
    const root = join(dir, "root");
    mkdirSync(join(root, "boot/grub"), { recursive: true });
    writeFileSync(join(root, "boot/vmlinux-pv"), pvElf());
    writeFileSync(join(root, "boot/initrd.img"), gzipSync(Buffer.alloc(100_000, 7)));
    writeFileSync(join(root, "boot/grub/grubenv"), grubenvBlock({ saved_entry: "Old" }));
    writeFileSync(join(root, "boot/grub/grub.cfg"), [
      "if [ -s $prefix/grubenv ]; then", "  load_env", "fi",
      'set default="0"',
      "function savedefault {", '  if [ -z "${boot_once}" ]; then', '    saved_entry="${chosen}"', "    save_env saved_entry", "  fi", "}",
      "function load_video {", "  insmod all_video", "}",
      "set timeout=5",
      "menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple' {",
      "	savedefault", "	load_video", "	insmod gzio", "	insmod part_msdos", "	insmod ext2",
      "	echo	'Loading Linux ...'", "	linux	/boot/vmlinux-pv console=hvc0 ro quiet",
      "	initrd	/boot/initrd.img", "}", "",
    ].join("\n"));
    const img = join(dir, "grubcfg.img");
    makeDisk(img, 20, [{ fsType: "ext4", sizeMiB: 18, dir: root }]);
    const before = createHash("sha256").update(readFileSync(img)).digest("hex");
    const r = await pvboot("check", img, "--memory", "64");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}0 \* Debian GNU\/Linux: ok\n/);
    const j = JSON.parse((await pvboot("check", img, "--memory", "64", "--json")).stdout);
    expect(j.entries[0]).toMatchObject({ ok: true, outcome: "loaded", kernel: "(hd0,0)/boot/vmlinux-pv" });
    expect(createHash("sha256").update(readFileSync(img)).digest("hex")).toBe(before);
  }, 120_000);

  it("the disk `make demo` makes: the default boots, the broken entry is named, memory = N", async () => {
    const img = execFileSync("bash", ["scripts/demo.sh"], { cwd: ROOT, env: { ...process.env, DEMO_DISK_ONLY: "1" }, encoding: "utf8" }).trim().split("\n").pop()!;
    const r = await pvboot("check", join(ROOT, img), "--memory", "64");
    // 64 MiB is too little for Debian's kernel: exit 1, and the memory that does boot it
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ {2}0 \* Debian GNU\/Linux, kernel .*: \(hd0,0\)\/boot\/grub\/menu\.lst:5: boot: .*give it more with memory = in its config\)$/);
    expect(lines[1]).toBe("  1   A missing kernel (shows the error, then the fallback): (hd0,0)/boot/grub/menu.lst:12: kernel: '(hd0,0)/boot/vmlinuz-missing': file not found");
    const m = /^memory = (\d+) /.exec(lines[2]);
    expect(m, lines[2]).not.toBeNull();
    const min = Number(m![1]);
    expect(min).toBeGreaterThan(64);
    expect(min).toBeLessThan(128);
    const ok = await pvboot("check", join(ROOT, img), "--memory", String(min), "--json");
    expect(ok.status, ok.stderr).toBe(0);
    const j = JSON.parse(ok.stdout);
    expect(j.entries[0]).toMatchObject({ ok: true, outcome: "loaded" });
    // at the smallest size the unpacked kernel's memory holds the new domain's pages
    for (const [k, v] of Object.entries(j.entries[0].checks)) expect(`${k}: ${v}`).toMatch(/: (ok|not checked)$/);
    expect(j.min_memory_mb).toBe(min);
  }, 300_000);
});
