// Seeds and hand-made regression inputs of the loader's fuzz targets (src/fuzz/menulst.ts,
// kernel.ts, multiboot.ts), made from real inputs where there are some: the menu.lst files
// of test/config (Debian's, Ubuntu's, the Hurd's), Debian 12's bzImage and vmlinux and GNU
// Mach's image (scripts/kernels/fetch.ts, cached), the module lines of the Hurd's menu.lst.
// scripts/fuzz/seeds.ts calls these.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pvElf } from "../../test/loader/pv-elf";
import { debianKernel, gnuMach } from "../kernels/fetch";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAX = 256 << 10; // scripts/fuzz/run's -max_len

// ---- menulst -------------------------------------------------------------------------------

export function menulstSeeds(): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const dir = join(ROOT, "test/config");
  for (const f of readdirSync(dir)) if (f.endsWith(".lst")) out[`config-${f}`] = readFileSync(join(dir, f));
  out["saved-menu.lst"] = readFileSync(join(dir, "saved/menu.lst"));
  out["saved-default"] = readFileSync(join(dir, "saved/default"));
  return { ...out, ...menulstRegressions() };
}

export function menulstRegressions(): Record<string, Buffer> {
  return {
    "hand-every-command.bin": Buffer.from(
      "default saved\ntimeout=5\nfallback 1 2 3 4 5 6 7 8 9\nhiddenmenu\npassword --md5 $1$abc$xyz /boot/grub/other.lst\n" +
      "color normal/blue\nserial --unit=0\nterminal serial\n" +
      "title A\\\n continued\n\troot\t(hd0,0)\n  kernel --type=multiboot --no-mem-option /boot/k a=b\n  module /m1 x\n modulenounzip /m2\n" +
      "  initrd=/boot/i\n uuid 1234\n lock\n savedefault\n quiet\n configfile (hd0,1)/x.lst\n chainloader +1\n" +
      "title\ntitle B\nrootnoverify (hd1)\nkernel\n"),
    "hand-crlf-tabs-nul.bin": Buffer.from("title x\r\n\tkernel\t/k\r\n\0\0title y\r\n"),
    "hand-long-line.bin": Buffer.from(`title ${"x".repeat(5000)}\nkernel /k ${"y".repeat(70000)}\n`),
    "hand-backslash-end.bin": Buffer.from("title a\nkernel /k \\"),
    "hand-default-huge.bin": Buffer.from("default 99999999999999999999\nfallback -1 2147483648 0x10\ntitle a\n"),
    "hand-empty.bin": Buffer.alloc(0),
  };
}

// ---- kernel --------------------------------------------------------------------------------

// Input: a width byte (1: x86_64, 0: x86_32 PAE), then the kernel file.
const w64 = (b: Buffer) => Buffer.concat([Buffer.from([1]), b]);
const w32 = (b: Buffer) => Buffer.concat([Buffer.from([0]), b]);

// Debian's real setup header with `payload` as its protected-mode payload (payload_offset and
// payload_length, syssize set to match), the unpacked size appended as Linux's build does.
let debianBz: Buffer | undefined;
function debian(): Buffer {
  return (debianBz ??= readFileSync(debianKernel()));
}

function bzImage(payload: Buffer, unpacked: number): Buffer {
  const bz = debian();
  const setup = ((bz[0x1f1] || 4) + 1) * 512;
  const head = Buffer.from(bz.subarray(0, setup + 0x200));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(unpacked);
  const body = Buffer.concat([payload, size]);
  head.writeUInt32LE(0x200, 0x248); // payload_offset, from the protected-mode code's start
  head.writeUInt32LE(body.length, 0x24c);
  const file = Buffer.concat([head, body]);
  file.writeUInt32LE(Math.ceil((file.length - setup) / 16), 0x1f4); // syssize
  return file;
}

// An ELF64 with Debian's vmlinux's ELF and program headers and its real PT_NOTE segment (the
// Xen notes), the notes moved to after the headers and the PT_LOADs given no file bytes.
function vmlinuxHeaders(vmlinux: Buffer): Buffer {
  const phoff = Number(vmlinux.readBigUInt64LE(32));
  const phnum = vmlinux.readUInt16LE(56);
  const head = Buffer.from(vmlinux.subarray(0, phoff + phnum * 56));
  head.writeBigUInt64LE(0n, 40); // no section headers
  head.writeUInt16LE(0, 60);
  head.writeUInt16LE(0, 62);
  const notes: Buffer[] = [];
  let at = head.length;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * 56;
    const type = head.readUInt32LE(p);
    const off = Number(head.readBigUInt64LE(p + 8));
    const size = Number(head.readBigUInt64LE(p + 32));
    if (type === 4) {
      notes.push(vmlinux.subarray(off, off + size));
      head.writeBigUInt64LE(BigInt(at), p + 8);
      at += size;
    } else if (type === 1) {
      head.writeBigUInt64LE(0n, p + 32); // p_filesz
    }
  }
  return Buffer.concat([head, ...notes]);
}

