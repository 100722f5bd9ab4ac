// Memory given back by failed boot attempts (issue 19, part 3; src/lib/runtime.ts and
// src/lib/attempt.ts): in an 88 MiB domain, 50 menu entries in a row fail at different
// stages (a damaged xz payload, found near its end; an initrd that is not there; a kernel too
// big for the domain; a kernel whose Xen notes are damaged), then 20 edited entries fail
// through the editor, then Debian 12's kernel boots with every check of the emulator ok.
// Each heavy failure fills most of the domain (Debian's 8 MiB bzImage and its 63 MiB vmlinux):
// without the memory given back the second one fails for want of memory, and so does Debian.
// In a 64 MiB domain the same keys end with Debian's entry saying why it cannot boot there.

import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoader, type RunResult } from "./harness/run";
import { makeDisk } from "../scripts/images/make-disk";
import { debianKernel } from "../scripts/kernels/fetch";
import { parseKeys } from "../scripts/cli/keys";
import { pvElf } from "./loader/pv-elf";

const work = mkdtempSync(join(tmpdir(), "pvboot-memory-"));
const disk = join(work, "disk.img");
let vmlinux: Buffer;
let initrd: Buffer;

const run = promisify(execFile);
async function tool(cmd: string, args: string[], input?: string): Promise<Buffer> {
  return (await run(cmd, input ? [...args, input] : args, { encoding: "buffer", maxBuffer: 256 << 20 })).stdout;
}

