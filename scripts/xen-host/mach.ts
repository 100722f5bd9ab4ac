// GNU Mach guests for the real Xen test host (test/xen/gnumach*.test.ts, the bench): the
// Hurd's two boot modules as real static programs from Debian packages, the multiboot module
// package that xl's `ramdisk =` hands a directly booted GNU Mach (the Hurd wiki's
// `hurd-modules` way), and the ext2 disk (`mke2fs -o hurd`) with a menu.lst and a grub.cfg for
// the same boot through pvboot and pvgrub2.
//
// The package, as GNU Mach's Xen boot reads it (kern/bootstrap.c, MACH_XEN: it walks the
// descriptors at start_info.mod_start until mod_start is 0 and adds the package's address to
// each field): an array of 16-byte descriptors {u32 mod_start, u32 mod_end, u32 string,
// u32 reserved}, offsets from the package's start, mod_end one past the module's last byte,
// ended by an all-zero descriptor; each module at a page boundary; each command line
// NUL-terminated in a page of its own. This is the layout pvboot builds (docs/loader.md).

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDisk } from "../images/make-disk.ts";

export interface MachModule { name: string; data: Buffer; line: string }

const PAGE = 4096;
const up = (n: number) => Math.ceil(n / PAGE) * PAGE;

// With inclusiveEnd, mod_end is the module's last byte (xen.h's comment), not one past it:
// the form GNU Mach does not read (it takes mod_end - mod_start as the size).
export function modulePackage(mods: { data: Buffer; cmdline: string }[], opts: { inclusiveEnd?: boolean } = {}): Buffer {
  let at = up((mods.length + 1) * 16);
  const place = mods.map((m) => {
    const start = at;
    at = up(at + m.data.length);
    return start;
  });
  const lines = mods.map((m) => {
    const start = at;
    at = up(at + Buffer.byteLength(m.cmdline) + 1);
    return start;
  });
  const pkg = Buffer.alloc(at);
  mods.forEach((m, i) => {
    pkg.writeUInt32LE(place[i], i * 16);
    pkg.writeUInt32LE(place[i] + m.data.length - (opts.inclusiveEnd ? 1 : 0), i * 16 + 4);
    pkg.writeUInt32LE(lines[i], i * 16 + 8);
    m.data.copy(pkg, place[i]);
    pkg.write(m.cmdline, lines[i], "utf8");
  });
  return pkg;
}

// An ELF executable cut right after the file bytes of its last loadable segment (no section
// headers, nothing after): a module whose last byte is the last byte GNU Mach must read.
export function cutAtLastSegment(elf: Buffer): Buffer {
  if (elf.subarray(0, 4).toString("latin1") !== "\x7fELF") throw new Error("cutAtLastSegment: not an ELF");
  const is64 = elf[4] === 2;
  const phoff = is64 ? Number(elf.readBigUInt64LE(32)) : elf.readUInt32LE(28);
  const phentsize = elf.readUInt16LE(is64 ? 54 : 42);
  const phnum = elf.readUInt16LE(is64 ? 56 : 44);
  let end = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (elf.readUInt32LE(p) !== 1) continue; // PT_LOAD
    const off = is64 ? Number(elf.readBigUInt64LE(p + 8)) : elf.readUInt32LE(p + 4);
    const filesz = is64 ? Number(elf.readBigUInt64LE(p + 32)) : elf.readUInt32LE(p + 16);
    end = Math.max(end, off + filesz);
  }
  if (end === 0 || end >= elf.length) throw new Error(`cutAtLastSegment: nothing after the last segment (ends at ${end} of ${elf.length})`);
  return Buffer.from(elf.subarray(0, end));
}