// A 32-bit PAE kernel of the old kind: no notes, a "__xen_guest" section with the parameters
// as a string.
function xenGuestElf32(guest: string): Buffer {
  const shstr = Buffer.from("\0__xen_guest\0.shstrtab\0");
  const text = Buffer.alloc(0x1000, 0x90);
  const g = Buffer.from(guest + "\0");
  const textOff = 0x1000, gOff = textOff + text.length, strOff = gOff + g.length, shOff = (strOff + shstr.length + 3) & ~3;
  const b = Buffer.alloc(shOff + 3 * 40);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 1; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16); b.writeUInt16LE(3, 18); b.writeUInt32LE(1, 20);
  b.writeUInt32LE(0xc0100000, 24); // entry
  b.writeUInt32LE(52, 28); b.writeUInt32LE(shOff, 32);
  b.writeUInt16LE(52, 40); b.writeUInt16LE(32, 42); b.writeUInt16LE(1, 44);
  b.writeUInt16LE(40, 46); b.writeUInt16LE(3, 48); b.writeUInt16LE(2, 50);
  // PT_LOAD: the text at 0xc0100000 (paddr 0x100000)
  b.writeUInt32LE(1, 52); b.writeUInt32LE(textOff, 56); b.writeUInt32LE(0xc0100000, 60); b.writeUInt32LE(0x100000, 64);
  b.writeUInt32LE(text.length, 68); b.writeUInt32LE(0x20000, 72); b.writeUInt32LE(5, 76); b.writeUInt32LE(0x1000, 80);
  text.copy(b, textOff);
  g.copy(b, gOff);
  shstr.copy(b, strOff);
  const sh = (i: number, name: number, type: number, off: number, size: number) => {
    const p = shOff + i * 40;
    b.writeUInt32LE(name, p); b.writeUInt32LE(type, p + 4); b.writeUInt32LE(off, p + 16); b.writeUInt32LE(size, p + 20);
  };
  sh(1, 1, 1, gOff, g.length); // __xen_guest, PROGBITS
  sh(2, 13, 3, strOff, shstr.length); // .shstrtab
  return b;
}

function tool(cmd: string, args: string[], input: Buffer): Buffer {
  return execFileSync(cmd, args, { input, maxBuffer: 256 << 20 });
}

export function kernelSeeds(): Record<string, Buffer> {
  const elf = pvElf(0x40);
  const out: Record<string, Buffer> = {
    "pv-elf": w64(elf),
    "pv-elf-no-notes": w64(pvElf(0x40, false)),
    "pv-elf-32-domain": w32(elf),
    "pv-elf-gzip": w64(gzipSync(elf)),
    "bzimage-debian-setup-gzip": w64(bzImage(gzipSync(elf), elf.length)),
    "bzimage-debian-setup-xz": w64(bzImage(tool("xz", ["-c", "--check=crc32", "--x86", "--lzma2"], elf), elf.length)),
    "bzimage-debian-setup-lz4": w64(bzImage(tool("lz4", ["-c", "-l", "-9"], elf), elf.length)),
    "bzimage-debian-setup-zstd": w64(bzImage(tool("zstd", ["-c", "-19", "-q"], elf), elf.length)),
    "xen-guest-elf32": w32(xenGuestElf32("GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,ELF_PADDR_OFFSET=0xC0000000,HYPERCALL_PAGE=0x101,LOADER=generic,PAE=yes[extended-cr3]")),
  };
  const bz = debian();
  out["bzimage-debian-head"] = w64(bz.subarray(0, MAX - 1)); // its payload cut short
  const setup = ((bz[0x1f1] || 4) + 1) * 512;
  const off = setup + bz.readUInt32LE(0x248);
  const vmlinux = tool("xz", ["-dc", "--single-stream"], bz.subarray(off, off + bz.readUInt32LE(0x24c)));
  out["vmlinux-debian-headers-notes"] = w64(vmlinuxHeaders(vmlinux));
  const mach = readFileSync(gnuMach());
  out["gnumach-1.8-xen-486-head"] = w32(mach.subarray(0, MAX - 1));
  for (const f of ["gnumach-xen-amd64-2_1.8+git20221224-2-fixed.elf"]) {
    const p = join(ROOT, "build/cache/kernels", f);
    if (existsSync(p)) out["gnumach-amd64-head"] = w64(readFileSync(p).subarray(0, MAX - 1));
  }
  return { ...out, ...kernelRegressions() };
}

