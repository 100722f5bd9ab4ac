// `pvboot`: drive the loader. `run` boots a disk in the emulator harness; ls, cat, menu and
// check run one command of the core's tool mode (check: scripts/cli/check.ts); xen boots on
// real Xen. Output formats, once named by an issue, stay stable.

import { existsSync, readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { runLoader } from "../../test/harness/run.ts";
import { TerminalInput } from "../../test/harness/terminal.ts";
import { parseKeys } from "./keys.ts";
import { runTool } from "./tool.ts";
import { checkCommand, CHECK_USAGE } from "./check.ts";

const USAGE = `usage: pvboot <command> [options]

commands:
  run DISK         boot DISK (a raw disk image, as xvda) with pvboot in the emulated Xen
  ls DISK [PATH]   list a directory (or show a file) on DISK, as the loader reads it
  cat DISK PATH    write a file from DISK to stdout, as the loader reads it
  menu DISK...     the boot menu the loader finds on DISK (grub.cfg, BLS, menu.lst), as a listing or JSON
  check DISK       will DISK boot? every entry loaded and checked, and the smallest memory
  xen DISK         boot DISK in a PV (or PVH) domU on real Xen (under QEMU) with the pvboot image
  help [CMD]       this text, or a command's own

Run 'pvboot help CMD' or 'pvboot CMD --help' for a command's options.
`;

const RUN_USAGE = `usage: pvboot run DISK [--arch x86_64|x86_32] [--mode pv|pvh] [--extra ARG] [--memory MB] [--keys KEYS] [--json] [--write-disk]

Starts build/pvboot.wasm in the emulated Xen (the same core that runs in the PV image) with
DISK as xvda, and connects its PV console to this terminal: interactive when stdin is a
terminal (Ctrl-] detaches), or driven by --keys.

options:
  --arch ARCH    the kind of PV domain the core runs in, as pvboot-ARCH.elf would: x86_64
                 (default) or x86_32 (PAE; the core then boots 32-bit kernels only)
  --mode MODE    pv (default), or pvh: a PVH domain, as pvboot-pvh.elf would run the core (x86_64
                 only; RAM below 0xfc000000, so --memory 4000 at most); the jump is checked as
                 a PVH kernel finds its domain (hvm_start_info, segments at their physical
                 addresses, PHYS32 entry)
  --extra ARG    the domain's command line (xl extra=), e.g. "(hd0,0)/boot/grub/menu.lst"
  --memory MB    the domain's memory (default 256)
  --keys KEYS    keys to type, instead of the terminal: text with \\n \\r \\t \\e \\xNN escapes and
                 <enter> <esc> <tab> <bs> <up> <down> <left> <right> <home> <end> <c-x>
  --json         end with one JSON line describing how the domain ended
  --wasm FILE    another core (default build/pvboot.wasm)
  --dom0         run as the initial domain (console through console_io)
  --write-disk   the saved defaults the loader writes (savedefault, save_env: docs/config.md,
                 "What pvboot writes") go into DISK, as on Xen; without it they are kept in
                 memory for this run only and DISK is never changed

Without a terminal, the run stops where the loader waits for keys that are not there (--keys
ran out): "shutdown" is "idle" in the JSON line. The JSON line always starts a line of its own.

Both JSON lines carry "report": the boot report's phases as the core printed them
("pvboot: report: ..." lines: disks, config, each file read, each unpacking, layout,
teardown), each {"phase", "what" (file or format), "count", "bytes", "bytes_out" (unpacked),
"ms", "mib_per_s" (reads)}, fields absent when the line has none. Times are the domain's Xen
time: in the emulator a virtual clock that moves little while the core computes.

When the loader boots an entry, it jumps into the next kernel (xen.start_kernel) and the
harness checks the new domain as that kernel finds it (test/harness/handoff.ts). With --json
the run then ends with one JSON line instead: {"entry": TITLE, "kernel": {"format",
"compression", "entry", "virt_base"}, "start_info": {"magic", "nr_pages", "shared_info",
"flags", "store_mfn", "store_evtchn", "console_mfn", "console_evtchn", "pt_base",
"nr_pt_frames", "mfn_list", "mod_start", "mod_len", "cmd_line", "first_p2m_pfn",
"nr_p2m_frames"}, "modules": [{"size", "cmdline"}], "checks": {NAME: "ok" or what failed},
"report": [...]}.
Addresses, frame and pfn numbers are "0x..." strings, counts and ports numbers; "entry" and
the kernel's format and compression come from the summary the core hands over (null when it
gives none). The checks: pagetables, segments, bss, start_info, p2m, layout, hypercall_page,
modules, evtchn, grants, xenstore, blkback, timer, console, trampoline.

exit status: 0 when the domain powered off or waits for keys, or jumped into the next kernel
with every check "ok"; 1 when it crashed or rebooted, or jumped with a check failed; 2 on a
usage error.
`;

const LS_USAGE = `usage: pvboot ls DISK [PATH] [--memory MB] [--verbose]

Lists PATH on DISK the way the loader sees it (the same core, through the emulated blkfront):
one entry per line, "MODE SIZE NAME", directories with a trailing '/', symlinks with
" -> TARGET". PATH may name a device, "(hd0,0)/boot" or "(hd0)/" for a partitionless disk;
without one, the first partition holding a filesystem. Errors go to stderr; exit status 1.
`;

const CAT_USAGE = `usage: pvboot cat DISK PATH [--memory MB] [--verbose]

Writes the file PATH on DISK to stdout, read the way the loader reads it. PATH as for ls.
`;

const MENU_USAGE = `usage: pvboot menu DISK [DISK...] [--extra ARG] [--ramdisk FILE] [--json] [--memory MB] [--verbose]

Finds and reads the boot configuration the way the loader does at boot (the same core, in the
emulated Xen, DISK as xvda, more disks as xvdb, ...): the file or BLS entries folder named on
the domain's command line (--extra, xl extra=: the last word that is a path such as
"(hd0,0)/boot/grub/grub.cfg"; the format is known from the content), else the ramdisk
(--ramdisk, xl ramdisk=) as a menu.lst, else on each partition of hd0, hd1, ... in turn:
/boot/xen/pvboot-x86_64.elf, /boot/grub/grub.cfg, /grub/grub.cfg, /boot/grub2/grub.cfg,
/grub2/grub.cfg, /boot/loader/entries, /loader/entries, /boot/grub/menu.lst,
/boot/grub/grub.conf, /grub/menu.lst, /grub/grub.conf. docs/config.md has the rules.

Without --json, one line per entry: its number (from 0), a '*' on the default, its title
(after its submenus' titles, joined by " > "); then the menu's settings, one per line: format
(when not menu.lst), config, default, timeout, fallback, hiddenmenu, password (each only when set).

--json: one JSON object: {"format": "grub.cfg"|"bls"|"menu.lst"|"chain", "file": PATH,
"default": N (into entries), "timeout": S (-1: the menu waits), "hiddenmenu": BOOL,
"entries": [{"title", "path": [submenus..., title], "id", "root", "kernel", "args",
"initrds": [...]}], "warnings": [...]}; submenus flattened depth-first; grub.cfg and bls
kernels and initrds with their device resolved, "(hd0,0)/boot/vmlinuz-...". menu.lst keeps its
own fields too: "config", "fallback", "password", "initrd", "modules": [{"path", "args"}].
Strings: valid UTF-8 passes through, any other byte is its Latin-1 character.

Warnings (unknown commands, ...) go to stderr. Exit status 1 when no config is found (what
was tried goes to stderr) or it cannot be used (binary, over-long line), 2 on a usage error.
`;

const XEN_USAGE = `usage: pvboot xen DISK [--arch x86_64|x86_32] [--extra ARG] [--memory MB] [--timeout S] [--verbose] [--mode pv|pvh]

Boots DISK (a raw disk image, as xvda) in a PV (or PVH) domU of a real Xen 4.17 host, Debian's
hypervisor and dom0 under QEMU (TCG), with the pvboot image as the domain's kernel
(xl: kernel = ...), and writes the guest's console to stdout as it comes. Xen and dom0 take
about 20 s before the guest starts. The first use builds the host from Debian's packages
into build/cache/xen-host/ (about a minute; needs root), see scripts/xen-host/README.md.
The guest gets a copy of DISK: the saved defaults pvboot writes there do not reach DISK.

options:
  --arch A       x86_64 (default): build/pvboot-x86_64.elf.gz on Debian's own hypervisor;
                 x86_32: build/pvboot-x86_32.elf.gz, the 32-bit PAE image, on the hypervisor
                 rebuilt from Debian's xen source with CONFIG_PV32=y (Debian's binary runs no
                 32-bit PV guests; the first use builds it, about 5 minutes on 2 cores)
  --mode MODE    pv (default), or pvh: build/pvboot-pvh.elf.gz in a PVH domU (type = "pvh",
                 cpuid = "host,rdtscp=0,xsave=0": scripts/xen-host/README.md); x86_64 only
  --extra ARG    the domain's command line (xl extra=)
  --memory MB    the domain's memory (default 256)
  --timeout S    give up after S seconds (default 180)
  --verbose      Xen's and dom0's serial lines too, timestamped, on stderr

exit status: 0 when the domain powered off, 1 when it crashed or the run failed, 2 on a usage
error or a missing image.
`;

// The boot report's lines (src/boot/report.ts) as JSON: one object per phase.
export interface ReportPhase {
  phase: string; what?: string; count?: number; bytes?: number; bytes_out?: number; ms: number; mib_per_s?: number;
}

export function parseReport(consoleText: string): ReportPhase[] {
  const out: ReportPhase[] = [];
  for (const raw of consoleText.split("\r\n")) {
    const line = raw.slice(raw.lastIndexOf("\r") + 1); // after a progress line's blanking
    const m = /^pvboot: report: (\w+)(?: (.*?))?: (?:(\d+) \w+ )?(?:(\d+)(?: -> (\d+))? bytes \([^)]*\) )?in (\d+\.\d+) ms(?:, (\d+\.\d) MiB\/s)?$/.exec(line);
    if (!m) continue;
    const p: ReportPhase = { phase: m[1], ms: Number(m[6]) };
    if (m[2] !== undefined) p.what = m[2];
    if (m[3] !== undefined) p.count = Number(m[3]);
    if (m[4] !== undefined) p.bytes = Number(m[4]);
    if (m[5] !== undefined) p.bytes_out = Number(m[5]);
    if (m[7] !== undefined) p.mib_per_s = Number(m[7]);
    out.push(p);
  }
  return out;
}

