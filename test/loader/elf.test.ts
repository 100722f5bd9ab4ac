// The kernel-format readers on real kernels: pvboot's own image (Xen notes in a PT_NOTE
// segment), Debian 12's kernel (a bzImage whose xz payload is an ELF with PT_NOTE notes),
// GNU Mach (notes only in a SHT_NOTE section), and hand-made legacy (__xen_guest), 32-bit,
// note-less and damaged images. Expected values come from binutils (readelf, objcopy) and
// xz, not from the code under test.

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseElf, parseBzImage, ROOT } from "./wasm";
import { debianKernel, gnuMach } from "../../scripts/kernels/fetch";

const work = mkdtempSync(join(tmpdir(), "pvboot-loader-"));

// readelf -lW's LOAD lines: offset, vaddr, paddr, filesz, memsz.
function readelfLoads(file: string) {
  const out = execFileSync("readelf", ["-lW", file], { encoding: "utf8" });
  return [...out.matchAll(/^\s+LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)/gm)]
    .map((m) => ({ offset: BigInt(m[1]), vaddr: BigInt(m[2]), paddr: BigInt(m[3]), filesz: BigInt(m[4]), memsz: BigInt(m[5]) }));
}

// The "Xen" notes of a section, dumped by objcopy and split here: type -> desc bytes.
function xenNotes(file: string, section: string): Map<number, Buffer> {
  const out = join(work, "notes.bin");
  execFileSync("objcopy", ["-O", "binary", `--dump-section`, `${section}=${out}`, file, join(work, "discard")]);
  const b = readFileSync(out);
  const notes = new Map<number, Buffer>();
  for (let at = 0; at + 12 <= b.length;) {
    const namesz = b.readUInt32LE(at), descsz = b.readUInt32LE(at + 4), type = b.readUInt32LE(at + 8);
    const name = b.subarray(at + 12, at + 12 + namesz).toString("latin1");
    const desc = at + 12 + ((namesz + 3) & ~3);
    if (name === "Xen\0") notes.set(type, b.subarray(desc, desc + descsz));
    at = desc + ((descsz + 3) & ~3);
  }
  return notes;
}
const num = (b: Buffer | undefined) => (b ? "0x" + (b.length === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUIntLE(0, b.length))).toString(16) : undefined);
const str = (b: Buffer | undefined) => (b ? b.toString("latin1").replace(/\0.*$/s, "") : undefined);
const hex = (v: bigint) => "0x" + v.toString(16);

function checkAgainstBinutils(file: string, section: string, j: any) {
  const loads = readelfLoads(file);
  expect(j.loads.map((l: any) => [l.offset, l.vaddr, l.paddr, l.filesz, l.memsz]))
    .toEqual(loads.map((l) => [hex(l.offset), hex(l.vaddr), hex(l.paddr), hex(l.filesz), hex(l.memsz)]));
  const n = xenNotes(file, section);
  expect(j.xen.guestOs).toBe(str(n.get(6)));
  expect(j.xen.xenVersion).toBe(str(n.get(5)));
  expect(j.xen.loader).toBe(str(n.get(8)) ?? "");
  expect(j.xen.virtBase).toBe(num(n.get(3)));
  expect(j.xen.entry).toBe(num(n.get(1)));
  expect(j.xen.hypercallPage).toBe(num(n.get(2)) ?? null);
  if (n.has(4)) expect(j.xen.paddrOffset).toBe(num(n.get(4)));
  if (n.has(10)) expect(j.xen.features).toBe(str(n.get(10)));
  if (n.has(15)) expect(j.xen.initP2m).toBe(num(n.get(15)));
  if (n.has(16)) expect(j.xen.modStartPfn).toBe(num(n.get(16)) !== "0x0");
  const pstart = loads.reduce((m, l) => (l.paddr < m ? l.paddr : m), loads[0].paddr);
  const virtOffset = BigInt(j.xen.virtBase) - BigInt(j.xen.paddrOffset);
  expect(j.xen.virtKstart).toBe(hex(pstart + virtOffset));
}