export function kernelRegressions(): Record<string, Buffer> {
  const elf = pvElf(0x40);
  const bad = Buffer.from(elf);
  bad.writeBigUInt64LE(0xffffffffffff0000n, 64 + 8); // the PT_LOAD's offset far past the file
  const wrap = Buffer.from(elf);
  wrap.writeBigUInt64LE(0xfffffffffffff000n, 64 + 24); // p_paddr near the top: paddr + memsz wraps
  const manyPh = Buffer.from(elf);
  manyPh.writeUInt16LE(0xffff, 56);
  return {
    "hand-empty-64.bin": Buffer.from([1]),
    "hand-elf-load-past-file.bin": w64(bad),
    "hand-elf-paddr-wraps.bin": w64(wrap),
    "hand-elf-65535-phdrs.bin": w64(manyPh),
    "hand-bzimage-header-only.bin": w64(bzImage(Buffer.alloc(0), 0).subarray(0, 0x300)),
    "hand-xen-guest-no-terminator.bin": w32(xenGuestElf32("GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=").subarray(0, 0x1000 + 0x1000 + 40)),
  };
}

// ---- multiboot -----------------------------------------------------------------------------

// Input: n, n u32 sizes, then the command lines separated by '\n' (src/fuzz/multiboot.ts).
function pkg(sizes: number[], lines: string[]): Buffer {
  const s = Buffer.alloc(4 * sizes.length);
  sizes.forEach((v, i) => s.writeUInt32LE(v, 4 * i));
  return Buffer.concat([Buffer.from([sizes.length]), s, Buffer.from(lines.join("\n"))]);
}

export function multibootSeeds(): Record<string, Buffer> {
  // The Hurd's module lines as its menu.lst has them (test/config/hurd.lst).
  const hurd = readFileSync(join(ROOT, "test/config/hurd.lst"), "utf8").split("\n")
    .map((l) => l.trim()).filter((l) => l.startsWith("module")).map((l) => l.replace(/^module\s+/, ""));
  return {
    "hurd-modules": pkg(hurd.map((_, i) => [614400, 1048576, 123457, 5000][i % 4]), hurd),
    "gnumach-test-modules": pkg([123457, 5000, 4096], ["/boot/m1.bin --alpha", "/boot/m2.bin beta gamma", "/boot/m3.bin"]),
    ...multibootRegressions(),
  };
}

export function multibootRegressions(): Record<string, Buffer> {
  return {
    "hand-no-modules.bin": pkg([], []),
    "hand-eight-empty.bin": pkg([0, 0, 0, 0, 0, 0, 0, 0], ["", "", "", "", "", "", "", ""]),
    "hand-line-4095.bin": pkg([1], ["x".repeat(4095)]),
    "hand-line-4096.bin": pkg([1], ["x".repeat(4096)]),
    "hand-page-sizes.bin": pkg([4096, 4095, 4097, 1048576], ["a", "b", "c", "d"]),
  };
}

// ---- grubcfg -------------------------------------------------------------------------------

// Input of src/fuzz/grubcfg.ts: grub.cfg, then files as "\0PATH\nTEXT" on (hd0,0).
export function grubInput(cfg: string, files: Record<string, string | Buffer> = {}): Buffer {
  const parts: Buffer[] = [Buffer.from(cfg, "latin1")];
  for (const [p, t] of Object.entries(files)) parts.push(Buffer.from(`\0${p}\n`, "latin1"), Buffer.isBuffer(t) ? t : Buffer.from(t, "latin1"));
  return Buffer.concat(parts);
}

// A file of an ext partition of a cached image, by debugfs; null when missing.
function debugfsCat(img: string, offset: number, path: string): Buffer | null {
  try {
    const b = execFileSync("debugfs", ["-R", `cat ${path}`, `${img}?offset=${offset}`], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 20 });
    return b.length > 0 ? b : null;
  } catch {
    return null;
  }
}