function fail(msg: string): number {
  process.stderr.write(`pvboot: ${msg}\n`);
  return 2;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      arch: { type: "string", default: "x86_64" },
      mode: { type: "string", default: "pv" },
      extra: { type: "string", default: "" },
      memory: { type: "string", default: "256" },
      keys: { type: "string" },
      json: { type: "boolean", default: false },
      wasm: { type: "string" },
      dom0: { type: "boolean", default: false },
      "write-disk": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  if (positionals.length !== 1) return fail(`run: expected one DISK, got ${positionals.length}\n${RUN_USAGE}`);
  const disk = positionals[0];
  if (!existsSync(disk) || !statSync(disk).isFile()) return fail(`run: cannot open disk image '${disk}'`);
  const memoryMB = Number(values.memory);
  if (!Number.isInteger(memoryMB) || memoryMB < 16 || memoryMB > 65536) return fail(`run: --memory takes whole MiB from 16 to 65536, not '${values.memory}'`);
  const arch = values.arch;
  if (arch !== "x86_64" && arch !== "x86_32") return fail(`run: --arch is x86_64 or x86_32, not '${arch}'`);
  if (arch === "x86_32" && memoryMB > 3900) return fail(`run: an x86_32 domain maps its memory below the hypervisor hole: --memory 3900 at most`);
  const mode = values.mode;
  if (mode !== "pv" && mode !== "pvh") return fail(`run: --mode is pv or pvh, not '${mode}'`);
  if (mode === "pvh" && arch !== "x86_64") return fail(`run: a PVH domain runs the core as x86_64: --arch x86_32 has no PVH`);
  if (mode === "pvh" && memoryMB > 4000) return fail(`run: the emulator's PVH domain holds its RAM below the 0xfc000000 hole: --memory 4000 at most`);
  if (mode === "pvh" && values.dom0) return fail(`run: the emulator's PVH domain is a domU: no --dom0`);
  let keys: Uint8Array | undefined;
  try {
    keys = values.keys !== undefined ? parseKeys(values.keys) : undefined;
  } catch (e) {
    return fail(`run: ${(e as Error).message}`);
  }
  if (values.wasm && !existsSync(values.wasm)) return fail(`run: no core at '${values.wasm}'`);

  const terminal = keys === undefined && process.stdin.isTTY ? new TerminalInput() : undefined;
  let result;
  let lastByte = 0x0a;
  try {
    result = runLoader({
      arch, mode, memoryMB, cmdline: values.extra, keys, terminal, wasm: values.wasm, dom0: values.dom0,
      disks: [{ image: disk, persist: values["write-disk"] }],
      onOutput: (bytes) => {
        if (bytes.length > 0) lastByte = bytes[bytes.length - 1];
        process.stdout.write(bytes);
      },
    });
  } finally {
    terminal?.close();
  }
  // The JSON line starts a line of its own, even when the console stopped mid-line.
  const jsonLine = (o: unknown) => process.stdout.write((lastByte === 0x0a ? "" : "\n") + JSON.stringify(o) + "\n");
  const report = parseReport(result.console);
  if (result.shutdown === "jumped") {
    const h = result.handoff ?? result.pvh!;
    for (const [name, c] of Object.entries(h.checks)) if (c !== "ok") process.stderr.write(`pvboot run: check ${name}: ${c}\n`);
    const bad = Object.values(h.checks).filter((c) => c !== "ok").length;
    process.stderr.write(`pvboot run: the kernel took over at 0x${h.record.entry.toString(16)}; the emulator checked the new domain: ` +
      `${bad === 0 ? `all ${Object.keys(h.checks).length} checks ok` : `${bad} of ${Object.keys(h.checks).length} checks failed`}\n`);
    if (values.json) jsonLine({ ...h.json, report });
    return Object.values(h.checks).every((c) => c === "ok") ? 0 : 1;
  }
  if (values.json) {
    const banner = result.console.split("\r\n").find((l) => l.startsWith("pvboot ")) ?? null;
    jsonLine({
      disk, arch, mode, memory_mb: memoryMB, shutdown: result.shutdown, trap: result.trap ?? null, banner,
      console_bytes: result.console.length, xen_time_ms: Number(result.domain.clock.now / 1_000_000n), report,
    });
  }
  return result.shutdown === "poweroff" || result.shutdown === "detached" || result.shutdown === "idle" ? 0 : 1;
}

