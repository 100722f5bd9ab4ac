// The pieces the GNU Mach tests on real Xen are built from, checked without Xen: the
// multiboot module package a directly booted GNU Mach reads, the module cut at its last
// segment, the Hurd-style disk with its menu.lst and grub.cfg, and the patch that removes
// GNU Mach's store into its pinned page directory (test/xen/gnumach*.test.ts boot them).

import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cutAtLastSegment, grubModuleLine, hurdModules, machDisk, modulePackage } from "../scripts/xen-host/mach";
import { fixPinnedStore, STORE_PATCH } from "../scripts/kernels/gnumach";

// A minimal ELF32 executable: header, two PT_LOAD headers, their bytes, then 100 bytes of
// "section data" that the cut must drop.
function elf32(): Buffer {
  const b = Buffer.alloc(0x300 + 100);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 1; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16); b.writeUInt16LE(3, 18);
  b.writeUInt32LE(52, 28); b.writeUInt16LE(32, 42); b.writeUInt16LE(2, 44);
  const ph = (i: number, off: number, filesz: number) => {
    const p = 52 + i * 32;
    b.writeUInt32LE(1, p); b.writeUInt32LE(off, p + 4); b.writeUInt32LE(filesz, p + 16);
  };
  ph(0, 0x100, 0x80);
  ph(1, 0x200, 0x100); // ends at 0x300
  return b;
}

describe("GNU Mach plumbing", () => {
  it("lays out the module package as GNU Mach's Xen boot reads it (exclusive mod_end; inclusive on request)", () => {
    const a = Buffer.alloc(5000, 1), c = Buffer.from("xyz");
    const pkg = modulePackage([{ data: a, cmdline: "/boot/a one $(task-create)" }, { data: c, cmdline: "/boot/c" }]);
    const d = (i: number, f: number) => pkg.readUInt32LE(i * 16 + f * 4);
    expect([d(0, 0), d(0, 1), d(1, 0), d(1, 1)]).toEqual([4096, 4096 + 5000, 12288, 12288 + 3]);
    expect([d(2, 0), d(2, 1), d(2, 2), d(2, 3)]).toEqual([0, 0, 0, 0]); // the terminator
    expect(d(0, 2) % 4096).toBe(0);
    expect(d(1, 2)).toBe(d(0, 2) + 4096);
    expect(pkg.subarray(d(0, 2), pkg.indexOf(0, d(0, 2))).toString()).toBe("/boot/a one $(task-create)");
    expect(pkg.subarray(d(1, 2), pkg.indexOf(0, d(1, 2))).toString()).toBe("/boot/c");
    expect(pkg.subarray(d(0, 0), d(0, 1)).equals(a)).toBe(true);
    expect(pkg.length % 4096).toBe(0);
    const incl = modulePackage([{ data: a, cmdline: "x" }], { inclusiveEnd: true });
    expect(incl.readUInt32LE(4) - incl.readUInt32LE(0)).toBe(a.length - 1);
  });

  it("cuts an ELF right after its last loadable segment's bytes", () => {
    const e = elf32();
    expect(cutAtLastSegment(e).length).toBe(0x300);
    expect(() => cutAtLastSegment(cutAtLastSegment(e))).toThrow(/nothing after the last segment/);
  });

  it("makes the Hurd's disk: ext2 with the Hurd as creator OS, menu.lst and a grub.cfg with quoted $ words", () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-machdisk-"));
    try {
      writeFileSync(join(dir, "mach.gz"), Buffer.from([0x1f, 0x8b]));
      const mods = hurdModules({ file: "busybox", data: elf32() }, { file: "sash", data: elf32() });
      const img = machDisk(join(dir, "d.img"), join(dir, "root"), join(dir, "mach.gz"), mods, { grubCfg: true });
      const sb = readFileSync(img).subarray(1024 * 1024 + 1024, 1024 * 1024 + 2048);
      expect(sb.readUInt16LE(56)).toBe(0xef53);
      expect(sb.readUInt32LE(72)).toBe(1); // s_creator_os: EXT2_OS_HURD (mke2fs -o hurd)
      expect(readFileSync(join(dir, "root", "boot", "grub", "menu.lst"), "utf8")).toBe([
        "timeout 0", "title GNU/Hurd", "root (hd0,0)", "kernel /boot/gnumach.gz root=part:1:device:hd0",
        `module ${mods[0].line}`, `module ${mods[1].line}`, "",
      ].join("\n"));
      expect(mods[1].line).toBe("/boot/sash exec /hurd/exec $(exec-task=task-create)");
      const cfg = readFileSync(join(dir, "root", "boot", "grub", "grub.cfg"), "utf8");
      expect(cfg).toContain("  multiboot /boot/gnumach.gz root=part:1:device:hd0\n");
      expect(cfg).toContain("  module /boot/sash exec /hurd/exec '$(exec-task=task-create)'\n");
      expect(grubModuleLine("/x a ${b} -T c")).toBe("/x a '${b}' -T c");
      // Without grubCfg the disk has the Hurd's menu.lst only (the GNU Mach tests' disk).
      machDisk(join(dir, "e.img"), join(dir, "root2"), join(dir, "mach.gz"), mods);
      expect(existsSync(join(dir, "root2", "boot", "grub", "grub.cfg"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("removes the store into the pinned page directory only where its bytes occur exactly once", () => {
    for (const arch of ["i386", "amd64"] as const) {
      const p = STORE_PATCH[arch];
      const find = Buffer.from(p.find.replace(/\s+/g, ""), "hex");
      const image = Buffer.concat([Buffer.alloc(100, 0xcc), find, Buffer.alloc(100, 0xcc)]);
      const fixed = fixPinnedStore(image, arch);
      expect(fixed.length).toBe(image.length);
      for (const s of p.stores) {
        const at = 100 + s.at;
        expect(fixed.subarray(at, at + s.to.length / 2).toString("hex")).toBe(s.to);
      }
      // Only the stores changed, and each into NOPs (66 90, 0f 1f 00).
      const changed = [...image.keys()].filter((i) => image[i] !== fixed[i]).length;
      expect(changed).toBe(p.stores.reduce((n, s) => n + s.from.length / 2, 0));
      expect(() => fixPinnedStore(Buffer.alloc(300, 0xcc), arch)).toThrow(/not found/);
      expect(() => fixPinnedStore(Buffer.concat([image, image]), arch)).toThrow(/found 2 times/);
    }
  });
});