function debugfsList(img: string, offset: number, dir: string): string[] {
  try {
    const out = execFileSync("debugfs", ["-R", `ls -p ${dir}`, `${img}?offset=${offset}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return out.split("\n").map((l) => l.split("/")[5]).filter((n) => n && n !== "." && n !== "..");
  } catch {
    return [];
  }
}

// The grub.cfg, grubenv and Boot Loader Spec files that grub-mkconfig and kernel-install
// wrote on the disks of scripts/images/grub-guests.sh (build/cache/grub-guests, made by
// test/grubcfg-guests.test.ts; skipped when not built), and hand-made scripts using every
// construct the evaluator knows.
export function grubcfgSeeds(): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const dir = join(ROOT, "build/cache/grub-guests");
  const P1 = 2048 * 512;
  for (const v of ["sub", "flat", "path", "gptboot", "xen"]) {
    const img = join(dir, `${v}.img`);
    if (!existsSync(`${img}.ok`)) continue;
    const cfg = debugfsCat(img, P1, "/boot/grub/grub.cfg");
    if (!cfg) continue;
    const env = debugfsCat(img, P1, "/boot/grub/grubenv");
    out[`mkconfig-${v}.bin`] = grubInput(cfg.toString("latin1"), env ? { "/boot/grub/grubenv": env } : {});
  }
  for (const v of ["bls", "fedora", "xenbls"]) {
    const img = join(dir, `${v}.img`);
    if (!existsSync(`${img}.ok`)) continue;
    const files: Record<string, Buffer> = {};
    for (const n of debugfsList(img, P1, "/loader/entries")) {
      const b = debugfsCat(img, P1, `/loader/entries/${n}`);
      if (b) files[`/loader/entries/${n}`] = b;
    }
    for (const p of ["/loader/loader.conf", "/grub2/grubenv", "/grub/grubenv"]) {
      const b = debugfsCat(img, P1, p);
      if (b) files[p] = b;
    }
    const cfg = debugfsCat(img, P1, "/grub2/grub.cfg") ?? debugfsCat(img, P1, "/grub/grub.cfg");
    if (Object.keys(files).length > 0) out[`kernel-install-${v}.bin`] = grubInput(cfg ? cfg.toString("latin1") : "blscfg\n", files);
  }
  out["hand-constructs.bin"] = grubInput(
    "set default=\"1>0\"\nset timeout=5\nset fallback=\"0 2\"\nload_env\nif [ \"${next_entry}\" ] ; then\n  set default=\"${next_entry}\"\n  set next_entry=\n  save_env next_entry\nfi\n" +
    "function f {\n  if [ \"$1\" = x ]; then return 0; fi\n  set y=\"$1$1\"\n}\nf a\nfor i in 1 2 3; do echo $i; done\nx=0\nwhile [ $x != 111 ]; do x=1$x; done\n" +
    "search --no-floppy --fs-uuid --set=root 0123-4567\nsource /boot/grub/extra.cfg\n" +
    "menuentry 'A' --class debian --id a-id {\n  set root='hd0,msdos1'\n  linux /vmlinuz root=/dev/xvda1 ro $y\n  initrd /initrd.img /more.img\n}\n" +
    "submenu 'Advanced' $menuentry_id_option 'adv' {\n  menuentry 'B' 'arg1' {\n    echo $1\n    linux16 /boot/vmlinuz-b\n  }\n  submenu 'deeper' {\n    menuentry C {\n      multiboot /boot/gnumach.gz root=device:hd0s1\n      module /hurd/ext2fs.static ext2fs --readonly\n    }\n  }\n}\n" +
    "menuentry 'chain' { configfile /boot/grub/other.cfg }\nblscfg\n",
    {
      "/boot/grub/grubenv": "# GRUB Environment Block\nsaved_entry=adv>C\nnext_entry=\n" + "#".repeat(900),
      "/boot/grub/extra.cfg": "set timeout_style=hidden\nmenuentry 'from extra' { linux /x }\n",
      "/loader/entries/a-1.conf": "title Fedora (6.1)\nversion 6.1\nlinux /vmlinuz-6.1\ninitrd /initramfs-6.1.img\noptions root=UUID=x ro\n",
      "/loader/entries/b-2.conf": "title Other\nversion 6.10\nlinux /vmlinuz-6.10\noptions $kernelopts\n",
      "/loader/loader.conf": "default a-*\ntimeout 3\n",
    });
  return { ...out, ...grubcfgRegressions() };
}

export function grubcfgRegressions(): Record<string, Buffer> {
  const nest = (n: number) => "submenu s {\n".repeat(n) + "menuentry e { linux /k }\n" + "}\n".repeat(n);
  return {
    "hand-empty.bin": Buffer.alloc(0),
    // Found by the first run of the seeds: a loop that keeps growing a variable took
    // memory quadratic in MAX_STEPS (the stub allocator's 256 MiB ran out); now bounded by
    // MAX_EXPANDED (src/config/grubcfg/eval.ts).
    "crash-growing-variable-oom.bin": grubInput("x=0\nwhile [ $x != 111 ]; do x=1$x; done\nmenuentry 'after' {\n linux /k\n}\n"),
    // Found by the first libFuzzer run (minimized): an entry cut short by a syntax error was
    // kept and run without its body (an index out of range); the parser now drops it.
    "crash-submenu-without-body.bin": grubInput("submenu s"),
    "hand-cut-short.bin": grubInput("menuentry m\nfunction f\nf\nif true; then\n menuentry x { linux /k }\n"),
    "hand-recursion.bin": grubInput("function f {\n  f\n}\nf\nmenuentry 'ok' {\n linux /k\n}\n"),
    "hand-source-self.bin": grubInput("source /boot/grub/grub.cfg\nmenuentry x { source /boot/grub/grub.cfg }\n"),
    "hand-endless-while.bin": grubInput("while true; do\n  set x=y\ndone\nmenuentry 'after' {\n linux /k\n}\n"),
    "hand-submenus-40.bin": grubInput(nest(40) + "set default='0>0>0>0>0>0>0>0>0>0>0>0>0>0>0>0>0>0>0>0>0'\n"),
    "hand-default-submenu.bin": grubInput("set default=1\nmenuentry a { linux /a }\nsubmenu s {\n submenu t {\n }\n}\n"),
    "hand-unterminated.bin": grubInput("menuentry 'x {\n linux /k\n if [ a ; then\n \"\n"),
    "hand-entries-300.bin": grubInput("menuentry e { linux /k }\n".repeat(300) + "set default=299\nset fallback='298 299 300 -1'\n"),
    "hand-bls-garbage.bin": grubInput("blscfg\n", {
      "/loader/entries/x.conf": "linux\ntitle\n\0\xff\ninitrd\n",
      "/loader/entries/.hidden.conf": "linux /k\n",
      "/loader/entries/dir.conf/y": "z",
      "/loader/loader.conf": "default *\ntimeout menu-force\n",
      "/grub2/grubenv": "saved_entry\n=\n",
    }),
  };
}

// ---- xenbus --------------------------------------------------------------------------------

// Input of src/fuzz/xenbus.ts: flags (bit 0 x86_32, bits 1-2 disks - 1), per disk u32 sectors,
// max-ring-page-order, feature-max-indirect-segments / 2, disk flags; then the backends' script.
function xbDisk(sectors: number, order = 0, indirect = 0, flags = 0): Buffer {
  const b = Buffer.alloc(7);
  b.writeUInt32LE(sectors >>> 0, 0);
  b[4] = order;
  b[5] = indirect;
  b[6] = flags;
  return b;
}

function xb(flags: number, disks: Buffer[], script: number[] = []): Buffer {
  return Buffer.concat([Buffer.from([flags]), ...disks, Buffer.from(script)]);
}

// Backends as Linux's blkback and xenstored answer (no script), at both widths, with one to
// four disks, multi-page rings, indirect segments, 4096-byte sectors; and scripts that send
// each kind of broken answer once.
export function xenbusSeeds(): Record<string, Buffer> {
  return {
    "normal-one.bin": xb(0, [xbDisk(2048)]),
    "normal-pv32-two.bin": xb(1 | 2, [xbDisk(4096, 2, 16), xbDisk(800, 1, 0, 1)]),
    "normal-four.bin": xb(6, [xbDisk(100000, 2, 64), xbDisk(64, 0, 0, 1), xbDisk(8), xbDisk(4096, 0, 0, 4)]),
    "script-xs-errors.bin": xb(0, [xbDisk(2048, 1, 64)], [0xc0, 3, 0xc1, 5, 0x45, 0x4e, 0x4f, 0x45, 0x4e, 0xc2, 3, 2, 0x41, 0x42]),
    "script-xs-raw.bin": xb(0, [xbDisk(2048)], [0xc3, 20, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0]),
    "script-xs-silent-stale-watch.bin": xb(0, [xbDisk(2048)], [0, 0, 0xc4, 0xc5, 3, 2, 0x31, 0x32, 0xc7, 4, 0x61, 0x62, 0x63, 0x64, 1, 0x74]),
    "script-xs-rsp-prod.bin": xb(0, [xbDisk(2048)], [0, 0, 0, 0xc6, 0x80]),
    "script-blk-statuses.bin": xb(2, [xbDisk(4096, 2, 64), xbDisk(4096)], [...Array(40).fill(0), 0xe0, 0xe1, 0xe2, 0xff, 0x7f, 0xe3, 1, 0, 0, 0xe4, 0xe5, 7]),
  };
}

export function xenbusRegressions(): Record<string, Buffer> {
  return {
    "hand-empty.bin": Buffer.alloc(0),
    "hand-no-backend-id.bin": xb(0, [xbDisk(2048, 0, 0, 4)]),
    "hand-huge-disk-order-7.bin": xb(0, [xbDisk(0xffffffff, 7, 255, 3)]),
    "hand-all-silent.bin": xb(0, [xbDisk(2048)], Array(64).fill(0xc4)),
    "hand-blk-wrong-ids.bin": xb(0, [xbDisk(2048)], [...Array(40).fill(0), ...Array(32).fill(0xe3)]),
  };
}

// ---- layout --------------------------------------------------------------------------------

// Input of src/fuzz/layout.ts: flags (bit 0 x86_64, bit 1 modules, bit 2 neither), u32 domain
// pages, the initrd's size or the modules' count and sizes, u16 command line length, the kernel.
function layoutHeader(flags: number, pages: number, sizes: number[] | number, cmdLen: number): Buffer {
  const parts: Buffer[] = [Buffer.from([flags])];
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
  parts.push(u32(pages));
  if (Array.isArray(sizes)) parts.push(Buffer.from([sizes.length]), ...sizes.map(u32));
  else parts.push(u32(sizes));
  const c = Buffer.alloc(2);
  c.writeUInt16LE(cmdLen);
  parts.push(c);
  return Buffer.concat(parts);
}

// The kernel target's whole kernels (the test PV ELF plain, gzipped and in Debian's bzImage
// setup, the i386 __xen_guest ELF) in domains of 16 to 512 MiB, with an initrd, the Hurd's
// module sizes, nothing, and command lines at and over start_info's limit.
export function layoutSeeds(): Record<string, Buffer> {
  const k = kernelSeeds();
  const out: Record<string, Buffer> = {};
  const whole = ["pv-elf", "pv-elf-32-domain", "pv-elf-gzip", "bzimage-debian-setup-gzip", "bzimage-debian-setup-xz", "xen-guest-elf32"];
  for (const name of whole) {
    const kb = k[name];
    if (!kb) continue;
    const w = kb[0] & 1;
    const file = kb.subarray(1);
    out[`${name}-128m-initrd`] = Buffer.concat([layoutHeader(w, 32768, 4 << 20, 100), file]);
    out[`${name}-16m-modules`] = Buffer.concat([layoutHeader(w | 2, 4096, [180000, 900000, 4096, 0], 1023), file]);
    out[`${name}-512m-none-cmdline-1024`] = Buffer.concat([layoutHeader(w | 4, 131072, 0, 1024), file]);
  }
  return out;
}

export function layoutRegressions(): Record<string, Buffer> {
  const k = kernelSeeds();
  const elf = k["pv-elf"].subarray(1);
  const e32 = k["xen-guest-elf32"].subarray(1);
  return {
    "hand-empty.bin": Buffer.alloc(0),
    "hand-64-pages.bin": Buffer.concat([layoutHeader(1, 64, 1 << 20, 10), elf]),
    // Found by the first run of these inputs: a 4 GiB domain's per-pfn scratch (6 MiB) was kept
    // memory, which pinned the attempt's memory: the attempt gave nothing back
    // (src/loader/layout.ts now takes it from the attempt).
    "crash-4g-domain-layout-memory-kept.bin": Buffer.concat([layoutHeader(1, 1 << 20, 16 << 20, 0), elf]),
    "hand-32-modules-tight.bin": Buffer.concat([layoutHeader(2, 2048, [1 << 20, 1 << 20, 1 << 20, 1 << 20], 0), e32]),
  };
}