function toolCommand(cmd: "ls" | "cat", usage: string, argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      memory: { type: "string", default: "512" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const need = cmd === "cat" ? 2 : 1;
  if (positionals.length < need || positionals.length > 2) return fail(`${cmd}: wrong arguments\n${usage}`);
  const [disk, path] = positionals;
  if (!existsSync(disk) || !statSync(disk).isFile()) return fail(`${cmd}: cannot open disk image '${disk}'`);
  const memoryMB = Number(values.memory);
  if (!Number.isInteger(memoryMB) || memoryMB < 16 || memoryMB > 65536) return fail(`${cmd}: --memory takes whole MiB from 16 to 65536`);
  return runTool(disk, cmd, path ?? null, { memoryMB, verbose: values.verbose }).code;
}

interface MenuJson {
  format?: string; file?: string; config?: string; default: number; default_saved?: boolean; timeout?: number;
  fallback?: number[]; hiddenmenu: boolean; password?: boolean; password_md5?: boolean;
  entries: { title: string; path?: string[] }[];
}

// The human listing of the JSON the core printed: an entry in a submenu shows its path
// ("Advanced options for Debian GNU/Linux > Debian GNU/Linux, with Linux ...").
export function menuListing(m: MenuJson): string {
  let out = "";
  m.entries.forEach((e, i) => {
    out += `${String(i).padStart(3)} ${i === m.default ? "*" : " "} ${(e.path ?? [e.title]).join(" > ")}\n`;
  });
  if (m.format && m.format !== "menu.lst") out += `format     ${m.format}\n`;
  out += `config     ${m.file ?? m.config}\n`;
  out += `default    ${m.default}${m.default_saved ? " (saved)" : ""}\n`;
  if (m.timeout !== undefined && m.timeout >= 0) out += `timeout    ${m.timeout}\n`;
  if (m.fallback) out += `fallback   ${m.fallback.join(" ")}\n`;
  if (m.hiddenmenu) out += `hiddenmenu yes\n`;
  if (m.password) out += `password   ${m.password_md5 ? "md5" : "plain"}\n`;
  return out;
}

function menuCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      extra: { type: "string", default: "" },
      ramdisk: { type: "string" },
      json: { type: "boolean", default: false },
      memory: { type: "string", default: "512" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(MENU_USAGE);
    return 0;
  }
  if (positionals.length < 1) return fail(`menu: expected a DISK\n${MENU_USAGE}`);
  for (const d of positionals) if (!existsSync(d) || !statSync(d).isFile()) return fail(`menu: cannot open disk image '${d}'`);
  const memoryMB = Number(values.memory);
  if (!Number.isInteger(memoryMB) || memoryMB < 16 || memoryMB > 65536) return fail(`menu: --memory takes whole MiB from 16 to 65536`);
  let ramdisk: Uint8Array | undefined;
  if (values.ramdisk !== undefined) {
    if (!existsSync(values.ramdisk) || !statSync(values.ramdisk).isFile()) return fail(`menu: cannot open ramdisk '${values.ramdisk}'`);
    ramdisk = readFileSync(values.ramdisk);
  }
  if (/pvboot\.(tool|path)=/.test(values.extra)) return fail("menu: --extra may not set pvboot.tool or pvboot.path");
  const chunks: Buffer[] = [];
  const r = runTool(positionals[0], "menu", null, {
    memoryMB, verbose: values.verbose, disks: positionals.slice(1), extra: values.extra, ramdisk,
    stdout: (b) => chunks.push(Buffer.from(b)),
  });
  const text = Buffer.concat(chunks).toString("utf8");
  if (values.json) process.stdout.write(text);
  else if (r.code === 0 && text.length > 0) process.stdout.write(menuListing(JSON.parse(text) as MenuJson));
  return r.code;
}

