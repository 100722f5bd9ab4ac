// A private apt configuration under build/cache/xen-host/apt/: its own sources (deb-src
// entries for the suite and its security updates, and i386 binary entries), its own package
// lists and its own download cache, so that source packages (`apt-get source`) and i386
// packages can be had without touching the machine's apt configuration, lists or dpkg
// architectures. The mirror and its key are the ones the machine's apt sources name for the
// suite (apt-sources.ts).
//
//   tsx scripts/xen-host/apt-private.ts update|showsrc PKG|source PKG DIR|download PKG:ARCH DIR

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defaultCacheDir } from "./fetch.js";
import { mirrorFor, type AptSource } from "./apt-sources.js";

const run = promisify(execFile);
export const SUITE = "bookworm";
// The architectures the private lists know: the machine's own and i386 (GNU Mach's Xen image
// and the 32-bit static programs its tests load as modules).
const ARCHS = ["amd64", "i386"];
// Lists older than this are fetched again (`apt-get update` on the private config).
const LISTS_MAX_AGE_MS = 24 * 3600_000;

export const aptDir = (cacheDir = defaultCacheDir) => join(cacheDir, "apt");

function stanza(types: string, src: AptSource, archs?: string[]): string {
  const lines = [`Types: ${types}`, `URIs: ${src.uri}`, `Suites: ${src.suite}`, "Components: main"];
  if (archs) lines.push(`Architectures: ${archs.join(" ")}`);
  if (src.signedBy) {
    const [first, ...rest] = src.signedBy.split("\n");
    lines.push(`Signed-By: ${first}`, ...rest.map((l) => ` ${l === "" ? "." : l}`));
  }
  return lines.join("\n") + "\n";
}

// The sources file, written from the machine's apt sources each time (a changed mirror shows).
function writeConfig(dir: string): string {
  const main = mirrorFor(SUITE);
  const stanzas = [stanza("deb-src", main), stanza("deb", main, ["i386"])];
  try {
    stanzas.push(stanza("deb-src", mirrorFor(`${SUITE}-security`)));
  } catch { /* no security source on this machine: the suite's own source packages */ }
  for (const d of ["parts", "lists/partial", "cache/archives/partial", "etc"]) mkdirSync(join(dir, d), { recursive: true });
  const file = join(dir, "parts", "pvboot.sources");
  const text = stanzas.join("\n");
  if (!existsSync(file) || readFileSync(file, "utf8") !== text) writeFileSync(file, text);
  return file;
}

// apt-get/apt-cache options that make apt use only the private configuration.
export function aptOptions(cacheDir = defaultCacheDir): string[] {
  const dir = aptDir(cacheDir);
  writeConfig(dir);
  return [
    "-o", `Dir::Etc::SourceList=${join(dir, "etc", "none.list")}`,
    "-o", `Dir::Etc::SourceParts=${join(dir, "parts")}`,
    "-o", `Dir::State::Lists=${join(dir, "lists")}`,
    "-o", `Dir::Cache=${join(dir, "cache")}`,
    "-o", `Dir::Cache::pkgcache=`, "-o", `Dir::Cache::srcpkgcache=`,
    "-o", `APT::Architecture=amd64`, "-o", `APT::Architectures=${ARCHS.join(",")}`,
    "-o", "APT::Get::AllowUnauthenticated=false",
  ];
}

let updated = false;
export async function privateUpdate(cacheDir = defaultCacheDir, force = false): Promise<void> {
  const opts = aptOptions(cacheDir);
  const lists = join(aptDir(cacheDir), "lists");
  const newest = Math.max(0, ...readdirSync(lists).filter((f) => /_(Sources|Packages)(\.[a-z0-9]+)?$/.test(f)).map((f) => statSync(join(lists, f)).mtimeMs));
  if (!force && (updated || Date.now() - newest < LISTS_MAX_AGE_MS)) return;
  await run("apt-get", [...opts, "update"], { maxBuffer: 64 << 20 });
  updated = true;
}

