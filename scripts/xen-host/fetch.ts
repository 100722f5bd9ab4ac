// Fetch the real Xen 4.17 hypervisor from Debian and cache it as a multiboot
// ELF that QEMU's -kernel loads directly.
//
//   tsx scripts/xen-host/fetch.ts        prints the path of the cached ELF

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, createReadStream, createWriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createGunzip } from "node:zlib";
import { aptUpdate } from "../lib/apt.js";

const run = promisify(execFile);

const PACKAGE = "xen-hypervisor-4.17-amd64";
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const defaultCacheDir = join(repoRoot, "build", "cache", "xen-host");

export async function ensureXen(cacheDir: string = defaultCacheDir): Promise<string> {
  const elf = join(cacheDir, "xen-4.17.elf");
  const versionFile = join(cacheDir, "xen.version");
  if (existsSync(elf) && existsSync(versionFile)) return elf;

  mkdirSync(cacheDir, { recursive: true });
  // A private work dir per process, so concurrent callers never see half a file.
  const work = join(cacheDir, `tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    const deb = await downloadDeb(work);
    const { stdout: version } = await run("dpkg-deb", ["-f", deb, "Version"]);
    const root = join(work, "root");
    await run("dpkg", ["-x", deb, root]);

    await pipeline(createReadStream(findHypervisorGz(root)), createGunzip(), createWriteStream(join(work, "xen.elf")));
    writeFileSync(join(work, "xen.version"), version.trim() + "\n");
    renameSync(join(work, "xen.elf"), elf);
    renameSync(join(work, "xen.version"), versionFile);
    return elf;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// apt-get download writes into the current directory. The package lists may
// be missing or stale on a fresh machine: refresh them once and retry.
async function downloadDeb(dir: string): Promise<string> {
  try {
    await run("apt-get", ["download", PACKAGE], { cwd: dir });
  } catch {
    await aptUpdate();
    await run("apt-get", ["download", PACKAGE], { cwd: dir });
  }
  const debs = readdirSync(dir).filter((f) => f.startsWith(`${PACKAGE}_`) && f.endsWith(".deb"));
  if (debs.length !== 1) throw new Error(`apt-get download ${PACKAGE}: expected one .deb in ${dir}, found ${debs.length}`);
  return join(dir, debs[0]);
}

// boot/xen-4.17-amd64.gz, or the same with a version suffix (xen-4.17.7-amd64.gz ...).
function findHypervisorGz(root: string): string {
  const boot = join(root, "boot");
  const found = readdirSync(boot).filter((f) => /^xen-4\.17[^/]*\.gz$/.test(f)).sort();
  if (found.length === 0) throw new Error(`${PACKAGE}: no boot/xen-4.17*.gz in the package`);
  return join(boot, found[found.length - 1]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureXen(process.argv[2]).then(
    (path) => console.log(path),
    (err) => {
      console.error(`fetch: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}