async function xen(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      arch: { type: "string", default: "x86_64" },
      mode: { type: "string", default: "pv" },
      extra: { type: "string" },
      memory: { type: "string", default: "256" },
      timeout: { type: "string", default: "180" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(XEN_USAGE);
    return 0;
  }
  if (positionals.length !== 1) return fail(`xen: expected one DISK, got ${positionals.length}\n${XEN_USAGE}`);
  const disk = positionals[0];
  if (!existsSync(disk) || !statSync(disk).isFile()) return fail(`xen: cannot open disk image '${disk}'`);
  const memoryMB = Number(values.memory);
  if (!Number.isInteger(memoryMB) || memoryMB < 16 || memoryMB > 65536) return fail(`xen: --memory takes whole MiB from 16 to 65536, not '${values.memory}'`);
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) return fail(`xen: --timeout takes seconds, not '${values.timeout}'`);
  if (values.arch !== "x86_64" && values.arch !== "x86_32") return fail(`xen: --arch takes x86_64 or x86_32, not '${values.arch}'`);
  if (values.mode !== "pv" && values.mode !== "pvh") return fail(`xen: --mode takes pv or pvh, not '${values.mode}'`);
  const pvh = values.mode === "pvh";
  if (pvh && values.arch !== "x86_64") return fail(`xen: a PVH domain runs the core as x86_64: --arch x86_32 has no PVH`);
  const { PVBOOT_IMAGE, PVBOOT_IMAGE_X86_32, PVBOOT_IMAGE_PVH, runGuests } = await import("../xen-host/guests.ts");
  const pv32 = values.arch === "x86_32";
  const image = pvh ? PVBOOT_IMAGE_PVH : pv32 ? PVBOOT_IMAGE_X86_32 : PVBOOT_IMAGE;
  if (!existsSync(image)) {
    return fail(pv32
      ? `xen: no ${image}: the 32-bit PAE image (xen-3.0-x86_32p) is not built; make builds it next to the x86_64 one once its shim (boot/x86_32) is in the tree`
      : `xen: no ${image}: run make first`);
  }

  const s = (ms: number) => (ms / 1000).toFixed(1);
  process.stderr.write(`pvboot xen: starting Xen${pv32 ? " (with CONFIG_PV32, for the 32-bit image)" : ""} and dom0 under QEMU\n`);
  const r = await runGuests([{ name: "pvboot", type: pvh ? "pvh" : "pv", kernel: image, disk, extra: values.extra, memoryMB, hotplug: "block-quick" }], {
    timeoutMs: timeoutS * 1000, waitForEnd: true, echo: values.verbose, hypervisor: pv32 ? "pv32" : "debian",
    onGuestLine: (_, text) => process.stdout.write(text + "\n"),
    onHostLine: (text, ms) => {
      if (!values.verbose && /^pvboot-host: (xl ready|pvboot: )/.test(text)) process.stderr.write(`pvboot xen: [${s(ms)} s] ${text.slice(13)}\n`);
    },
  });
  const g = r.guests[0];
  process.stderr.write(`pvboot xen: ${g.ended ? `domain ended: ${g.ended}` : `failed: ${r.reason}`} (${s(r.elapsedMs)} s)\n`);
  return g.ended === "poweroff" ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "run":
        return await run(rest);
      case "ls":
        return toolCommand("ls", LS_USAGE, rest);
      case "cat":
        return toolCommand("cat", CAT_USAGE, rest);
      case "menu":
        return menuCommand(rest);
      case "check":
        return checkCommand(rest);
      case "xen":
        return await xen(rest);
      case "help":
      case "--help":
      case "-h":
      case undefined:
        if (rest[0] === "run") process.stdout.write(RUN_USAGE);
        else if (rest[0] === "ls") process.stdout.write(LS_USAGE);
        else if (rest[0] === "cat") process.stdout.write(CAT_USAGE);
        else if (rest[0] === "menu") process.stdout.write(MENU_USAGE);
        else if (rest[0] === "check") process.stdout.write(CHECK_USAGE);
        else if (rest[0] === "xen") process.stdout.write(XEN_USAGE);
        else if (rest[0]) return fail(`help: no command '${rest[0]}'`);
        else process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        return fail(`unknown command '${cmd}'\n${USAGE}`);
    }
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) return fail(`${cmd}: ${(e as Error).message}`);
    throw e;
  }
}