// The four ways an entry fails, each at its own stage, and what it says.
const KINDS = [
  { kernel: "/boot/vmlinuz-damaged", initrd: "/boot/initrd.gz", error: /the bzImage's xz payload: xz: / }, // decompressing
  { kernel: "/boot/vmlinuz", initrd: "/boot/initrd-gone.gz", error: /initrd: '\(hd0,0\)\/boot\/initrd-gone\.gz': file not found/ }, // the entry's lines
  { kernel: "/boot/too-big.elf", initrd: "/boot/initrd.gz", error: /need \d+ MiB; the domain has \d+ MiB/ }, // the layout
  { kernel: "/boot/badnotes.gz", initrd: "/boot/initrd.gz", error: /Xen|note/i }, // the ELF's notes
];
const ENTRIES = 50;
const EDITS = 20;

beforeAll(async () => {
  const root = join(work, "root");
  mkdirSync(join(root, "boot", "grub"), { recursive: true });
  const bz = readFileSync(debianKernel());
  copyFileSync(debianKernel(), join(root, "boot", "vmlinuz"));
  const setup = ((bz[0x1f1] || 4) + 1) * 512;
  const off = setup + bz.readUInt32LE(0x248);
  const len = bz.readUInt32LE(0x24c);
  writeFileSync(join(work, "payload.xz"), bz.subarray(off, off + len));
  vmlinux = await tool("xz", ["-dc", "--single-stream"], join(work, "payload.xz"));
  // The xz payload damaged 4 KiB before its end: found only after most of it is unpacked.
  const damaged = Buffer.from(bz);
  for (let i = 0; i < 16; i++) damaged[off + len - 4096 + i] ^= 0x5a;
  writeFileSync(join(root, "boot", "vmlinuz-damaged"), damaged);
  // A PV kernel whose Xen notes are damaged (every note's name "Xen" made "Xem"), 48 MiB
  // with the zeros after it, gzip-packed: unpacked whole, then refused for its notes.
  const bad = Buffer.concat([pvElf(0x40), Buffer.alloc(48 << 20)]);
  let n = 0;
  for (let i = bad.indexOf("Xen\0"); i >= 0; i = bad.indexOf("Xen\0", i + 4)) {
    bad[i + 2] = 0x6d;
    n++;
  }
  expect(n).toBe(7);
  writeFileSync(join(work, "badnotes.elf"), bad);
  writeFileSync(join(root, "boot", "badnotes.gz"), await tool("gzip", ["-c", "-n", "-1"], join(work, "badnotes.elf")));
  // A PV kernel whose BSS takes 200 MiB: read and checked, refused by the layout.
  const big = pvElf(0x40);
  big.writeBigUInt64LE(200n << 20n, 64 + 40); // the PT_LOAD's p_memsz
  writeFileSync(join(root, "boot", "too-big.elf"), big);
  let x = 0x2545f491;
  const noise = Buffer.alloc(300_000);
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    noise[i] = x & 0xff;
  }
  writeFileSync(join(work, "noise"), noise);
  initrd = await tool("gzip", ["-c", "-n"], join(work, "noise"));
  writeFileSync(join(root, "boot", "initrd.gz"), initrd);
  // 50 failing entries, then Debian's own. (GRUB's fallback takes 8 entries at most: the menu
  // boots the first, the keys the others one after another.)
  let menu = "default 0\ntimeout 0\n";
  for (let i = 0; i < ENTRIES; i++) {
    const k = KINDS[i % KINDS.length];
    menu += `title Broken ${i}\nroot (hd0,0)\nkernel ${k.kernel} root=/dev/xvda1 ro\ninitrd ${k.initrd}\n`;
  }
  menu += "title Debian\nroot (hd0,0)\nkernel /boot/vmlinuz root=/dev/xvda1 ro quiet\ninitrd /boot/initrd.gz\n";
  writeFileSync(join(root, "boot", "grub", "menu.lst"), menu);
  // The case: the default entry's payload damaged near its end, every fallback entry
  // failing too, the last one Debian's intact kernel.
  writeFileSync(join(root, "boot", "grub", "fallback.lst"), "default 0\ntimeout 0\nfallback 1 2 3 4\n" +
    [KINDS[0], KINDS[3], KINDS[0], KINDS[2]].map((k, i) => `title Broken ${i}\nroot (hd0,0)\nkernel ${k.kernel} ro\ninitrd ${k.initrd}\n`).join("") +
    "title Debian\nroot (hd0,0)\nkernel /boot/vmlinuz root=/dev/xvda1 ro quiet\ninitrd /boot/initrd.gz\n");
  makeDisk(disk, 200, [{ fsType: "ext4", sizeMiB: 198, dir: root }]);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

// After the default entry's "Press any key": the other 49 entries, each chosen and booted (a
// key after its error), then 20 edits of the Debian entry (its kernel or initrd line
// replaced, 'b' boots the copy, a key after its error), then Debian as it is.
function keys(): Uint8Array {
  let k = " " + "<down>\r ".repeat(ENTRIES - 1);
  for (let i = 0; i < EDITS; i++) {
    const kind = KINDS[i % KINDS.length];
    const line = kind.kernel === "/boot/vmlinuz" ? `initrd ${kind.initrd}` : `kernel ${kind.kernel} root=/dev/xvda1 ro`;
    k += `<end>e<down>${kind.kernel === "/boot/vmlinuz" ? "<down>" : ""}e<c-u>${line}\rb `;
  }
  return parseKeys(`${k}<end>\r`);
}

function attempt(memoryMB: number, menu = "menu"): RunResult {
  return runLoader({
    memoryMB, disks: [disk], keys: menu === "menu" ? keys() : undefined, cmdline: `(hd0,0)/boot/grub/${menu}.lst`,
    expect: { elf: vmlinux, initrd, cmdline: "root=/dev/xvda1 ro quiet" },
  });
}

function errors(console: string): string[] {
  return console.split(/\r?\n/).filter((l) => l.includes("Error: ")).map((l) => l.slice(l.indexOf("Error: ")));
}

describe("memory given back by failed boot attempts", () => {
  it("88 MiB: 50 entries fail, then 20 edits fail, then Debian 12's kernel boots with every check ok", () => {
    const r = attempt(88);
    expect(r.trap, r.console.slice(-3000)).toBeUndefined();
    const errs = errors(r.console);
    expect(errs.length, errs.join("\n")).toBe(ENTRIES + EDITS);
    errs.forEach((e, i) => {
      const kind = KINDS[(i < ENTRIES ? i : i - ENTRIES) % KINDS.length];
      expect(e, `failure ${i}`).toMatch(kind.error);
      expect(e, `failure ${i}`).not.toMatch(/memory/);
    });
    // The same damage is found at the same byte every time (no state left from the last try).
    expect(new Set(errs.filter((e) => e.includes("xz payload"))).size).toBe(1);
    expect(r.console).toContain("pvboot: starting 'Debian'");
    expect(r.shutdown, r.console.slice(-2000)).toBe("jumped");
    for (const [k, v] of Object.entries(r.handoff!.checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
  }, 900_000);

  it("88 MiB: the default entry's payload is damaged, the fallbacks fail, the last fallback (Debian 12) boots", () => {
    const r = attempt(88, "fallback");
    expect(r.trap, r.console.slice(-3000)).toBeUndefined();
    expect(errors(r.console).length).toBe(4);
    expect(r.console).toContain("Falling back to entry 4 ('Debian')");
    expect(r.shutdown, r.console.slice(-2000)).toBe("jumped");
    for (const [k, v] of Object.entries(r.handoff!.checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
  }, 300_000);

  it("64 MiB: the same failures, then Debian's entry says why it cannot boot, without a trap", () => {
    const r = attempt(64);
    expect(r.trap, r.console.slice(-3000)).toBeUndefined();
    const errs = errors(r.console);
    expect(errs.length, errs.join("\n")).toBe(ENTRIES + EDITS + 1);
    expect(errs[errs.length - 1]).toMatch(/'\(hd0,0\)\/boot\/vmlinuz': the bzImage's xz payload unpacks to \d+ bytes \(63 MiB\), more than the \d+ MiB of memory left for it \(the domain has 64 MiB: give it more with memory = in its config\)/);
    expect(r.shutdown).not.toBe("jumped");
  }, 900_000);
});
