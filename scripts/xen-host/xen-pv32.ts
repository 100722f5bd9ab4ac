// A second hypervisor for the test host, one that runs 32-bit PV guests: Debian's own `xen`
// source package, fetched with `apt-get source` through the private apt configuration
// (apt-private.ts: a deb-src entry for the machine's mirror, never the system's apt setup),
// built with Debian's hypervisor .config (debian/xen-kconfig, then `olddefconfig`, as
// debian/rules does) plus CONFIG_PV32=y. Debian's binary hypervisor is built without PV32 and
// refuses xen-3.0-x86_32p guests; the 64-bit tests keep using it (fetch.ts).
//
// Cached as build/cache/xen-host/xen-pv32-VERSION.elf (with its .config), keyed by the source
// version. The newest version the lists name is tried first; the security pool's source may
// not be served (seen: 404 for 4.17.7 while its binary was), and then the next one is built.
// The build log is xen-pv32-build.log next to it. Needs root (apt-get install of the build's
// tools when they are missing).
//
//   tsx scripts/xen-host/xen-pv32.ts [--force]     prints the path of the hypervisor

import { execFile, spawn } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defaultCacheDir } from "./fetch.js";
import { aptDir, aptSource, privateUpdate, sourceVersions } from "./apt-private.js";
import { aptUpdate } from "../lib/apt.js";

const run = promisify(execFile);

// Bump when the recipe changes: every cached PV32 hypervisor is rebuilt.
export const PV32_RECIPE = 1;
// What building the hypervisor alone needs (not the tools: the package's full Build-Depends
// are for xl, qemu glue, ocaml, docs). Binary name -> Debian package.
const BUILD_TOOLS: Record<string, string> = { gcc: "gcc", make: "make", flex: "flex", bison: "bison", python3: "python3" };

const log = (msg: string) => process.stderr.write(`xen-pv32: ${msg}\n`);
const safe = (v: string) => v.replace(/[^0-9A-Za-z.+~-]/g, "_");

export function pv32Path(version: string, cacheDir = defaultCacheDir): string {
  return join(cacheDir, `xen-pv32-${safe(version)}.elf`);
}

async function ensureBuildTools(): Promise<void> {
  const missing: string[] = [];
  for (const [bin, pkg] of Object.entries(BUILD_TOOLS)) {
    const found = await run("sh", ["-c", `command -v ${bin}`]).then(() => true, () => false);
    if (!found) missing.push(pkg);
  }
  if (missing.length === 0) return;
  log(`installing ${missing.join(" ")} (to build the hypervisor)`);
  const install = () => run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], { maxBuffer: 64 << 20, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  await install().catch(async () => {
    await aptUpdate();
    await install();
  });
}

async function logged(logFile: string, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const fd = openSync(logFile, "a");
  try {
    writeFileSync(fd, `\n$ ${cmd} ${args.join(" ")}\n`);
    const child = spawn(cmd, args, { stdio: ["ignore", fd, fd], cwd, env });
    const code = await new Promise<number | null>((done, fail) => {
      child.on("error", fail);
      child.on("close", (c) => done(c));
    });
    if (code !== 0) {
      const tail = readFileSync(logFile, "utf8").split("\n").slice(-25).join("\n");
      throw new Error(`${cmd} ${args.slice(0, 4).join(" ")} ... exited with ${code}; log ${logFile}:\n${tail}`);
    }
  } finally {
    closeSync(fd);
  }
}

// Source versions whose files the mirror did not serve, with the lists they were seen in
// (tried again once the private lists change).
function unavailableFile(cacheDir: string) { return join(cacheDir, "xen-pv32-unavailable.json"); }
function listsStamp(cacheDir: string): string {
  const lists = join(aptDir(cacheDir), "lists");
  let newest = 0;
  try {
    for (const f of readdirSync(lists)) if (/_Sources(\.[a-z0-9]+)?$/.test(f)) newest = Math.max(newest, statSync(join(lists, f)).mtimeMs);
  } catch { /* no lists */ }
  return newest ? new Date(newest).toISOString() : "";
}

