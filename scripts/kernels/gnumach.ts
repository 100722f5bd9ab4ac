// Debian's GNU Mach Xen images (gnumach-image-1.8-xen-486, i386 and amd64) with one store
// removed, and the static programs the GNU Mach tests load as its multiboot modules.
//
// Why the patch: GNU Mach's i386at_init (i386/i386at/model_dep.c, the second "Keep BIOS
// memory mapped" assignment, after pmap_remove_temporary_mapping's loop) copies one page
// directory entry into another after the page directory has been pinned. Under Xen's PV ABI
// a pinned page table is read-only to the guest, so the store faults and GNU Mach panics
// before its console is up (scripts/xen-host/README.md). The line is the same at GNU Mach's
// head. Building GNU Mach from Debian's source with that line dropped would be the clean fix,
// but this archive does not serve gnumach's source files (`apt-get source gnumach`: 404 for
// its orig tarball), so the store itself is replaced by NOPs in Debian's binary:
//   i386 (PAE, 8-byte entries): `mov %ecx,(%eax)` and `mov %ebx,0x4(%eax)`, the two halves
//     of the one 64-bit assignment: 89 08 -> 66 90, 89 58 04 -> 0f 1f 00;
//   amd64: `mov %rdx,(%rax)`: 48 89 10 -> 0f 1f 00.
// Each is found by the bytes around it (the loads of the entry at kernel_page_dir + 0x3000 or
// + 0x1000 that feed the store, and the instructions next to it), which must occur exactly
// once in the image: anything else fails loudly, naming the image and the count. Everything
// else is GNU Mach as Debian ships it.
//
// Cached under build/cache/kernels/ by package version:
//   gnumach-xen-ARCH-VERSION-fixed.elf   the patched ELF
//   gnumach-xen-ARCH-VERSION-fixed.gz    the same, gzip -9n (what a guest's /boot holds)
//   gnumach-xen-ARCH-VERSION.elf         Debian's own, unpatched (the tests show it dies)
//
//   tsx scripts/kernels/gnumach.ts [i386|amd64]     prints the paths

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync, gzipSync, constants as zc } from "node:zlib";
import { aptDownload, binaryVersion } from "../xen-host/apt-private.ts";
import { candidateVersion, downloadDeb } from "../xen-host/build.ts";

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const KERNEL_CACHE = join(ROOT, "build/cache/kernels");
const PACKAGE = "gnumach-image-1.8-xen-486";

export type MachArch = "i386" | "amd64";

interface Patch {
  find: string;                          // hex bytes around the store, unique in the image
  stores: { at: number; from: string; to: string }[]; // offsets into `find`
}

export const STORE_PATCH: Record<MachArch, Patch> = {
  // mov 0x3000(%eax),%ecx; mov 0x3004(%eax),%ebx; mov %ecx,(%eax); xor %ecx,%ecx; mov %ebx,0x4(%eax)
  i386: {
    find: "8b8800300000 8b9804300000 8908 31c9 895804",
    stores: [{ at: 12, from: "8908", to: "6690" }, { at: 16, from: "895804", to: "0f1f00" }],
  },
  // mov $0x40000000,%edi; xor %esi,%esi; mov 0x1000(%rax),%rdx; mov %rdx,(%rax)
  amd64: {
    find: "bf00000040 31f6 488b9000100000 488910",
    stores: [{ at: 14, from: "488910", to: "0f1f00" }],
  },
};

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

// The image with the store replaced; throws unless its bytes occur exactly once.
export function fixPinnedStore(image: Buffer, arch: MachArch, name = `${PACKAGE}:${arch}`): Buffer {
  const p = STORE_PATCH[arch];
  const find = hex(p.find);
  const hits: number[] = [];
  for (let at = image.indexOf(find); at >= 0; at = image.indexOf(find, at + 1)) hits.push(at);
  if (hits.length !== 1) {
    throw new Error(`${name}: the page-directory store after the pin ("Keep BIOS memory mapped", i386at_init) was ` +
      `${hits.length === 0 ? "not found" : `found ${hits.length} times`} (bytes ${p.find}); this GNU Mach is not the one ` +
      `the patch was made for (scripts/kernels/gnumach.ts)`);
  }
  const out = Buffer.from(image);
  for (const s of p.stores) {
    const at = hits[0] + s.at;
    if (!out.subarray(at, at + s.from.length / 2).equals(hex(s.from))) throw new Error(`${name}: patch table broken at +${s.at}`);
    hex(s.to).copy(out, at);
  }
  return out;
}

