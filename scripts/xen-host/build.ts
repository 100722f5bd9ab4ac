// Build, from Debian's packages, everything a real Xen test host needs besides the hypervisor
// (fetch.ts): the dom0 kernel, the dom0 root as an uncompressed newc cpio with an /init that
// brings up xenstored, xenconsoled and xl, and tiny busybox initramfs images for domUs.
// Everything is cached under build/cache/xen-host/; a key made of the package versions and
// BUILD_VERSION decides when to rebuild. Needs root (debootstrap, chroot).
//
//   tsx scripts/xen-host/build.ts            build what is missing, print the paths
//   tsx scripts/xen-host/build.ts --force    rebuild the dom0 root and kernel
//
// The command line (make xen-host) also builds the second hypervisor, the one with
// CONFIG_PV32 for 32-bit PV guests (xen-pv32.ts; about 5 minutes on 2 cores the first time).
//
// The dom0 /init and the per-run guest files are documented in scripts/xen-host/README.md.

import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync,
  renameSync, rmSync, statSync, symlinkSync, writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defaultCacheDir, ensureXen } from "./fetch.js";
import { BLOCK_QUICK, DOM0_INIT } from "./dom0-init.js";
import { mirrorFor } from "./apt-sources.js";
import { aptUpdate } from "../lib/apt.js";

const run = promisify(execFile);

// Bump when what this script produces changes: the caches keyed with it are rebuilt.
// BASE_VERSION is the debootstrap recipe alone (its tree takes minutes to make again).
export const BUILD_VERSION = 5;
export const BASE_VERSION = 1;

export const SUITE = "bookworm";
const DOM0_PACKAGES = ["xen-utils-4.17", "xenstore-utils", "kmod", "procps", "e2fsprogs", "util-linux"];
// What a PV dom0 needs as modules: xenfs and friends, blkback, loop, virtio (the disk that
// carries each run's guest files, guests.ts), and what ext4 pulls in.
const MODULE_DIRS = ["drivers/xen", "drivers/block", "drivers/virtio", "fs/ext4", "fs/jbd2", "fs/mbcache.ko", "lib", "crypto"];
// Not needed in a dom0 that only runs xl; dropping them makes the cpio smaller and the boot faster.
const PRUNE = [
  "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
  "usr/share/zoneinfo", "usr/share/i18n", "var/cache/apt", "var/lib/apt/lists", "var/cache/debconf",
  "usr/lib/python3", "usr/lib/python3.11", "usr/share/python3", "usr/share/perl", "usr/bin/python3.11",
  "usr/bin/perl", "usr/bin/perl5.36.0", "usr/lib/x86_64-linux-gnu/perl-base", "usr/lib/x86_64-linux-gnu/gconv",
  "usr/lib/udev/hwdb.d", "usr/lib/udev/hwdb.bin", "etc/udev/hwdb.bin", "usr/lib/xen-4.17/boot",
];

export interface HostParts {
  xen: string;        // the hypervisor, a multiboot ELF
  kernel: string;     // Debian's vmlinuz (a bzImage with an XZ payload; a PV domU kernel)
  dom0Kernel: string; // the same kernel as a plain ELF (vmlinux): Xen does not have to unpack it
  dom0Cpio: string;   // dom0's root with /init, uncompressed newc
  kernelVersion: string;
}

export const log = (msg: string) => process.stderr.write(`xen-host: ${msg}\n`);

// What apt would download now: Version and Depends of each package's candidate. apt-cache is
// slow here (seconds a call), so answers are kept in apt-show.json until the package lists
// change; `apt-get update` once if the lists do not know a package.
const ALL_PACKAGES = ["linux-image-amd64", ...DOM0_PACKAGES, "busybox-static", "xen-hypervisor-4.17-amd64", "grub-xen-bin", "grub-common"];
let listsRefreshed = false;
let shown: { stamp: string; pkgs: Record<string, { version: string; depends: string }> } | undefined;

function listsStamp(): string {
  const dir = "/var/lib/apt/lists";
  let latest = 0;
  try {
    for (const f of readdirSync(dir)) latest = Math.max(latest, statSync(join(dir, f)).mtimeMs);
  } catch { /* no lists */ }
  return String(latest);
}