// Every version of source package PKG the private lists name, newest first.
export async function sourceVersions(pkg: string, cacheDir = defaultCacheDir): Promise<string[]> {
  await privateUpdate(cacheDir);
  const { stdout } = await run("apt-cache", [...aptOptions(cacheDir), "showsrc", "--only-source", pkg], { maxBuffer: 64 << 20 });
  const versions = [...new Set([...stdout.matchAll(/^Version: (\S+)$/gm)].map((m) => m[1]))];
  if (versions.length === 0) throw new Error(`apt-cache showsrc ${pkg}: no source package in the private lists (${aptDir(cacheDir)})`);
  // insertion sort by dpkg's own ordering
  const sorted: string[] = [];
  for (const v of versions) {
    let at = 0;
    while (at < sorted.length && await run("dpkg", ["--compare-versions", v, "lt", sorted[at]]).then(() => true, () => false)) at++;
    sorted.splice(at, 0, v);
  }
  return sorted;
}

// `apt-get source PKG=VERSION` into DIR (unpacked by dpkg-source). Returns the source tree.
export async function aptSource(pkg: string, version: string, dir: string, cacheDir = defaultCacheDir): Promise<string> {
  await privateUpdate(cacheDir);
  mkdirSync(dir, { recursive: true });
  await run("apt-get", [...aptOptions(cacheDir), "source", "--only-source", `${pkg}=${version}`], { cwd: dir, maxBuffer: 64 << 20 });
  const upstream = version.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
  const tree = readdirSync(dir).find((f) => f === `${pkg}-${upstream}` && statSync(join(dir, f)).isDirectory());
  if (!tree) throw new Error(`apt-get source ${pkg}=${version}: no ${pkg}-${upstream}/ in ${dir}`);
  return join(dir, tree);
}

// The candidate version of binary package PKG:ARCH in the private lists.
export async function binaryVersion(pkgArch: string, cacheDir = defaultCacheDir): Promise<string> {
  await privateUpdate(cacheDir);
  const { stdout } = await run("apt-cache", [...aptOptions(cacheDir), "show", "--no-all-versions", pkgArch], { maxBuffer: 64 << 20 });
  const v = stdout.match(/^Version: (\S+)$/m)?.[1];
  if (!v) throw new Error(`apt-cache show ${pkgArch}: no candidate in the private lists`);
  return v;
}

// `apt-get download PKG:ARCH` into DIR. Returns the .deb.
export async function aptDownload(pkgArch: string, dir: string, cacheDir = defaultCacheDir): Promise<string> {
  await privateUpdate(cacheDir);
  mkdirSync(dir, { recursive: true });
  await run("apt-get", [...aptOptions(cacheDir), "download", pkgArch], { cwd: dir, maxBuffer: 64 << 20 });
  const [pkg, arch] = pkgArch.split(":");
  const debs = readdirSync(dir).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(`_${arch ?? "amd64"}.deb`));
  if (debs.length !== 1) throw new Error(`apt-get download ${pkgArch}: expected one .deb in ${dir}, found ${debs.length}`);
  return join(dir, debs[0]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [cmd, a, b] = process.argv.slice(2);
  const go = async () => {
    if (cmd === "update") return privateUpdate(undefined, true);
    if (cmd === "showsrc") return console.log((await sourceVersions(a)).join("\n"));
    if (cmd === "source") return console.log(await aptSource(a, (await sourceVersions(a))[0], resolve(b)));
    if (cmd === "download") return console.log(await aptDownload(a, resolve(b)));
    console.error("usage: apt-private.ts update|showsrc PKG|source PKG DIR|download PKG:ARCH DIR");
    process.exit(2);
  };
  go().catch((e) => { console.error(`apt-private: ${e instanceof Error ? e.message : e}`); process.exit(1); });
}