// The Hurd's two boot modules (the root filesystem server and exec, with GNU Mach's boot
// script variables and $(...) functions as the Hurd's own menu entries write them), played
// here by two static programs: GNU Mach loads each as a task and resumes the first.
export function hurdModules(rootfs: { file: string; data: Buffer }, exec: { file: string; data: Buffer }): MachModule[] {
  return [
    {
      name: rootfs.file, data: rootfs.data,
      line: `/boot/${rootfs.file} ext2fs --multiboot-command-line=\${kernel-command-line} --host-priv-port=\${host-port} ` +
        `--device-master-port=\${device-port} --exec-server-task=\${exec-task} -T typed \${root} $(task-create) $(task-resume)`,
    },
    { name: exec.file, data: exec.data, line: `/boot/${exec.file} exec /hurd/exec $(exec-task=task-create)` },
  ];
}

export const MACH_ROOT_ARG = "root=part:1:device:hd0";

// The command line each module gets in a package: the `module` line after the command name,
// file name first (what pvboot hands over, docs/loader.md).
export const packageOf = (mods: MachModule[], opts: { inclusiveEnd?: boolean } = {}) =>
  modulePackage(mods.map((m) => ({ data: m.data, cmdline: m.line })), opts);

// A module line for grub.cfg: GRUB 2's own parser would expand ${...} itself (to nothing), so
// the words holding boot-script variables or functions are single-quoted, as Debian's
// 10_hurd does. GRUB 2 hands a module the words after its file name.
export const grubModuleLine = (line: string) => line.split(" ").map((w) => (w.includes("$") ? `'${w}'` : w)).join(" ");

// An ext2 disk made as the Hurd makes its own (mke2fs -o hurd) with GNU Mach as
// /boot/gnumach.gz, the modules under /boot and the Hurd's menu.lst; with grubCfg, a grub.cfg
// (multiboot/module) too.
export function machDisk(out: string, dir: string, machGz: string, mods: MachModule[],
  opts: { title?: string; grubCfg?: boolean } = {}): string {
  const title = opts.title ?? "GNU/Hurd";
  mkdirSync(join(dir, "boot", "grub"), { recursive: true });
  copyFileSync(machGz, join(dir, "boot", "gnumach.gz"));
  for (const m of mods) writeFileSync(join(dir, "boot", m.name), m.data);
  writeFileSync(join(dir, "boot", "grub", "menu.lst"), [
    "timeout 0", `title ${title}`, "root (hd0,0)", `kernel /boot/gnumach.gz ${MACH_ROOT_ARG}`,
    ...mods.map((m) => `module ${m.line}`), "",
  ].join("\n"));
  // A grub.cfg too (for pvgrub2, the bench's peer): pvboot's discovery then takes it before
  // the menu.lst, as GRUB 2 would, and GNU Mach sees GRUB 2's module lines (no file name).
  if (opts.grubCfg) writeFileSync(join(dir, "boot", "grub", "grub.cfg"), [
    "set timeout=0", `menuentry '${title}' {`, `  multiboot /boot/gnumach.gz ${MACH_ROOT_ARG}`,
    ...mods.map((m) => `  module ${grubModuleLine(m.line)}`), "}", "",
  ].join("\n"));
  makeDisk(out, 16, [{ fsType: "ext2", sizeMiB: 14, dir, mkfsArgs: ["-o", "hurd"] }]);
  return out;
}

// GNU Mach's console lines for a module list: the pass condition of the GNU Mach tests.
export function machExpectations(mods: MachModule[], opts: { gnumachBanner?: boolean } = {}): RegExp[] {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [
    ...(opts.gnumachBanner === false ? [] : [/^GNU Mach \d/]),
    ...mods.map((m, i) => new RegExp(`^module ${i}: ${esc(m.line)}$`)),
    new RegExp(`^${mods.length} multiboot modules$`),
    // argv as GNU Mach set it up: the file name, then the words with ${...} expanded and
    // the $(...) functions taken out.
    ...mods.map((m) => new RegExp(`^task loaded: ${esc(m.line.split(" ").slice(0, 2).join(" "))}( |$)`)),
  ];
}

// GNU Mach's Xen event code complains with these (xen/evt.c and friends).
export const MACH_BAD_EVENTS = /unexpected|spurious/i;
