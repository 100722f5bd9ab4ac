// Real kernels for the tests and benchmarks, from Debian's mirror (apt-get download, dpkg -x),
// cached under build/cache/kernels/ and never committed:
//   debianKernel()  Debian 12's linux-image-amd64 vmlinuz (bzImage, xz payload)
//   gnuMach()       gnumach-image-1.8-xen-486's kernel, gunzipped (a 64-bit PV ELF)
//   gnuMach32()     the same package for i386 (gnumach-image-1.8-xen-486:i386), gunzipped: the
//                   32-bit PAE PV ELF the Hurd runs
//   busybox32()     busybox-static:i386's /bin/busybox: a real i386 static ELF program, for
//                   GNU Mach's multiboot modules
//   withDebianKernelPackage(fn)  fn(root) over that kernel package unpacked in a temporary
//                   directory (removed afterwards); its name is debianKernelPackage()
// The i386 packages need i386 as a dpkg foreign architecture: it is added (and the package
// lists updated) the first time one is fetched.
//
//   tsx scripts/kernels/fetch.ts [debian|gnumach|gnumach32|busybox32]   prints the path(s), fetching when needed

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { aptUpdateSync } from "../lib/apt.ts";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const KERNEL_CACHE = join(ROOT, "build/cache/kernels");

function aptDownload(pkg: string, dir: string): string {
  if (pkg.endsWith(":i386")) addI386();
  try {
    execFileSync("apt-get", ["download", pkg], { cwd: dir, stdio: "pipe" });
  } catch {
    aptUpdateSync();
    execFileSync("apt-get", ["download", pkg], { cwd: dir, stdio: "pipe" });
  }
  const debs = readdirSync(dir).filter((f) => f.endsWith(".deb"));
  if (debs.length !== 1) throw new Error(`apt-get download ${pkg}: expected one .deb, found ${debs.length}`);
  return join(dir, debs[0]);
}

function addI386(): void {
  const foreign = execFileSync("dpkg", ["--print-foreign-architectures"], { encoding: "utf8" });
  if (foreign.split(/\s+/).includes("i386")) return;
  execFileSync("dpkg", ["--add-architecture", "i386"], { stdio: "pipe" });
  aptUpdateSync();
}

// The one file under `dir` (recursively, relative path matching `re`).
function findFile(dir: string, re: RegExp): string {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (re.test(r)) out.push(join(d, e.name));
    }
  };
  walk(dir, "");
  if (out.length !== 1) throw new Error(`expected one file matching ${re} in the package, found ${out.length}`);
  return out[0];
}

// Fetch `pkg`, take the file matching `re` out of it (transformed by `conv`), cache it as `name`.
function cached(name: string, pkg: string, re: RegExp, conv: (b: Buffer) => Buffer = (b) => b): string {
  const out = join(KERNEL_CACHE, name);
  if (existsSync(out)) return out;
  mkdirSync(KERNEL_CACHE, { recursive: true });
  const work = join(KERNEL_CACHE, `tmp-${process.pid}-${name}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    const deb = aptDownload(pkg, work);
    const root = join(work, "root");
    execFileSync("dpkg", ["-x", deb, root], { stdio: "pipe" });
    writeFileSync(join(work, "file"), conv(readFileSync(findFile(root, re))));
    renameSync(join(work, "file"), out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// linux-image-amd64 is a metapackage: its dependency names the real image package.
export function debianKernelPackage(): string {
  const deps = execFileSync("apt-cache", ["depends", "linux-image-amd64"], { encoding: "utf8" });
  const m = deps.match(/Depends: (linux-image-[0-9][^\s]*-amd64)/);
  if (!m) throw new Error(`cannot find the kernel package linux-image-amd64 depends on:\n${deps}`);
  return m[1];
}

export function debianKernel(): string {
  const pkg = debianKernelPackage();
  return cached(`vmlinuz-${pkg.replace(/^linux-image-/, "")}`, pkg, /^boot\/vmlinuz-/);
}

export function withDebianKernelPackage<T>(fn: (root: string) => T): T {
  const pkg = debianKernelPackage();
  mkdirSync(KERNEL_CACHE, { recursive: true });
  const work = join(KERNEL_CACHE, `tmp-${process.pid}-${pkg}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    const deb = aptDownload(pkg, work);
    const root = join(work, "root");
    execFileSync("dpkg", ["-x", deb, root], { stdio: "pipe" });
    return fn(root);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function gnuMach(): string {
  return cached("gnumach-1.8-xen-486", "gnumach-image-1.8-xen-486", /^boot\/gnumach-1\.8-xen-486\.gz$/, (b) => gunzipSync(b));
}

export function gnuMach32(): string {
  return cached("gnumach-1.8-xen-486-i386", "gnumach-image-1.8-xen-486:i386", /^boot\/gnumach-1\.8-xen-486\.gz$/, (b) => gunzipSync(b));
}

export function busybox32(): string {
  return cached("busybox-static-i386", "busybox-static:i386", /^bin\/busybox$/);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const which = process.argv[2];
  if (which === undefined || which === "debian") console.log(debianKernel());
  if (which === undefined || which === "gnumach") console.log(gnuMach());
  if (which === undefined || which === "gnumach32") console.log(gnuMach32());
  if (which === undefined || which === "busybox32") console.log(busybox32());
}