describe("ELF kernels with Xen notes", () => {
  let vmlinux = "";
  let bz: Buffer;
  beforeAll(() => {
    bz = readFileSync(debianKernel());
    const b = parseBzImage(bz);
    expect(b.error).toBeNull();
    vmlinux = join(work, "vmlinux");
    writeFileSync(join(work, "payload.xz"), bz.subarray(b.payloadOffset, b.payloadOffset + b.payloadLength));
    // The payload is one xz stream followed by the kernel's 4-byte size: --single-stream.
    writeFileSync(vmlinux, execFileSync("xz", ["-dc", "--single-stream", join(work, "payload.xz")], { maxBuffer: 256 << 20 }));
  }, 120_000);

  it("finds the xz payload of Debian's bzImage (boot protocol 2.15)", () => {
    const b = parseBzImage(bz);
    expect(b.protocol).toBeGreaterThanOrEqual(0x20f);
    expect(bz.subarray(b.payloadOffset, b.payloadOffset + 6)).toEqual(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    expect(readFileSync(vmlinux).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(b.initSize).toBeGreaterThan(readFileSync(vmlinux).length / 2);
  });

  it("reads Debian's vmlinux: PT_NOTE notes, segments, entry, hypercall page", () => {
    const j = parseElf(readFileSync(vmlinux));
    expect(j.error).toBeNull();
    expect(j.xen.error).toBeNull();
    expect(j.xen.source).toBe("PT_NOTE");
    expect(j.class).toBe(64);
    expect(j.xen.guestOs).toBe("linux");
    expect(j.xen.virtBase).toBe("0xffffffff80000000");
    checkAgainstBinutils(vmlinux, ".notes", j);
  });

  it("reads GNU Mach as Xen does: its notes are misnamed, so the __xen_guest string counts", () => {
    const f = gnuMach();
    const j = parseElf(readFileSync(f));
    expect(j.error).toBeNull();
    expect(j.noteSegments).toBe(0);
    expect(j.noteSections).toBe(1);
    // GNU Mach 1.8's .note.Xen entries carry the name "name", not "Xen": libxenguest skips
    // them and falls back to the legacy string, and so must we.
    expect(xenNotes(f, ".note.Xen").size).toBe(0);
    expect(j.xen.error).toBeNull();
    expect(j.xen.source).toBe("__xen_guest");
    const out = join(work, "guest.bin");
    execFileSync("objcopy", ["-O", "binary", "--dump-section", `__xen_guest=${out}`, f, join(work, "discard")]);
    const kv = new Map(readFileSync(out, "latin1").replace(/\0.*$/s, "").split(",").map((i) => i.split("=") as [string, string]));
    expect(j.xen.guestOs).toBe(kv.get("GUEST_OS"));
    expect(j.xen.loader).toBe(kv.get("LOADER"));
    expect(j.xen.virtBase).toBe(hex(BigInt(kv.get("VIRT_BASE")!)));
    expect(j.xen.paddrOffset).toBe(hex(BigInt(kv.get("ELF_PADDR_OFFSET")!)));
    expect(j.xen.hypercallPage).toBe(hex(BigInt(kv.get("VIRT_BASE")!) + (BigInt(kv.get("HYPERCALL_PAGE")!) << 12n)));
    const loads = readelfLoads(f);
    expect(j.loads.map((l: any) => l.paddr)).toEqual(loads.map((l) => hex(l.paddr)));
    expect(j.xen.entry).toBe(hex(BigInt(execFileSync("readelf", ["-hW", f], { encoding: "utf8" }).match(/Entry point address:\s+(0x[0-9a-f]+)/)![1])));
  });

  it("reads pvboot's own image", () => {
    const f = join(ROOT, "build/pvboot-x86_64.elf");
    if (!existsSync(f)) execFileSync("make", ["-s"], { cwd: ROOT, stdio: "pipe" });
    const j = parseElf(readFileSync(f));
    expect(j.xen.error).toBeNull();
    expect(j.xen.guestOs).toBe("pvboot");
    expect(j.xen.features).toBe("!writable_page_tables");
    expect(j.xen.featuresRequired).toBe(1);
    checkAgainstBinutils(f, ".note.Xen", j);
  });

  it("refuses a 64-bit kernel for a 32-bit domain and says which", () => {
    const j = parseElf(readFileSync(gnuMach()), 32);
    expect(j.xen.error).toBe("a 64-bit (x86_64) kernel: this is pvboot-x86_32.elf, which boots 32-bit PV domains, and a PV domain keeps the width it started with; " +
      "boot this kernel with pvboot-x86_64.elf (kernel = \"pvboot-x86_64.elf\" in the domain's config)");
  });
});

// A minimal ELF32 or ELF64 executable: one PT_LOAD, optionally a section table with a
// __xen_guest section or a Xen FEATURES note.
function makeElf(opts: { is64: boolean; machine: number; guest?: string; notes?: [number, Buffer][] }): Buffer {
  const { is64 } = opts;
  const eh = is64 ? 64 : 52, ph = is64 ? 56 : 32, sh = is64 ? 64 : 40;
  const code = Buffer.alloc(0x100, 0x90);
  const guest = Buffer.from((opts.guest ?? "") + "\0", "latin1");
  const noteBuf = Buffer.concat((opts.notes ?? []).map(([type, desc]) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(4, 0); h.writeUInt32LE(desc.length, 4); h.writeUInt32LE(type, 8); h.write("Xen\0", 12, "latin1");
    return Buffer.concat([h, desc, Buffer.alloc((4 - (desc.length % 4)) % 4)]);
  }));
  const shstr = Buffer.from("\0__xen_guest\0.note.Xen\0", "latin1");
  const codeOff = 0x1000, guestOff = codeOff + code.length, noteOff = guestOff + guest.length + 3 & ~3;
  const strOff = noteOff + noteBuf.length, shOff = strOff + shstr.length + 7 & ~7;
  const nsec = 4; // null, __xen_guest, .note.Xen, .shstrtab
  const b = Buffer.alloc(shOff + nsec * sh);
  b.write("\x7fELF", 0, "latin1");
  b[4] = is64 ? 2 : 1; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16); b.writeUInt16LE(opts.machine, 18); b.writeUInt32LE(1, 20);
  const base = is64 ? 0xffffffff80000000n : 0xc0000000n;
  const w = (off: number, v: bigint) => (is64 ? b.writeBigUInt64LE(v, off) : b.writeUInt32LE(Number(v), off));
  if (is64) {
    // Linux's layout: physical addresses from 16 MiB, virtual = physical + VIRT_BASE.
    w(24, base + 0x1000000n); w(32, BigInt(eh)); w(40, BigInt(shOff));
    b.writeUInt16LE(eh, 52); b.writeUInt16LE(ph, 54); b.writeUInt16LE(1, 56); b.writeUInt16LE(sh, 58); b.writeUInt16LE(nsec, 60); b.writeUInt16LE(3, 62);
    b.writeUInt32LE(1, eh); b.writeUInt32LE(5, eh + 4); w(eh + 8, BigInt(codeOff)); w(eh + 16, base + 0x1000000n); w(eh + 24, 0x1000000n);
    w(eh + 32, BigInt(code.length)); w(eh + 40, 0x2000n);
  } else {
    w(24, base); w(28, BigInt(eh)); w(32, BigInt(shOff));
    b.writeUInt16LE(eh, 40); b.writeUInt16LE(ph, 42); b.writeUInt16LE(1, 44); b.writeUInt16LE(sh, 46); b.writeUInt16LE(nsec, 48); b.writeUInt16LE(3, 50);
    b.writeUInt32LE(1, eh); w(eh + 4, BigInt(codeOff)); w(eh + 8, base); w(eh + 12, base); w(eh + 16, BigInt(code.length)); w(eh + 20, 0x2000n); b.writeUInt32LE(5, eh + 24);
  }
  code.copy(b, codeOff); guest.copy(b, guestOff); noteBuf.copy(b, noteOff); shstr.copy(b, strOff);
  const section = (i: number, name: number, type: number, off: number, size: number) => {
    const s = shOff + i * sh;
    b.writeUInt32LE(name, s); b.writeUInt32LE(type, s + 4);
    if (is64) { b.writeBigUInt64LE(BigInt(off), s + 24); b.writeBigUInt64LE(BigInt(size), s + 32); }
    else { b.writeUInt32LE(off, s + 16); b.writeUInt32LE(size, s + 20); }
  };
  if (opts.guest !== undefined) section(1, 1, 1, guestOff, guest.length);
  if (noteBuf.length) section(2, 13, 7, noteOff, noteBuf.length);
  section(3, 0, 3, strOff, shstr.length);
  return b;
}