async function aptShow(pkg: string): Promise<{ version: string; depends: string }> {
  const file = join(defaultCacheDir, "apt-show.json");
  const stamp = listsStamp();
  if (!shown) {
    try { shown = JSON.parse(readFileSync(file, "utf8")); } catch { /* none yet */ }
  }
  if (shown?.stamp === stamp && shown.pkgs[pkg]) return shown.pkgs[pkg];
  for (;;) {
    const want = [...new Set([...ALL_PACKAGES, pkg])];
    const { stdout } = await run("apt-cache", ["show", "--no-all-versions", ...want], { maxBuffer: 64 << 20 }).catch((e) => ({ stdout: String(e.stdout ?? "") }));
    const pkgs: Record<string, { version: string; depends: string }> = shown?.stamp === stamp ? shown.pkgs : {};
    for (const stanza of stdout.split(/\n\n+/)) {
      const name = stanza.match(/^Package: (.+)$/m)?.[1];
      const version = stanza.match(/^Version: (.+)$/m)?.[1];
      if (name && version) pkgs[name] = { version, depends: stanza.match(/^Depends: (.+)$/m)?.[1] ?? "" };
    }
    if (pkgs[pkg]) {
      shown = { stamp, pkgs };
      mkdirSync(defaultCacheDir, { recursive: true });
      writeFileSync(file, JSON.stringify(shown, null, 1) + "\n");
      return pkgs[pkg];
    }
    if (listsRefreshed) throw new Error(`apt-cache: no candidate version of ${pkg}`);
    listsRefreshed = true;
    await aptUpdate();
  }
}

export async function candidateVersion(pkg: string): Promise<string> {
  return (await aptShow(pkg)).version;
}

// linux-image-amd64 is a metapackage: the image itself is its one linux-image-* dependency.
async function kernelPackage(): Promise<string> {
  const dep = (await aptShow("linux-image-amd64")).depends.match(/(linux-image-[0-9][^ ,]*-amd64)/);
  if (!dep) throw new Error("linux-image-amd64: no linux-image-*-amd64 dependency");
  return dep[1];
}

export async function downloadDeb(pkg: string, dir: string): Promise<string> {
  await candidateVersion(pkg); // refreshes the lists if needed
  await run("apt-get", ["download", pkg], { cwd: dir, maxBuffer: 16 << 20 });
  const debs = readdirSync(dir).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
  if (debs.length !== 1) throw new Error(`apt-get download ${pkg}: expected one .deb in ${dir}, found ${debs.length}`);
  return join(dir, debs[0]);
}

async function ensureTool(bin: string, pkg: string): Promise<void> {
  try {
    await run("sh", ["-c", `command -v ${bin}`]);
  } catch {
    log(`installing ${pkg} (for ${bin})`);
    try {
      await run("apt-get", ["install", "-y", "--no-install-recommends", pkg], { maxBuffer: 64 << 20 });
    } catch {
      await aptUpdate();
      await run("apt-get", ["install", "-y", "--no-install-recommends", pkg], { maxBuffer: 64 << 20 });
    }
  }
}

