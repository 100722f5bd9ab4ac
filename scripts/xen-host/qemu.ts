// Boot the real Xen under QEMU (TCG) with one dom0 image and watch the serial
// console until every expected line has shown up, a failure line shows up,
// Xen halts, QEMU exits, or time runs out. QEMU is always killed afterwards.
//
//   tsx scripts/xen-host/qemu.ts --dom0 FILE [--cmdline STR] --expect REGEX [--expect REGEX ...] [--timeout S]

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureXen } from "./fetch.js";

export interface XenRun {
  xen: string;
  dom0: string;
  dom0Cmdline?: string;
  extraModules?: string[]; // more multiboot modules after dom0's kernel: its initrd first
  drives?: string[];       // raw images, dom0's virtio disks /dev/vda, /dev/vdb, ...
  xenCmdline?: string;
  memoryMB?: number;
  dom0MemMB?: number;
  expect: RegExp[];
  failOn?: RegExp[];
  timeoutMs: number;
  prefix?: string;
  echo?: boolean;
  // Every serial line as it arrives, with the milliseconds since QEMU was spawned.
  onLine?: (text: string, ms: number) => void;
}

// matched[i] is the line that matched expect[i], or "" if none did.
export interface XenResult {
  ok: boolean;
  reason: string;
  lines: string[];
  times: number[]; // times[i]: when lines[i] arrived, in ms since QEMU was spawned
  elapsedMs: number;
  matched: string[];
}

// Xen 4.17's own words (xen/drivers/char/console.c panic(), xen/common/domain.c
// __domain_crash(), xen/common/shutdown.c hwdom_shutdown()), plus Linux's.
export const DEFAULT_FAIL_ON: RegExp[] = [
  /Panic on CPU \d+:/,
  /d0v\d+ Unhandled: vec/, // a PV trap with no handler: the crash follows
  /Domain 0 \(vcpu#\d+\) crashed on cpu#\d+/,
  /Domain 0 reported crashed/,
  /Hardware Dom0 crashed/,
  /Kernel panic/,
];

// After these Xen prints nothing more: with `noreboot` the machine just halts
// and QEMU would run forever.
const XEN_HALTED: RegExp[] = [
  /Manual reset required \('noreboot' specified\)/,
  /'noreboot' set - not rebooting/,
  /Hardware Dom0 halted: halting machine/,
  /Hardware Dom0 shutdown/,
];

// How long to keep reading after a failure line, to capture the panic message
// or register dump that follows it.
const FAIL_DRAIN_MS = 1000;
const TERM_GRACE_MS = 2000;

export function defaultXenCmdline(dom0MemMB = 64): string {
  return [
    "console=com1",
    "com1=115200,8n1",
    `dom0_mem=${dom0MemMB}M,max:${dom0MemMB}M`,
    "dom0_max_vcpus=1",
    "noreboot",
    "bootscrub=0",
    "smap=0", // with SMAP a PV dom0 faults in create_bounce_frame under TCG
    "loglvl=all",
    "guest_loglvl=all",
  ].join(" ");
}

// QEMU splits the multiboot -initrd string into modules at commas (",," is a
// literal comma) and each module at its first space into file and cmdline.
export function multibootModule(file: string, cmdline = ""): string {
  if (/\s/.test(file)) throw new Error(`multiboot module path must not contain whitespace: ${file}`);
  const module = cmdline ? `${file} ${cmdline}` : file;
  return module.replaceAll(",", ",,");
}

export function qemuArgs(opts: XenRun): string[] {
  if (/\s/.test(opts.xen)) throw new Error(`Xen path must not contain whitespace: ${opts.xen}`);
  return [
    "-accel", process.env.PVBOOT_QEMU_ACCEL ?? "tcg,thread=multi",
    "-machine", "pc",
    "-cpu", "max",
    "-smp", process.env.PVBOOT_QEMU_SMP ?? "2",
    "-m", String(opts.memoryMB ?? 1024),
    "-nographic",
    "-no-reboot",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
    "-kernel", opts.xen,
    "-append", opts.xenCmdline ?? defaultXenCmdline(opts.dom0MemMB),
    "-initrd", [multibootModule(opts.dom0, opts.dom0Cmdline), ...(opts.extraModules ?? []).map((m) => multibootModule(m))].join(","),
    ...(opts.drives ?? []).flatMap((d) => {
      if (/,/.test(d)) throw new Error(`drive path must not contain a comma: ${d}`);
      return ["-drive", `file=${d},format=raw,if=virtio,cache=unsafe`];
    }),
  ];
}

export function cleanLine(raw: string): string {
  return raw
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, "") // CSI sequences
    .replace(/\x1b[()][0-9A-Za-z]|\x1b[@-~]/g, "") // other escapes, e.g. SeaBIOS's ESC c
    .replace(/\r/g, "");
}