export async function ensureXenPv32(opts: { cacheDir?: string; force?: boolean } = {}): Promise<string> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir;
  mkdirSync(cacheDir, { recursive: true });
  await privateUpdate(cacheDir);
  const versions = await sourceVersions("xen", cacheDir);
  const stamp = listsStamp(cacheDir);
  let unavailable: Record<string, string> = {};
  try { unavailable = JSON.parse(readFileSync(unavailableFile(cacheDir), "utf8")); } catch { /* none */ }
  const keyOf = (v: string) => JSON.stringify({ recipe: PV32_RECIPE, xen: v }) + "\n";

  const tried: string[] = [];
  for (const version of versions) {
    const out = pv32Path(version, cacheDir);
    const keyFile = out.replace(/\.elf$/, ".key");
    if (!opts.force && existsSync(out) && existsSync(keyFile) && readFileSync(keyFile, "utf8") === keyOf(version)) return out;
    if (unavailable[version] === stamp && stamp) { tried.push(`${version} (not served)`); continue; }

    const work = join(cacheDir, `tmp-xen-pv32-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      let tree: string;
      try {
        tree = await aptSource("xen", version, work, cacheDir);
      } catch (e) {
        log(`xen ${version}: source not available (${String((e as Error).message).split("\n").find((l) => /404|E:/.test(l)) ?? "apt-get source failed"}); trying an older one`);
        unavailable[version] = stamp;
        writeFileSync(unavailableFile(cacheDir), JSON.stringify(unavailable, null, 1) + "\n");
        tried.push(`${version} (not served)`);
        continue;
      }
      await ensureBuildTools();
      const logFile = join(cacheDir, "xen-pv32-build.log");
      rmSync(logFile, { force: true });
      const t0 = Date.now();
      log(`building the hypervisor of xen ${version} with CONFIG_PV32=y (log: ${logFile})`);
      const xenDir = join(tree, "xen");
      const config = readFileSync(join(tree, "debian", "xen-kconfig"), "utf8");
      writeFileSync(join(xenDir, ".config"), `${config.replace(/\n?$/, "\n")}CONFIG_PV32=y\n`);
      // Debian's make arguments for the hypervisor (debian/rules make_args_xen), without its
      // reproducibility flags; the system's python3, not one on a user's PATH.
      const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
      const args = ["XEN_TARGET_ARCH=x86_64", "XEN_COMPILE_ARCH=x86_64", `PYTHON=${python}`];
      const env = { ...process.env, CFLAGS: undefined, LDFLAGS: undefined };
      await logged(logFile, "make", ["-C", "xen", "olddefconfig", ...args], tree, env);
      const final = readFileSync(join(xenDir, ".config"), "utf8");
      if (!/^CONFIG_PV32=y$/m.test(final)) throw new Error(`xen ${version}: CONFIG_PV32=y did not survive olddefconfig (${logFile})`);
      await logged(logFile, "make", ["-C", "xen", `-j${Math.max(1, cpus().length)}`, ...args], tree, env);
      const elf = join(xenDir, "xen");
      if (readFileSync(elf).subarray(0, 4).toString("latin1") !== "\x7fELF") throw new Error(`xen ${version}: ${elf} is not an ELF`);
      copyFileSync(join(xenDir, ".config"), out.replace(/\.elf$/, ".config"));
      copyFileSync(elf, `${out}.tmp`);
      renameSync(`${out}.tmp`, out);
      writeFileSync(keyFile, keyOf(version));
      log(`xen ${version} with PV32 built in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${out}`);
      return out;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  throw new Error(`no xen source package could be fetched through ${aptDir(cacheDir)} (tried: ${tried.join(", ") || "none listed"})`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  ensureXenPv32({ force: process.argv.includes("--force") }).then(
    (p) => { console.log(p); log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`); },
    (err) => { console.error(`xen-pv32: ${err instanceof Error ? err.message : err}`); process.exit(1); },
  );
}
