// `pvboot check DISK`: will this disk boot as a Xen PV guest under pvboot? The same core as the
// guest's runs in the emulated Xen (src/check.ts, tool mode): it finds the config as the
// guest would, then each entry runs in a fresh domain, loaded and laid out as the menu would
// boot it, and handed over, the emulator checking the new domain as the kernel will find it.
// Then the smallest `memory =` that still boots the default entry, by bisection over fresh
// domains (loaded and laid out, no jump).

import { existsSync, readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { runTool, type ToolRun } from "./tool.ts";

export const CHECK_USAGE = `usage: pvboot check DISK [--extra ARG] [--memory MB] [--arch x86_64|x86_32] [--json] [--ramdisk FILE] [--verbose] [--mode pv|pvh]

Checks, before any Xen host sees it, that DISK (a raw disk image, as xvda) boots as a Xen PV (or PVH)
guest with pvboot: the same core as the guest's, in the emulated Xen, finds the config as the
guest would (--extra as xl's extra=, --ramdisk as xl's ramdisk=, as for 'pvboot menu'), then runs every entry in a fresh
domain of --memory MiB (default 256) as the menu would boot it: the files are found and read,
the kernel's format, width and Xen notes checked, its payload unpacked, the initrd and modules
read (modules decompressed), the new domain laid out in the memory given, and handed over, the
emulator checking the domain as the kernel would find it. Nothing waits for keys: pause,
password and md5crypt lines pass.

One line per entry: its number, '*' on the default, the title, then "ok" (with any warning)
or the reason, with the config file and line ("(hd0,0)/boot/grub/menu.lst:12: kernel: ...").
Then the smallest memory that boots the default entry, as xl's config takes it:
"memory = 88". --json: the same as one JSON object: {"disk", "arch", "memory_mb", "config",
"default", "entries": [{"index", "title", "ok", "outcome" ("loaded", "configfile", "reboot",
"halt", "commandline" or "failed"), "error", "file", "line", "warnings", "kernel", "image", "used_mb",
"checks"}], "default_ok", "min_memory_mb" (null when no size boots it), "exit"}.

--arch: the guest's kind, as pvboot-ARCH.elf runs in: x86_64 (default) or x86_32 (PAE).
--mode: pv (default), or pvh: a PVH domain, as pvboot-pvh.elf runs in (x86_64 only), each
entry laid out and entered as in a PVH domain, and the new domain checked as 'pvboot run
--mode pvh' checks it; the JSON object then has "mode": "pvh".

exit status: 0 when the default entry would boot, 1 when it would not (or no config is
found), 2 when the disk cannot be read (no file, no filesystem) or on a usage error.
`;

const MIN_MB = 16;
const MAX_MB = 65536;
const MAX_MB_PVH = 4000; // the emulator's PVH domain: RAM below the 0xfc000000 hole

interface EntryResult {
  index: number;
  title: string;
  ok: boolean;
  outcome: string;
  error?: string;
  file?: string;
  line?: number;
  warnings: string[];
  kernel?: string;
  image?: string;
  used_mb?: number;
  checks?: Record<string, string>;
}

interface CoreEntry {
  entry: number; title: string; ok: boolean; outcome: string; error?: string; file?: string; line?: number;
  kernel?: string; image?: string; used_mb?: number; configfile?: string;
}

interface Run { json: any; errors: string[]; warnings: string[]; run: ToolRun }

let ramdisk: Uint8Array | undefined; // --ramdisk: every run's xl ramdisk=
let arch: "x86_64" | "x86_32" = "x86_64"; // --arch: every run's kind of domain
let mode: "pv" | "pvh" = "pv"; // --mode: a PV or a PVH domain

function core(disk: string, arg: string | null, memoryMB: number, extra: string, verbose: boolean): Run {
  const out: Buffer[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const run = runTool(disk, "check", arg, {
    memoryMB, extra, verbose, ramdisk, arch, mode,
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (line) => errors.push(line.replace(/^pvboot: (error|warning): /, "")),
    console: (line) => {
      const m = /^ +warning: (.*)$/.exec(line);
      if (m) warnings.push(m[1]);
      if (verbose) process.stderr.write(line + "\n");
    },
  });
  const text = Buffer.concat(out).toString("utf8");
  return { json: text ? JSON.parse(text) : null, errors, warnings, run };
}

function fail(msg: string): number {
  process.stderr.write(`pvboot: check: ${msg}\n`);
  return 2;
}

export function checkCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      extra: { type: "string", default: "" },
      memory: { type: "string", default: "256" },
      arch: { type: "string", default: "x86_64" },
      mode: { type: "string", default: "pv" },
      json: { type: "boolean", default: false },
      ramdisk: { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(CHECK_USAGE);
    return 0;
  }
  if (positionals.length !== 1) return fail(`expected one DISK, got ${positionals.length}\n${CHECK_USAGE}`);
  const disk = positionals[0];
  if (!existsSync(disk) || !statSync(disk).isFile()) return fail(`cannot open disk image '${disk}'`);
  const memoryMB = Number(values.memory);
  if (!Number.isInteger(memoryMB) || memoryMB < MIN_MB || memoryMB > MAX_MB) return fail(`--memory takes whole MiB from ${MIN_MB} to ${MAX_MB}, not '${values.memory}'`);
  if (values.arch !== "x86_64" && values.arch !== "x86_32") return fail(`--arch takes x86_64 or x86_32, not '${values.arch}'`);
  arch = values.arch;
  if (values.mode !== "pv" && values.mode !== "pvh") return fail(`--mode takes pv or pvh, not '${values.mode}'`);
  if (values.mode === "pvh" && arch !== "x86_64") return fail("--mode pvh runs the core as x86_64: --arch x86_32 has no PVH");
  if (values.mode === "pvh" && memoryMB > MAX_MB_PVH) return fail(`--mode pvh: the emulator's PVH domain holds its RAM below the 0xfc000000 hole: --memory ${MAX_MB_PVH} at most`);
  mode = values.mode;
  if (/pvboot\.(tool|path)=/.test(values.extra)) return fail("--extra may not set pvboot.tool or pvboot.path");
  ramdisk = undefined;
  if (values.ramdisk !== undefined) {
    if (!existsSync(values.ramdisk) || !statSync(values.ramdisk).isFile()) return fail(`cannot open ramdisk '${values.ramdisk}'`);
    ramdisk = readFileSync(values.ramdisk);
  }
  const extra = values.extra;
  const verbose = values.verbose;

  const report: Record<string, unknown> = { disk, arch: values.arch, ...(mode === "pvh" ? { mode } : {}), memory_mb: memoryMB };
  const finish = (code: number, lines: string[]): number => {
    report.exit = code;
    if (values.json) process.stdout.write(JSON.stringify(report) + "\n");
    else process.stdout.write(lines.map((l) => l + "\n").join(""));
    return code;
  };

  const s = core(disk, null, memoryMB, extra, verbose);
  if (s.run.trap || !s.json) {
    report.error = `the loader crashed reading the disk${s.run.trap ? `: wasm trap: ${s.run.trap}` : ""}`;
    return finish(2, [`pvboot check: ${report.error}`]);
  }
  if (s.json.filesystems.length === 0) {
    report.error = "no filesystem pvboot can read on the disk";
    for (const e of s.errors) process.stderr.write(`pvboot: check: ${e}\n`);
    return finish(2, [`pvboot check: ${disk}: ${report.error}`]);
  }
  const menu = s.json.menu;
  if (!menu) {
    report.error = s.json.error ?? "no config file found";
    for (const e of s.errors) process.stderr.write(`pvboot: check: ${e}\n`);
    return finish(1, [`pvboot check: ${report.error}`]);
  }
  report.config = menu.config;
  report.default = menu.default;
  if (menu.warnings?.length) report.config_warnings = menu.warnings;

  const entries: EntryResult[] = [];
  menu.entries.forEach((_: unknown, i: number) => {
    const r = core(disk, String(i), memoryMB, extra, verbose);
    const j = r.json as CoreEntry | null;
    const e: EntryResult = { index: i, title: menu.entries[i].title, ok: false, outcome: "failed", warnings: r.warnings };
    if (r.run.trap || !j) {
      e.error = `the loader crashed${r.run.trap ? `: wasm trap: ${r.run.trap}` : ""}${r.errors.length ? ` (${r.errors.join("; ")})` : ""}`;
    } else {
      Object.assign(e, { ok: j.ok, outcome: j.outcome, error: j.error, file: j.file, line: j.line, kernel: j.kernel, image: j.image, used_mb: j.used_mb });
      if (r.run.handoff) {
        e.checks = r.run.handoff.checks as Record<string, string>;
        // At a tight size the loader builds the kernel's pages over the unpacked ELF and the
        // record carries none: what needs the ELF cannot be compared (not a fault of the domain).
        const noElf = r.run.handoff.record.elfLen === 0;
        if (noElf) {
          const unchecked = Object.entries(e.checks).filter(([, v]) => /^the kernel ELF \(0 bytes\) cannot be read/.test(v)).map(([k]) => k);
          for (const k of unchecked) e.checks[k] = "not checked";
          if (unchecked.length > 0) {
            e.warnings.push(`the emulator could not check ${unchecked.join(", ")}: the loader reused the unpacked kernel's memory at ${memoryMB} MiB`);
          }
        }
        const bad = Object.entries(e.checks).filter(([, v]) => v !== "ok" && v !== "not checked");
        if (bad.length > 0) {
          e.ok = false;
          e.outcome = "failed";
          e.error = `the new domain failed the emulator's checks: ${bad.map(([k, v]) => `${k}: ${v}`).join("; ")}`;
        }
      } else if (j.ok && j.outcome === "loaded") {
        e.ok = false;
        e.outcome = "failed";
        e.error = `loaded, but the handoff did not happen (the run ended: ${r.run.shutdown})`;
      }
    }
    entries.push(e);
  });
  report.entries = entries;
  const def = entries[menu.default];
  const defaultOk = def !== undefined && def.ok && (def.outcome === "loaded" || def.outcome === "configfile");
  report.default_ok = defaultOk;

  const lines = entries.map((e) => {
    const head = `${String(e.index).padStart(3)} ${e.index === menu.default ? "*" : " "} ${e.title}: `;
    if (!e.ok) return head + (e.file ? `${e.file}:${e.line}: ${e.error}` : e.error);
    const what = e.outcome === "reboot" ? "ok (reboots the domain)" : e.outcome === "halt" ? "ok (powers the domain off)" :
      e.outcome === "configfile" ? "ok (shows another menu)" : e.outcome === "commandline" ? "ok (opens the command line)" : "ok";
    return head + what + e.warnings.map((w) => `; warning: ${w}`).join("");
  });

  // The smallest memory for the default entry: bisection between a size that fails and one
  // that boots (both in whole MiB), each a fresh domain.
  let minMB: number | null = null;
  const maxMB = mode === "pvh" ? MAX_MB_PVH : MAX_MB;
  const short = (e: EntryResult) => e.outcome === "failed" && /memory|MiB|fit/.test(e.error ?? "");
  if (def && (def.outcome === "loaded" || short(def))) {
    const boots = (mb: number) => {
      const r = core(disk, `${menu.default}/nojump`, mb, extra, false);
      return !r.run.trap && r.json?.ok === true && r.json?.outcome === "loaded";
    };
    let hi: number | null = def.ok ? memoryMB : null;
    let lo = MIN_MB - 1; // known not to boot: below what a domain may have here
    if (hi === null) {
      for (let mb = memoryMB * 2; mb <= maxMB; mb *= 2) {
        if (boots(mb)) {
          hi = mb;
          break;
        }
        lo = mb;
      }
      if (hi === null) lo = memoryMB;
      else lo = Math.max(lo, memoryMB);
    }
    if (hi !== null) {
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (boots(mid)) hi = mid;
        else lo = mid;
      }
      minMB = hi;
    }
  }
  report.min_memory_mb = minMB;
  if (minMB !== null) lines.push(`memory = ${minMB}    # the smallest that boots the default entry (${menu.default})`);
  else if (def && (def.outcome === "loaded" || short(def))) lines.push(`memory: no size up to ${maxMB} MiB boots the default entry (${menu.default})`);
  else lines.push(`memory: the default entry (${menu.default}) loads no kernel`);
  return finish(defaultOk ? 0 : 1, lines);
}
