// Run PV domUs on the real Xen test host: one Xen boot under QEMU (TCG) whose dom0 creates
// every guest with `xl create` and copies each guest's console onto the serial line as
// "[NAME] LINE". The host side timestamps every line, succeeds as soon as every guest has
// printed all its expected lines, and fails on a crash, on a guest that ended without them,
// or on timeout. QEMU is killed by its pid on every path (qemu.ts).
//
//   tsx scripts/xen-host/guests.ts --disk DISK [--name NAME] [--kernel FILE] [--ramdisk FILE]
//       [--extra ARG] [--memory MB] [--expect REGEX ...] [--key 'AFTER=>SEND' ...]
//       [--hotplug block|block-quick] [--pv32] [--pvh] [--dmesg N] [--timeout S] [--quiet]
//
// --pv32 (hypervisor: "pv32") boots the hypervisor built with CONFIG_PV32 (xen-pv32.ts), which
// runs 32-bit PV guests; by default Debian's own hypervisor runs (64-bit guests only).
// --pvh makes the guest a PVH domain (type = "pvh"; kernel e.g. build/pvboot-pvh.elf.gz).
// --dmesg N: at the end, the guest's xl log and the last N lines of `xl dmesg`.
// Without --expect the run waits for the guest to end and says how it ended.