// A long command with its output in a log file (shown when it fails).
async function logged(logFile: string, cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<void> {
  const fd = openSync(logFile, "a");
  try {
    writeFileSync(fd, `\n$ ${cmd} ${args.join(" ")}\n`);
    const child = spawn(cmd, args, { stdio: ["ignore", fd, fd], cwd: opts.cwd, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    const code = await new Promise<number | null>((done, fail) => {
      child.on("error", fail);
      child.on("close", (c) => done(c));
    });
    if (code !== 0) {
      const tail = readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n");
      throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} ... exited with ${code}; log ${logFile}:\n${tail}`);
    }
  } finally {
    closeSync(fd);
  }
}

// An uncompressed newc cpio of DIR (paths relative to it, as the kernel's initramfs wants).
export async function packCpio(dir: string, out: string, entries = "."): Promise<void> {
  await run("sh", ["-c", `cd "$1" && find ${entries} -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0 > "$2"`, "sh", dir, out],
    { maxBuffer: 16 << 20 });
}

function keyOf(parts: Record<string, string | number>): string {
  return JSON.stringify(parts, Object.keys(parts).sort()) + "\n";
}

function upToDate(keyFile: string, key: string, ...files: string[]): boolean {
  return files.every((f) => existsSync(f)) && existsSync(keyFile) && readFileSync(keyFile, "utf8") === key;
}

// The kernel: vmlinuz plus just the module subtrees dom0 needs, under cache/kernel/.
async function ensureKernel(cacheDir: string, force: boolean): Promise<{ vmlinuz: string; vmlinux: string; modules: string; version: string }> {
  const pkg = await kernelPackage();
  const version = pkg.replace(/^linux-image-/, "");
  const key = keyOf({ build: BUILD_VERSION, [pkg]: await candidateVersion(pkg) });
  const dir = join(cacheDir, "kernel");
  const vmlinuz = join(dir, "vmlinuz");
  const vmlinux = join(dir, "vmlinux");
  const modules = join(dir, "modules");
  if (!force && upToDate(join(dir, "key"), key, vmlinuz, vmlinux, modules)) return { vmlinuz, vmlinux, modules, version };

  log(`kernel: ${pkg}`);
  const work = join(cacheDir, `tmp-kernel-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const deb = await downloadDeb(pkg, work);
    await run("dpkg", ["-x", deb, join(work, "root")]);
    const out = join(work, "out");
    mkdirSync(join(out, "modules"), { recursive: true });
    copyFileSync(join(work, "root", "boot", `vmlinuz-${version}`), join(out, "vmlinuz"));
    await extractVmlinux(join(out, "vmlinuz"), join(out, "vmlinux"));
    const src = join(work, "root", "lib", "modules", version);
    for (const f of readdirSync(src)) if (f.startsWith("modules.")) copyFileSync(join(src, f), join(out, "modules", f));
    for (const sub of MODULE_DIRS) {
      const from = join(src, "kernel", sub);
      if (existsSync(from)) cpSync(from, join(out, "modules", "kernel", sub), { recursive: true, filter: (f) => !/\/test_[^/]*\.ko/.test(f) });
    }
    writeFileSync(join(out, "key"), key);
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    return { vmlinuz, vmlinux, modules, version };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// The ELF inside a bzImage whose payload is XZ (as scripts/extract-vmlinux does): under TCG,
// Xen spends many seconds unpacking dom0's kernel otherwise.
async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const data = readFileSync(bzImage);
  const at = data.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) throw new Error(`${bzImage}: no XZ payload`);
  await run("sh", ["-c", 'tail -c +"$1" "$2" | xz -dc --single-stream > "$3"', "sh", String(at + 1), bzImage, out], { maxBuffer: 16 << 20 })
    .catch((e) => { if (!existsSync(out)) throw e; }); // xz may complain about what follows the stream
  if (readFileSync(out).subarray(0, 4).toString("latin1") !== "\x7fELF") throw new Error(`${bzImage}: the XZ payload is not an ELF`);
}

// dom0's root: debootstrap minbase + the Xen tools, upgraded from bookworm-security so
// xen-utils matches the hypervisor, the kernel's modules, /init; packed as newc cpio.
async function ensureDom0Root(cacheDir: string, kernel: { modules: string; version: string }, force: boolean): Promise<string> {
  const versions: Record<string, string | number> = { build: BUILD_VERSION, kernel: readFileSync(join(cacheDir, "kernel", "key"), "utf8").trim() };
  for (const p of DOM0_PACKAGES) versions[p] = await candidateVersion(p);
  versions.init = createHash("sha256").update(DOM0_INIT + BLOCK_QUICK).digest("hex").slice(0, 16);
  const key = keyOf(versions);
  const cpio = join(cacheDir, "dom0.cpio");
  const keyFile = join(cacheDir, "dom0.key");
  if (!force && upToDate(keyFile, key, cpio)) return cpio;

  if (process.getuid?.() !== 0) throw new Error("building the dom0 root needs root (debootstrap, chroot): run as root");
  await ensureTool("debootstrap", "debootstrap");
  await ensureTool("cpio", "cpio");

  // The debootstrapped tree without /init and modules is cached on its own: only the
  // package versions decide when it is made again.
  const baseKey = keyOf({ base: BASE_VERSION, ...Object.fromEntries(DOM0_PACKAGES.map((p) => [p, versions[p]])) });
  const base = join(cacheDir, "dom0-base");
  const logFile = join(cacheDir, "dom0-build.log");
  if (force || !upToDate(join(cacheDir, "dom0-base.key"), baseKey, join(base, "usr", "sbin"))) {
    const work = join(cacheDir, `tmp-dom0-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    rmSync(logFile, { force: true });
    // The mirrors this machine's apt uses for the suite and its security updates.
    const mirror = mirrorFor(SUITE).uri, security = mirrorFor(`${SUITE}-security`).uri;
    log(`dom0 root: debootstrap ${SUITE} from ${mirror} (log: ${logFile})`);
    await logged(logFile, "debootstrap", ["--variant=minbase", `--include=${DOM0_PACKAGES.join(",")}`, SUITE, work, mirror]);
    writeFileSync(join(work, "etc", "apt", "sources.list"),
      `deb ${mirror} ${SUITE} main\ndeb ${mirror} ${SUITE}-updates main\ndeb ${security} ${SUITE}-security main\n`);
    log("dom0 root: upgrading from bookworm-security");
    await logged(logFile, "chroot", [work, "apt-get", "update"]);
    await logged(logFile, "chroot", [work, "apt-get", "-y", "-o", "Dpkg::Options::=--force-confold", "upgrade"]);
    await logged(logFile, "chroot", [work, "apt-get", "clean"]);
    const { stdout } = await run("chroot", [work, "dpkg-query", "-W", "-f", "${Version}", "xen-utils-4.17"]);
    log(`dom0 root: xen-utils-4.17 ${stdout}`);
    rmSync(base, { recursive: true, force: true });
    renameSync(work, base);
    writeFileSync(join(cacheDir, "dom0-base.key"), baseKey);
  }

  const stage = join(cacheDir, `tmp-dom0root-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  try {
    await run("cp", ["-a", base, stage]);
    for (const p of PRUNE) rmSync(join(stage, p), { recursive: true, force: true });
    const modDir = join(stage, "lib", "modules", kernel.version);
    rmSync(modDir, { recursive: true, force: true });
    mkdirSync(dirname(modDir), { recursive: true });
    cpSync(kernel.modules, modDir, { recursive: true });
    await run("chroot", [stage, "depmod", kernel.version]); // the root's own kmod
    writeFileSync(join(stage, "init"), DOM0_INIT);
    chmodSync(join(stage, "init"), 0o755);
    writeFileSync(join(stage, "etc", "xen", "scripts", "block-quick"), BLOCK_QUICK, { mode: 0o755 });
    for (const d of ["proc", "sys", "dev", "run", "tmp", "guest", "var/log/xen/console", "var/lib/xen", "var/run/xen"]) {
      mkdirSync(join(stage, d), { recursive: true });
    }
    // devtmpfs is mounted over /dev at boot; these are for the moment before, and the
    // links /init makes again afterwards (no udev here).
    for (const [name, target] of [["fd", "/proc/self/fd"], ["stdin", "/proc/self/fd/0"], ["stdout", "/proc/self/fd/1"], ["stderr", "/proc/self/fd/2"]]) {
      rmSync(join(stage, "dev", name), { force: true });
      symlinkSync(target, join(stage, "dev", name));
    }
    await run("mknod", ["-m", "600", join(stage, "dev", "console"), "c", "5", "1"]).catch(() => {});
    const tmp = `${cpio}.tmp-${process.pid}`;
    await packCpio(stage, tmp);
    renameSync(tmp, cpio);
    writeFileSync(keyFile, key);
    return cpio;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export async function ensureHost(opts: { cacheDir?: string; force?: boolean } = {}): Promise<HostParts> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir;
  mkdirSync(cacheDir, { recursive: true });
  const xen = await ensureXen(cacheDir);
  const kernel = await ensureKernel(cacheDir, !!opts.force);
  const dom0Cpio = await ensureDom0Root(cacheDir, kernel, !!opts.force);
  return { xen, kernel: kernel.vmlinuz, dom0Kernel: kernel.vmlinux, dom0Cpio, kernelVersion: kernel.version };
}

// A domU initramfs: busybox-static as /bin/busybox and an /init that prints MARKER (and the
// command line, so a test can see what the bootloader passed on), then powers off at once.
// With readLine, it first asks for a line on its console and echoes it ("initrd: got: ..."):
// a check that keys typed into a guest's console arrive.
// With readFile (a path on xvda's first partition), it also loads blkfront and ext4 (the
// modules of the host's kernel, which is the domU kernel too), mounts that partition read-only
// and prints the file ("initrd: file: ..."), then every kernel message about xenbus, event
// channels or grants ("initrd: dmesg: ...", then "initrd: dmesg done"): after a bootloader's
// handoff the disk must work and the kernel must have nothing to complain about.
const DISK_MODULES = ["lib/crc16.ko", "crypto/crc32c_generic.ko", "fs/mbcache.ko", "fs/jbd2/jbd2.ko", "fs/ext4/ext4.ko",
  "drivers/block/xen-blkfront.ko"];

export async function ensureBusyboxInitrd(marker: string, opts: { cacheDir?: string; readLine?: boolean; readFile?: string } = {}): Promise<string> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir;
  mkdirSync(cacheDir, { recursive: true });
  const bbVersion = await candidateVersion("busybox-static");
  const bb = "/bin/busybox";
  const init = [
    "#!/bin/busybox sh",
    `${bb} mount -t proc proc /proc`,
    `${bb} echo ${shellQuote(marker)}`,
    `${bb} echo "initrd: cmdline: $(${bb} cat /proc/cmdline)"`,
    ...(opts.readLine ? [`${bb} echo 'initrd: type a line'`, "read -r line", `${bb} echo "initrd: got: $line"`] : []),
    ...(opts.readFile ? [
      `${bb} mount -t devtmpfs dev /dev`,
      ...DISK_MODULES.map((m) => `${bb} insmod /modules/${m.split("/").pop()}`),
      `i=0; while [ ! -b /dev/xvda1 ] && [ $i -lt 100 ]; do ${bb} sleep 0.1; i=$((i + 1)); done`,
      `${bb} mkdir -p /mnt && ${bb} mount -t ext4 -o ro /dev/xvda1 /mnt && ${bb} echo "initrd: file: $(${bb} cat /mnt${opts.readFile})"`,
      // /dev/kmsg, not dmesg (busybox's dmesg crashed here): its records, until it would block.
      `${bb} timeout 3 ${bb} cat /dev/kmsg > /kmsg 2>/dev/null`,
      `${bb} sed 's/^[^;]*;//' /kmsg | ${bb} grep -iE 'xenbus|evtchn|event.channel|grant' | ${bb} sed 's/^/initrd: dmesg: /'`,
      `${bb} echo 'initrd: dmesg done'`,
    ] : []),
    `${bb} poweroff -f`,
    "",
  ].join("\n");
  const hash = createHash("sha256").update(keyOf({ build: BUILD_VERSION, busybox: bbVersion, init })).digest("hex").slice(0, 16);
  const out = join(cacheDir, `busybox-initrd-${hash}.cpio`);
  if (existsSync(out)) return out;

  const work = join(cacheDir, `tmp-busybox-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const bbBin = join(cacheDir, "busybox-static", bbVersion.replace(/[^0-9A-Za-z.+~-]/g, "_"), "busybox");
    if (!existsSync(bbBin)) {
      const deb = await downloadDeb("busybox-static", work);
      await run("dpkg", ["-x", deb, join(work, "pkg")]);
      mkdirSync(dirname(bbBin), { recursive: true });
      copyFileSync(join(work, "pkg", "bin", "busybox"), bbBin);
    }
    const root = join(work, "root");
    for (const d of ["bin", "proc", "dev"]) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(bbBin, join(root, "bin", "busybox"));
    chmodSync(join(root, "bin", "busybox"), 0o755);
    symlinkSync("busybox", join(root, "bin", "sh"));
    writeFileSync(join(root, "init"), init, { mode: 0o755 });
    if (opts.readFile) {
      const kernelModules = join(cacheDir, "kernel", "modules", "kernel");
      mkdirSync(join(root, "modules"));
      for (const m of DISK_MODULES) copyFileSync(join(kernelModules, m), join(root, "modules", m.split("/").pop()!));
    }
    await run("mknod", ["-m", "600", join(root, "dev", "console"), "c", "5", "1"]).catch(() => {});
    const tmp = `${out}.tmp-${process.pid}`;
    await packCpio(root, tmp);
    renameSync(tmp, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const bb = process.argv.indexOf("--busybox");
  if (bb > 0) {
    ensureBusyboxInitrd(process.argv[bb + 1] ?? "initrd: hello", { readLine: process.argv.includes("--read-line") })
      .then((p) => console.log(p), (err) => { console.error(`build: ${err instanceof Error ? err.message : err}`); process.exit(1); });
  } else ensureHost({ force: process.argv.includes("--force") }).then(
    async (h) => {
      for (const [k, v] of Object.entries(h)) console.log(`${k}: ${v}`);
      const { ensureXenPv32 } = await import("./xen-pv32.js");
      console.log(`xenPv32: ${await ensureXenPv32()}`);
      log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },
  ).catch((err) => {
    console.error(`build: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