// Kill QEMU if the Node process exits while it still runs. A hard kill of Node
// is covered by setpriv's parent-death signal below.
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function spawnQemu(args: string[]): ChildProcess {
  const qemu = "qemu-system-x86_64";
  // setpriv execs QEMU in place, so the pid stays QEMU's own.
  const child = existsSync("/usr/bin/setpriv")
    ? spawn("/usr/bin/setpriv", ["--pdeathsig", "KILL", "--", qemu, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(qemu, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.on("exit", () => running.delete(child));
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function killQemu(child: ChildProcess): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  const gone = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((done) => (timer = setTimeout(() => done(true), TERM_GRACE_MS)));
  if (await Promise.race([gone.then(() => false), graceOver])) {
    child.kill("SIGKILL");
    await gone;
  }
  clearTimeout(timer);
}

// One QEMU at a time on this machine (TCG takes both cores): every runXen holds an flock on
// QEMU_LOCK while its QEMU runs. flock(1) holds it for us; it dies with this process (the
// parent-death signal), and the kernel drops the lock with it. Waiting does not count
// against a run's timeout.
export const QEMU_LOCK = process.env.PVBOOT_QEMU_LOCK ?? "/tmp/pvboot-xen-qemu.lock";

async function acquireQemuLock(onWait: () => void): Promise<() => void> {
  if (!existsSync("/usr/bin/flock")) return () => {};
  const args = ["-o", QEMU_LOCK, "-c", "echo locked; exec cat >/dev/null"];
  const holder = existsSync("/usr/bin/setpriv")
    ? spawn("/usr/bin/setpriv", ["--pdeathsig", "KILL", "--", "/usr/bin/flock", ...args], { stdio: ["pipe", "pipe", "ignore"] })
    : spawn("/usr/bin/flock", args, { stdio: ["pipe", "pipe", "ignore"] });
  running.add(holder);
  holder.on("exit", () => running.delete(holder));
  const waiting = setTimeout(onWait, 500);
  try {
    await new Promise<void>((done, fail) => {
      holder.stdout!.once("data", () => done());
      holder.once("error", fail);
      holder.once("exit", (code) => fail(new Error(`flock ${QEMU_LOCK} exited (${code})`)));
    });
  } finally {
    clearTimeout(waiting);
  }
  return () => {
    holder.stdin!.end();
    holder.kill("SIGKILL");
  };
}

export async function runXen(opts: XenRun): Promise<XenResult> {
  const release = await acquireQemuLock(() => {
    if (opts.echo) process.stderr.write(`${opts.prefix ?? ""}waiting for another QEMU to finish (${QEMU_LOCK})\n`);
  });
  try {
    return await runXenLocked(opts);
  } finally {
    release();
  }
}

async function runXenLocked(opts: XenRun): Promise<XenResult> {
  const failOn = opts.failOn ?? DEFAULT_FAIL_ON;
  const prefix = opts.prefix ?? "";
  const lines: string[] = [];
  const times: number[] = [];
  const matched = opts.expect.map(() => "");
  const start = Date.now();
  const stamp = () => ((Date.now() - start) / 1000).toFixed(3).padStart(8);
  const echo = (text: string) => {
    if (opts.echo) process.stderr.write(`${prefix}[${stamp()}] ${text}\n`);
  };
  const missing = () => opts.expect.filter((_, i) => !matched[i]).map(String).join(", ");

  const args = qemuArgs(opts);
  const child = spawnQemu(args);
  let qemuStderr = "";

  try {
    const verdict = await new Promise<{ ok: boolean; reason: string }>((settle, fail) => {
      let decided = false;
      let failure: { line: number; re: RegExp } | undefined;
      let drain: NodeJS.Timeout | undefined;
      let partial = "";

      const decide = (ok: boolean, reason: string) => {
        if (decided) return;
        decided = true;
        clearTimeout(timer);
        clearTimeout(drain);
        settle({ ok, reason });
      };
      // The failing line, the one after it (e.g. the panic message) and Xen's halt line.
      const failed = () => {
        const { line, re } = failure!;
        const meaningful = lines.slice(line + 1).filter((l) => /[^*\s]/.test(l.replace(/^\(XEN\)/, "")));
        const halt = meaningful.find((l) => XEN_HALTED.some((h) => h.test(l)));
        const context = [...new Set([lines[line], ...meaningful.slice(0, 1), ...(halt ? [halt] : [])])];
        decide(false, `failure (${re}): ${context.join(" | ")}`);
      };

      const onLine = (text: string) => {
        lines.push(text);
        times.push(Date.now() - start);
        echo(text);
        opts.onLine?.(text, Date.now() - start);
        if (decided) return;
        if (failure) {
          if (XEN_HALTED.some((re) => re.test(text))) failed();
          return;
        }
        opts.expect.forEach((re, i) => {
          if (!matched[i] && re.test(text)) matched[i] = text;
        });
        if (matched.every((m) => m)) return decide(true, `matched ${opts.expect.length} expected line(s)`);
        const re = failOn.find((r) => r.test(text));
        if (re) {
          failure = { line: lines.length - 1, re };
          drain = setTimeout(failed, FAIL_DRAIN_MS);
        }
        if (XEN_HALTED.some((r) => r.test(text))) {
          if (failure) return failed();
          decide(false, `Xen halted before ${missing()} matched: ${text}`);
        }
      };

      const timer = setTimeout(() => {
        if (partial) onLine(cleanLine(partial));
        partial = "";
        decide(false, `timeout after ${opts.timeoutMs / 1000} s; missing ${missing()}`);
      }, opts.timeoutMs);

      child.stdout!.setEncoding("utf8");
      child.stdout!.on("data", (chunk: string) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop()!;
        for (const part of parts) onLine(cleanLine(part));
      });
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (chunk: string) => {
        const done = qemuStderr.length - (qemuStderr.split("\n").pop() ?? "").length;
        qemuStderr += chunk;
        const complete = qemuStderr.slice(done).split("\n").slice(0, -1);
        for (const l of complete) if (l.trim()) echo(`qemu: ${l}`);
      });
      child.on("error", (err) => fail(err));
      child.on("close", (code, signal) => {
        if (partial) onLine(cleanLine(partial));
        partial = "";
        if (failure) return failed();
        const how = signal ? `signal ${signal}` : `code ${code}`;
        const why = qemuStderr.trim() ? `: ${qemuStderr.trim().split("\n").pop()}` : "";
        decide(false, `qemu exited (${how}) before ${missing()} matched${why}`);
      });
    });
    return { ...verdict, lines, times, elapsedMs: Date.now() - start, matched };
  } finally {
    await killQemu(child);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dom0: { type: "string" },
      cmdline: { type: "string" },
      expect: { type: "string", multiple: true },
      "fail-on": { type: "string", multiple: true },
      timeout: { type: "string", default: "120" },
      xen: { type: "string" },
      "xen-cmdline": { type: "string" },
      "dom0-mem": { type: "string" },
      memory: { type: "string" },
      quiet: { type: "boolean", default: false },
    },
  });
  if (!values.dom0 || !values.expect?.length) {
    console.error("usage: qemu.ts --dom0 FILE [--cmdline STR] --expect REGEX [--expect REGEX ...] [--timeout S]\n" +
      "                [--fail-on REGEX ...] [--xen ELF] [--xen-cmdline STR] [--dom0-mem MB] [--memory MB] [--quiet]");
    process.exit(2);
  }
  const result = await runXen({
    xen: values.xen ?? (await ensureXen()),
    dom0: values.dom0,
    dom0Cmdline: values.cmdline,
    xenCmdline: values["xen-cmdline"],
    dom0MemMB: values["dom0-mem"] ? Number(values["dom0-mem"]) : undefined,
    memoryMB: values.memory ? Number(values.memory) : undefined,
    expect: values.expect.map((s) => new RegExp(s)),
    failOn: values["fail-on"] ? [...DEFAULT_FAIL_ON, ...values["fail-on"].map((s) => new RegExp(s))] : undefined,
    timeoutMs: Number(values.timeout) * 1000,
    echo: !values.quiet,
    prefix: "xen| ",
  });
  console.log(`${result.ok ? "PASS" : "FAIL"} (${(result.elapsedMs / 1000).toFixed(1)} s): ${result.reason}`);
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Ctrl-C or a kill of the CLI must take QEMU down too: exit runs the handler above.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => process.exit(130));
  main().catch((err) => {
    console.error(`qemu: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