import { execFileSync } from "node:child_process";
import { copyFileSync, linkSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { defaultCacheDir } from "./fetch.js";
import { ensureHost, shellQuote, type HostParts } from "./build.js";
import { DEFAULT_FAIL_ON, runXen, type XenResult } from "./qemu.js";
import { ensureXenPv32 } from "./xen-pv32.js";

// The images the guests boot are the gzip-compressed ones users name in `kernel =` (xl's
// libxenguest unpacks them); PVBOOT_ELF* are the uncompressed images they unpack to.
export const PVBOOT_IMAGE = fileURLToPath(new URL("../../build/pvboot-x86_64.elf.gz", import.meta.url));
export const PVBOOT_ELF = PVBOOT_IMAGE.replace(/\.gz$/, "");
// The 32-bit PAE image (issue 17): runs only on the PV32 hypervisor.
export const PVBOOT_IMAGE_X86_32 = fileURLToPath(new URL("../../build/pvboot-x86_32.elf.gz", import.meta.url));
export const PVBOOT_ELF_X86_32 = PVBOOT_IMAGE_X86_32.replace(/\.gz$/, "");
// The PVH image (issue 23): `type = "pvh"` guests.
export const PVBOOT_IMAGE_PVH = fileURLToPath(new URL("../../build/pvboot-pvh.elf.gz", import.meta.url));

export interface GuestSpec {
  name: string;                 // [a-z0-9-]+: the domain's name and the line prefix
  // The domain's type (default "pv"). A "pvh" guest also gets cpuid = "host,rdtscp=0,xsave=0":
  // under QEMU TCG, Xen's SVM code without NRIPS mis-decodes RDTSCP exits and the guest takes
  // #GP, and AVX code in the guest's user space now and then takes #UD (README.md here).
  type?: "pv" | "pvh";
  kernel?: string;              // default: build/pvboot-x86_64.elf.gz
  ramdisk?: string;
  disk?: string;                // a raw image, given to the guest as xvda (read-write)
  extra?: string;               // xl extra=, the kernel's command line
  memoryMB?: number;            // default 256
  // Debian's hotplug script for the disk ("block", the default) or block-quick (dom0-init.ts),
  // which attaches the loop device with far fewer processes: seconds less per guest under TCG.
  hotplug?: "block" | "block-quick";
  expect?: RegExp[];            // lines the guest must print (matched without the "[NAME] " prefix)
  // Keys typed into the guest's console once it has printed `after` (a fixed string);
  // `send` takes printf escapes (\r, \033). For driving menus through the console.
  keys?: { after: string; send: string }[];
  // With oneAtATime: destroy the guest if it is still there after this many seconds (one that
  // stays in its menu after an error), and go on with the next. Default: the run's timeout.
  timeoutS?: number;
}

export interface GuestLine { text: string; ms: number }

export interface GuestResult {
  name: string;
  ok: boolean;                  // every expected line seen
  matched: string[];            // per expect, the line (without prefix) or ""
  matchedMs: number[];          // per expect, when (ms since QEMU start), or -1
  createMs: number;             // when dom0 said "NAME: xl create", or -1
  ended?: string;               // poweroff, crash, ... (only when the run waited for the end)
  domid?: number;               // the domain's id, as dom0 said after xl create
  // With blkbackStats: dom0's blkback counts for this guest's disk over the domain's whole
  // life, summed over every ring connection (a loader's, then the kernel's): read, write and
  // out-of-request counts (/sys/bus/xen-backend/devices/vbd-*/statistics/ as blkback logs them).
  blkback?: { rd: number; wr: number; oo: number };
  lines: GuestLine[];           // everything the guest printed, without the prefix
}

export interface GuestsRun {
  ok: boolean;
  reason: string;
  xlReadyMs: number;            // Xen + dom0 up with a working xl, or -1
  elapsedMs: number;
  guests: GuestResult[];
  xen: XenResult;
}

export interface GuestsOptions {
  timeoutMs?: number;
  echo?: boolean;               // every serial line to stderr with host timestamps
  waitForEnd?: boolean;         // wait for every guest to end, not just for its lines
  // Create each guest only once the one before has gone. Linux guests running side by side
  // under TCG were seen to crash dom0's and each other's processes (docs in README.md there).
  oneAtATime?: boolean;
  onGuestLine?: (guest: string, text: string, ms: number) => void;
  onHostLine?: (text: string, ms: number) => void;
  host?: HostParts;
  // Which hypervisor boots: Debian's binary ("debian", the default: no 32-bit PV guests) or
  // Debian's source rebuilt with CONFIG_PV32=y ("pv32", xen-pv32.ts), for 32-bit PV guests.
  hypervisor?: "debian" | "pv32";
  dom0MemMB?: number;
  memoryMB?: number;
  // At the end (with waitForEnd), each guest's xl log and the last N lines of `xl dmesg`
  // (Xen's own messages: guest_loglvl=all) as "pvboot-host: NAME: xl-log: ..." and
  // "pvboot-host: xen: ..." host lines, before QEMU ends.
  xenDmesg?: number;
  // After the run, each guest disk's copy as the guests left it, dumped from the run's drive
  // into this folder as SOURCE-BASENAME (e.g. to check pvboot's saved defaults with e2fsck).
  // What dom0 had not written back when QEMU ended is not there: only flushed writes are.
  keepDisks?: string;
  // Count every guest's block requests on dom0's side: blkback's own statistics (the counters
  // /sys/bus/xen-backend/devices/vbd-*/statistics/ shows). Those counters are per ring and
  // vanish when a frontend disconnects (a loader handing over to its kernel), so the run turns
  // on blkback's log_stats, with which each ring's thread logs its counts when it stops (and
  // every 10 s, starting again from 0), and sums the logged counts per domain after the
  // guests have gone. Needs oneAtATime or waitForEnd (a guest's counts are read once it ended).
  blkbackStats?: boolean;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const HOST_SAYS = /^pvboot-host: /;
const GUEST_LINE = /^\[([a-z0-9][a-z0-9-]*)\] ?(.*)$/;
// A guest's own panic ("[NAME] Kernel panic ...", e.g. out of memory in the bench's memory sweep)
// ends that guest, not the run: the host's failure patterns apply to Xen's and dom0's lines only.
const notFromGuest = (re: RegExp) => new RegExp(`^(?!\\[[a-z0-9][a-z0-9-]*\\]).*${re.source}`, re.flags);

export function xlConfig(g: GuestSpec, kernelName: string, ramdiskName?: string, diskName = `${g.name}.img`): string {
  const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const lines = [
    `name = ${q(g.name)}`,
    `type = ${q(g.type ?? "pv")}`,
    ...(g.type === "pvh" ? [`cpuid = "host,rdtscp=0,xsave=0"`] : []),
    `kernel = ${q(`/guest/${kernelName}`)}`,
    ...(ramdiskName ? [`ramdisk = ${q(`/guest/${ramdiskName}`)}`] : []),
    `memory = ${g.memoryMB ?? 256}`,
    `vcpus = 1`,
    ...(g.disk ? [`disk = [ 'format=raw,vdev=xvda,access=rw,${g.hotplug === "block-quick" ? "script=block-quick," : ""}target=/guest/${diskName}' ]`] : []),
    ...(g.extra !== undefined ? [`extra = ${q(g.extra)}`] : []),
    `on_poweroff = "destroy"`,
    `on_reboot = "destroy"`,
    `on_crash = "destroy"`,
  ];
  return lines.join("\n") + "\n";
}

// The per-run files: /guest/{run.sh, NAME.cfg, disks, kernels}, on an ext4 image that dom0
// mounts from its virtio disk. Guests given the same disk share one copy, so what one guest
// writes (pvboot's saved defaults) the next one given that disk sees; the kernels booted here
// mount theirs read-only. Returns each disk's name in /guest by its source path.
async function stageRun(guests: GuestSpec[], dir: string, finishTimeoutS: number, xenDmesg = 0, oneAtATime = false, blkbackStats = false): Promise<Map<string, string>> {
  const g0 = join(dir, "guest");
  mkdirSync(g0, { recursive: true });
  const kernels = new Map<string, string>();
  const disks = new Map<string, string>();
  const place = (file: string, name: string) => {
    const to = join(g0, name);
    try { linkSync(file, to); } catch { copyFileSync(file, to); }
    return name;
  };
  const script = ["# written by scripts/xen-host/guests.ts"];
  if (blkbackStats) script.push(...BLKBACK_STATS_ON);
  for (const g of guests) {
    if (!NAME.test(g.name)) throw new Error(`guest name '${g.name}': use [a-z0-9-]`);
    const kernel = resolve(g.kernel ?? PVBOOT_IMAGE);
    if (!kernels.has(kernel)) kernels.set(kernel, place(kernel, `k${kernels.size}-${basename(kernel).replace(/[^A-Za-z0-9._-]/g, "_")}`));
    const ramdisk = g.ramdisk ? place(resolve(g.ramdisk), `${g.name}.ramdisk`) : undefined;
    let diskName: string | undefined;
    if (g.disk) {
      const from = resolve(g.disk);
      if (!disks.has(from)) {
        disks.set(from, `${g.name}.img`);
        copyFileSync(from, join(g0, `${g.name}.img`));
      }
      diskName = disks.get(from);
    }
    writeFileSync(join(g0, `${g.name}.cfg`), xlConfig(g, kernels.get(kernel)!, ramdisk, diskName));
    for (const k of g.keys ?? []) script.push(`keys ${g.name} ${shellQuote(k.after)} ${shellQuote(k.send)}`);
    script.push(`guest ${g.name}`);
    if (oneAtATime) script.push(`gone ${g.name} ${g.timeoutS ?? finishTimeoutS}`);
  }
  if (xenDmesg > 0) script.push(`XEN_DMESG=${xenDmesg}`);
  if (blkbackStats) script.push(...BLKBACK_STATS_REPORT(finishTimeoutS));
  script.push(`finish ${finishTimeoutS}`, "");
  writeFileSync(join(g0, "run.sh"), script.join("\n"));
  return disks;
}

// run.sh lines (dom0's /init sources run.sh, dom0-init.ts) for blkbackStats: turn blkback's
// log_stats on before the first guest; at the end, once every guest has gone and its backend
// has been removed, each logged line "xen-blkback: (DOMID.DEV-RING): oo N | rd N | wr N | ..."
// as "pvboot-host: blkback DOMID DEV oo N rd N wr N".
const BLKBACK_STATS_ON = [
  "echo 1 > /sys/module/xen_blkback/parameters/log_stats || say 'blkback: cannot turn log_stats on'",
];
const BLKBACK_STATS_REPORT = (timeoutS: number) => [
  `end=$(($(date +%s) + ${timeoutS}))`,
  "while [ \"$(xenstore-list /local/domain | grep -vx 0 | wc -l)\" != 0 ] || ls -d /sys/bus/xen-backend/devices/vbd-* >/dev/null 2>&1; do",
  "  [ \"$(date +%s)\" -ge $end ] && break",
  "  sleep 0.2",
  "done",
  "dmesg | sed -n 's/.*xen-blkback: (\\([0-9]*\\)\\.\\([^)]*\\)): *oo *\\([0-9]*\\) *| *rd *\\([0-9]*\\) *| *wr *\\([0-9]*\\).*/pvboot-host: blkback \\1 \\2 oo \\3 rd \\4 wr \\5/p'",
];

// An ext4 image of DIR with room to spare (no journal: it lives for one run).
function makeRunDisk(dir: string, out: string): void {
  const kib = Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split(/\s/)[0]);
  const mib = Math.ceil((kib * 1.1) / 1024) + 16;
  execFileSync("mke2fs", ["-q", "-F", "-t", "ext4", "-O", "^has_journal", "-m", "0", "-d", dir, out, `${mib}M`],
    { stdio: ["ignore", "ignore", "pipe"] });
}

export async function runGuests(guests: GuestSpec[], opts: GuestsOptions = {}): Promise<GuestsRun> {
  if (guests.length === 0) throw new Error("runGuests: no guests");
  if (new Set(guests.map((g) => g.name)).size !== guests.length) throw new Error("runGuests: guest names must differ");
  const host = opts.host ?? (await ensureHost());
  const hypervisor = opts.hypervisor === "pv32" ? await ensureXenPv32() : host.xen;
  const timeoutMs = opts.timeoutMs ?? 180_000;

  const work = join(defaultCacheDir, `run-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    if (opts.blkbackStats && !opts.oneAtATime && !opts.waitForEnd) throw new Error("runGuests: blkbackStats needs oneAtATime or waitForEnd");
    const diskNames = await stageRun(guests, join(work, "files"), Math.ceil(timeoutMs / 1000), opts.xenDmesg ?? 0, !!opts.oneAtATime, !!opts.blkbackStats);
    const drive = join(work, "guests.ext4");
    makeRunDisk(join(work, "files", "guest"), drive);

    const results: GuestResult[] = guests.map((g) => ({
      name: g.name, ok: (g.expect ?? []).length === 0, matched: (g.expect ?? []).map(() => ""),
      matchedMs: (g.expect ?? []).map(() => -1), createMs: -1, lines: [],
    }));
    const byName = new Map(results.map((r, i) => [r.name, { r, g: guests[i] }]));
    let xlReadyMs = -1;
    let allDone = false;
    // Whole-line expectations for runXen: the guests' lines, and the end of the run.
    const expect: RegExp[] = [];
    for (const g of guests) for (const re of g.expect ?? []) expect.push(new RegExp(`^\\[${g.name}\\] ${re.source.startsWith("^") ? re.source.slice(1) : `.*${re.source}`}`, re.flags));
    if (opts.waitForEnd || opts.blkbackStats || expect.length === 0) expect.push(/^pvboot-host: all guests done$/);
    const byDomid = new Map<number, GuestResult>();

    const xen = await runXen({
      xen: hypervisor,
      dom0: host.dom0Kernel,
      dom0Cmdline: `console=hvc0 earlyprintk=xen rdinit=/init`,
      extraModules: [host.dom0Cpio],
      drives: [drive],
      dom0MemMB: opts.dom0MemMB ?? 1024,
      memoryMB: opts.memoryMB ?? 2048,
      expect,
      failOn: [...DEFAULT_FAIL_ON.map(notFromGuest), /^pvboot-host: all guests done$/, /^pvboot-host: dom0 \/init failed$/],
      timeoutMs,
      echo: opts.echo,
      prefix: "xen| ",
      onLine: (text, ms) => {
        const m = text.match(GUEST_LINE);
        const entry = m && byName.get(m[1]);
        if (entry) {
          const { r, g } = entry;
          r.lines.push({ text: m![2], ms });
          (g.expect ?? []).forEach((re, i) => {
            if (!r.matched[i] && re.test(m![2])) {
              r.matched[i] = m![2];
              r.matchedMs[i] = ms;
            }
          });
          r.ok = r.matched.every((x) => x);
          opts.onGuestLine?.(r.name, m![2], ms);
          return;
        }
        if (HOST_SAYS.test(text)) {
          let h: RegExpMatchArray | null;
          if (/^pvboot-host: xl ready/.test(text)) xlReadyMs = ms;
          else if ((h = text.match(/^pvboot-host: ([a-z0-9-]+): xl create$/)) && byName.has(h[1])) byName.get(h[1])!.r.createMs = ms;
          else if ((h = text.match(/^pvboot-host: ([a-z0-9-]+): created, domid (\d+)$/)) && byName.has(h[1])) {
            const r = byName.get(h[1])!.r;
            r.domid = Number(h[2]);
            byDomid.set(r.domid, r);
          } else if ((h = text.match(/^pvboot-host: blkback (\d+) \S+ oo (\d+) rd (\d+) wr (\d+)$/)) && byDomid.has(Number(h[1]))) {
            const r = byDomid.get(Number(h[1]))!;
            r.blkback ??= { rd: 0, wr: 0, oo: 0 };
            r.blkback.oo += Number(h[2]);
            r.blkback.rd += Number(h[3]);
            r.blkback.wr += Number(h[4]);
          }
          else if ((h = text.match(/^pvboot-host: ([a-z0-9-]+): ended: (\S+)$/)) && byName.has(h[1])) byName.get(h[1])!.r.ended = h[2];
          else if (text === "pvboot-host: all guests done") allDone = true;
        }
        opts.onHostLine?.(text, ms);
      },
    });
    if (opts.keepDisks) {
      mkdirSync(opts.keepDisks, { recursive: true });
      for (const [from, name] of diskNames) {
        execFileSync("debugfs", ["-R", `dump /${name} ${join(opts.keepDisks, basename(from))}`, drive], { stdio: "ignore" });
      }
    }
    const ok = xen.ok && results.every((r) => r.ok);
    let reason = xen.reason;
    if (!ok) {
      const missing = results.filter((r) => !r.ok).map((r) => {
        const g = byName.get(r.name)!.g;
        return `${r.name} missing ${(g.expect ?? []).filter((_, i) => !r.matched[i]).map(String).join(", ")}${r.ended ? ` (ended: ${r.ended})` : ""}`;
      });
      if (allDone && missing.length) reason = `every guest ended; ${missing.join("; ")}`;
      else if (missing.length) reason = `${xen.reason}; ${missing.join("; ")}`;
    }
    return { ok, reason, xlReadyMs, elapsedMs: xen.elapsedMs, guests: results, xen };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      disk: { type: "string" },
      name: { type: "string", default: "guest" },
      kernel: { type: "string" },
      ramdisk: { type: "string" },
      extra: { type: "string" },
      memory: { type: "string", default: "256" },
      expect: { type: "string", multiple: true },
      key: { type: "string", multiple: true },
      hotplug: { type: "string", default: "block" },
      pv32: { type: "boolean", default: false },
      pvh: { type: "boolean", default: false },
      dmesg: { type: "string", default: "0" },
      timeout: { type: "string", default: "180" },
      quiet: { type: "boolean", default: false },
    },
  });
  const expect = (values.expect ?? []).map((s) => new RegExp(s));
  const r = await runGuests([{
    name: values.name, type: values.pvh ? "pvh" : "pv", disk: values.disk, kernel: values.kernel, ramdisk: values.ramdisk, extra: values.extra,
    memoryMB: Number(values.memory), expect, hotplug: values.hotplug as GuestSpec["hotplug"],
    keys: (values.key ?? []).map((k) => {
      const at = k.indexOf("=>");
      if (at < 0) throw new Error(`--key takes AFTER=>SEND, not '${k}'`);
      return { after: k.slice(0, at), send: k.slice(at + 2) };
    }),
  }], {
    timeoutMs: Number(values.timeout) * 1000, echo: !values.quiet, waitForEnd: expect.length === 0,
    hypervisor: values.pv32 ? "pv32" : "debian", xenDmesg: Number(values.dmesg),
  });
  const s = (ms: number) => (ms < 0 ? "-" : (ms / 1000).toFixed(1));
  for (const g of r.guests) {
    console.log(`${g.name}: xl create at ${s(g.createMs)} s; ${g.matched.map((m, i) => `${s(g.matchedMs[i])} s: ${m}`).join("; ")}${g.ended ? `; ended: ${g.ended}` : ""}`);
  }
  console.log(`${r.ok ? "PASS" : "FAIL"} (${s(r.elapsedMs)} s; xl ready at ${s(r.xlReadyMs)} s): ${r.reason}`);
  process.exit(r.ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => process.exit(130));
  main().catch((err) => {
    console.error(`guests: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