export interface MachImage { elf: string; gz: string; original: string; version: string; arch: MachArch }

const safe = (v: string) => v.replace(/[^0-9A-Za-z.+~-]/g, "_");

export async function gnuMachXen(arch: MachArch): Promise<MachImage> {
  // i386 through the private apt configuration (the machine need not have i386 added).
  const version = arch === "i386" ? await binaryVersion(`${PACKAGE}:i386`) : await candidateVersion(PACKAGE);
  const base = join(KERNEL_CACHE, `gnumach-xen-${arch}-${safe(version)}`);
  const img: MachImage = { elf: `${base}-fixed.elf`, gz: `${base}-fixed.gz`, original: `${base}.elf`, version, arch };
  if (existsSync(img.elf) && existsSync(img.gz) && existsSync(img.original)) return img;

  mkdirSync(KERNEL_CACHE, { recursive: true });
  const work = join(KERNEL_CACHE, `tmp-gnumach-${arch}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const deb = arch === "i386" ? await aptDownload(`${PACKAGE}:i386`, work) : await downloadDeb(PACKAGE, work);
    await run("dpkg", ["-x", deb, join(work, "root")]);
    const original = gunzipSync(readFileSync(join(work, "root", "boot", "gnumach-1.8-xen-486.gz")));
    const fixed = fixPinnedStore(original, arch, `${PACKAGE}:${arch} ${version}`);
    writeFileSync(join(work, "original.elf"), original);
    renameSync(join(work, "original.elf"), img.original);
    writeFileSync(join(work, "fixed.elf"), fixed);
    writeFileSync(join(work, "fixed.gz"), gzipSync(fixed, { level: zc.Z_BEST_COMPRESSION }));
    renameSync(join(work, "fixed.gz"), img.gz);
    renameSync(join(work, "fixed.elf"), img.elf);
    return img;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// A static program from a Debian package, as the GNU Mach tests' modules: PKG:ARCH's FILE
// (e.g. busybox-static:i386, bin/busybox), cached as build/cache/kernels/static-ARCH-PKG-VERSION-NAME.
export async function staticProgram(pkgArch: string, file: string): Promise<string> {
  const [pkg, arch = "amd64"] = pkgArch.split(":");
  const version = arch === "amd64" ? await candidateVersion(pkg) : await binaryVersion(pkgArch);
  const out = join(KERNEL_CACHE, `static-${arch}-${pkg}-${safe(version)}-${file.split("/").pop()}`);
  if (existsSync(out)) return out;
  mkdirSync(KERNEL_CACHE, { recursive: true });
  const work = join(KERNEL_CACHE, `tmp-static-${pkg}-${arch}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const deb = arch === "amd64" ? await downloadDeb(pkg, work) : await aptDownload(pkgArch, work);
    await run("dpkg", ["-x", deb, join(work, "root")]);
    const data = readFileSync(join(work, "root", file));
    const machine = data.readUInt16LE(18);
    const want = arch === "i386" ? 3 : 62;
    if (data.subarray(0, 4).toString("latin1") !== "\x7fELF" || machine !== want || data.readUInt16LE(16) !== 2) {
      throw new Error(`${pkgArch} ${file}: not an ET_EXEC ELF for ${arch} (e_machine ${machine})`);
    }
    writeFileSync(`${out}.tmp`, data);
    renameSync(`${out}.tmp`, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const archs = (process.argv[2] ? [process.argv[2]] : ["i386", "amd64"]) as MachArch[];
  (async () => {
    for (const a of archs) {
      const m = await gnuMachXen(a);
      console.log(`${a} ${m.version}: ${m.elf} ${m.gz}`);
    }
  })().catch((e) => { console.error(`gnumach: ${e instanceof Error ? e.message : e}`); process.exit(1); });
}
