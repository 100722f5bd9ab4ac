// Disks holding menu.lst files for the config tests, made with the real mke2fs -d (one
// partitionless ext4 filesystem, or an MBR disk through scripts/images/make-disk.ts), and
// `pvboot menu` run on them as a user runs it (the CLI, the core in the emulated Xen).

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeDisk } from "../../scripts/images/make-disk";

const PVBOOT = fileURLToPath(new URL("../../scripts/pvboot.mjs", import.meta.url));
export const CORPUS = fileURLToPath(new URL(".", import.meta.url));

export type Tree = Record<string, string | Uint8Array>;

const work = mkdtempSync(join(tmpdir(), "pvboot-config-"));
let serial = 0;

export function writeTree(files: Tree): string {
  const dir = join(work, `tree-${serial++}`);
  mkdirSync(dir, { recursive: true });
  for (const [path, data] of Object.entries(files)) {
    const p = join(dir, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
  return dir;
}

// A partitionless ext4 filesystem (the guest's (hd0) or (hd1)) holding files.
export function fsImage(files: Tree, opts: { uuid?: string; sizeMiB?: number } = {}): string {
  const dir = writeTree(files);
  const img = join(work, `fs-${serial++}.img`);
  const r = spawnSync("mke2fs", ["-q", "-F", "-t", "ext4", ...(opts.uuid ? ["-U", opts.uuid] : []), "-d", dir, img, `${opts.sizeMiB ?? 8}M`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mke2fs: ${r.stderr}`);
  return img;
}

// An MBR disk, one ext4 partition per tree (null: a partition with no filesystem, zeros).
export function mbrDisk(parts: (Tree | null)[]): string {
  const img = join(work, `mbr-${serial++}.img`);
  const specs = parts.map((p) => ({ fsType: "ext4" as const, sizeMiB: 8, dir: p ? writeTree(p) : "" }));
  // make-disk makes a filesystem on every partition: make them all, then wipe the empty ones.
  const empty = writeTree({});
  makeDisk(img, 1 + 8 * parts.length + 1, specs.map((s) => ({ ...s, dir: s.dir || empty })));
  parts.forEach((p, i) => {
    if (p === null) spawnSync("dd", [`if=/dev/zero`, `of=${img}`, "bs=1M", `seek=${1 + 8 * i}`, "count=8", "conv=notrunc"], { stdio: "ignore" });
  });
  return img;
}

export function file(name: string): string {
  return join(work, name);
}

export interface MenuRun {
  status: number | null;
  stdout: string;
  stderr: string;
  json: any; // the parsed stdout when --json and status 0; for menu.lst, menuLstView of it
  full: any; // the parsed stdout as it is
}

// menu.lst's JSON as it was before grub.cfg and BLS joined it (issue 18): the fields every
// format now has (format, file, path, initrds, a timeout of -1) are checked against menu.lst's
// own (config, title, initrd, no timeout) and taken out, so these tests keep their shape.
export function menuLstView(j: any): any {
  if (j?.format !== "menu.lst") return j;
  const { format: _f, file, timeout, entries, ...rest } = j;
  if (file !== j.config) throw new Error(`menu.lst JSON: file ${file} is not config ${j.config}`);
  const out: any = { ...rest };
  if (timeout !== -1) out.timeout = timeout;
  out.entries = entries.map((e: any) => {
    const { path, initrds, ...old } = e;
    if (JSON.stringify(path) !== JSON.stringify([e.title])) throw new Error(`menu.lst JSON: path ${JSON.stringify(path)} is not [title]`);
    const want = e.initrd !== undefined ? [e.initrd] : [];
    if (JSON.stringify(initrds) !== JSON.stringify(want)) throw new Error(`menu.lst JSON: initrds ${JSON.stringify(initrds)} is not ${JSON.stringify(want)}`);
    return old;
  });
  // keys in the order the old output had them
  const order = ["config", "default", "default_saved", "timeout", "fallback", "hiddenmenu", "password", "password_md5", "password_config", "entries", "warnings"];
  const sorted: any = {};
  for (const k of order) if (k in out) sorted[k] = out[k];
  return sorted;
}

export function pvbootMenu(disks: string[], opts: { extra?: string; ramdisk?: string; json?: boolean } = {}): MenuRun {
  const args = ["menu", ...disks];
  if (opts.extra !== undefined) args.push("--extra", opts.extra);
  if (opts.ramdisk !== undefined) args.push("--ramdisk", opts.ramdisk);
  if (opts.json !== false) args.push("--json");
  const r = spawnSync("node", [PVBOOT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const run: MenuRun = { status: r.status, stdout: r.stdout, stderr: r.stderr, json: null, full: null };
  if (r.status === 0 && opts.json !== false) {
    run.full = JSON.parse(r.stdout);
    run.json = menuLstView(run.full);
  }
  return run;
}

export function pvbootRaw(...args: string[]) {
  return spawnSync("node", [PVBOOT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