describe("hand-made kernels", () => {
  it("reads a legacy __xen_guest string (VIRT_BASE, default PADDR_OFFSET, HYPERCALL_PAGE in pages)", () => {
    const j = parseElf(makeElf({ is64: false, machine: 3, guest: "GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,HYPERCALL_PAGE=0x1,PAE=yes[extended-cr3]" }), 32);
    expect(j.xen.error).toBeNull();
    expect(j.xen.source).toBe("__xen_guest");
    expect(j.xen.virtBase).toBe("0xc0000000");
    expect(j.xen.paddrOffset).toBe("0xc0000000"); // libxenguest's legacy default
    expect(j.xen.virtKstart).toBe("0xc0000000");
    expect(j.xen.hypercallPage).toBe("0xc0001000");
    expect(j.xen.paeMode).toBe("yes[extended-cr3]");
  });

  it("refuses a 32-bit kernel for a 64-bit domain, and a kernel without Xen notes", () => {
    const legacy32 = makeElf({ is64: false, machine: 3, guest: "GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,PAE=yes" });
    expect(parseElf(legacy32, 64).xen.error).toMatch(/^a 32-bit \(x86_32\) kernel: this is pvboot-x86_64.elf, which boots 64-bit PV domains, .* boot this kernel with pvboot-x86_32.elf/);
    const bare = makeElf({ is64: true, machine: 62 });
    expect(parseElf(bare).xen.error).toMatch(/no Xen notes .* cannot run as a Xen PV guest/);
  });

  it("refuses a required feature nobody knows, and a foreign loader", () => {
    const ver = Buffer.from("xen-3.0\0"), gen = Buffer.from("generic\0");
    const vb = Buffer.alloc(8); vb.writeBigUInt64LE(0xffffffff80000000n);
    const j = parseElf(makeElf({ is64: true, machine: 62, notes: [[5, ver], [8, gen], [3, vb], [10, Buffer.from("!no_such_feature\0")]] }));
    expect(j.xen.error).toMatch(/requires Xen feature 'no_such_feature'/);
    const k = parseElf(makeElf({ is64: true, machine: 62, notes: [[5, ver], [8, Buffer.from("bsd\0")], [3, vb]] }));
    expect(k.xen.error).toMatch(/loader 'bsd'/);
    const ok = parseElf(makeElf({ is64: true, machine: 62, notes: [[5, ver], [8, gen], [3, vb]] }));
    expect(ok.xen.error).toBeNull();
    expect(ok.xen.source).toBe("SHT_NOTE");
  });

  it("never traps on truncated or damaged kernels", () => {
    const good = readFileSync(gnuMach()).subarray(0, 0x80000);
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(good.subarray(0, i % 3 === 0 ? Math.floor(rnd() * good.length) : good.length));
      const flips = 1 + Math.floor(rnd() * 8);
      for (let f = 0; f < flips && b.length > 0; f++) b[Math.floor(rnd() * Math.min(b.length, 0x200))] ^= 1 << Math.floor(rnd() * 8);
      const j = parseElf(b);
      if (j.error === null && j.xen.error === null) expect(BigInt(j.xen.entry) >= BigInt(j.xen.virtKstart)).toBe(true);
    }
    const bz = readFileSync(debianKernel());
    const end = (bz[0x1f1] + 1) * 512 + bz.readUInt32LE(0x248) + bz.readUInt32LE(0x24c); // the payload's end
    for (const cut of [0, 0x1f0, 0x203, 0x250, 0x4000, end - 1]) expect(parseBzImage(bz.subarray(0, cut)).error).not.toBeNull();
  });
});

process.on("exit", () => rmSync(work, { recursive: true, force: true }));
