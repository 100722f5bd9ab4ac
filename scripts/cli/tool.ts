// The CLI side of the core's tool mode (src/tool.ts): run one command in the emulator and
// take the console stream apart into the command's output, its error lines and exit code.

import { runLoader, type HandoffResult, type PvhResult } from "../../test/harness/run.ts";

export class ToolStream {
  exitCode: number | null = null;
  private pending = Buffer.alloc(0);
  private want = 0; // bytes of the current output frame still to come

  constructor(
    private stdout: (b: Uint8Array) => void,
    private stderr: (line: string) => void,
    private other: (line: string) => void = () => {},
  ) {}

  push(chunk: Uint8Array): void {
    let data = Buffer.concat([this.pending, chunk]);
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.want > 0) {
        const n = Math.min(this.want, data.length);
        this.stdout(data.subarray(0, n));
        this.want -= n;
        data = data.subarray(n);
        continue;
      }
      const nl = data.indexOf(0x0a);
      if (nl < 0) {
        this.pending = Buffer.from(data);
        return;
      }
      const line = data.subarray(0, nl).toString("latin1").replace(/\r$/, "");
      data = data.subarray(nl + 1);
      let m: RegExpMatchArray | null;
      if ((m = line.match(/^\x02pvboot-out (\d+)$/))) this.want = Number(m[1]);
      else if ((m = line.match(/^\x02pvboot-exit (\d+)$/))) this.exitCode = Number(m[1]);
      else if (/^pvboot: (error|warning): /.test(line)) this.stderr(line);
      else this.other(line);
    }
  }
}

// Bytes a path may carry on the domain's command line as they are; the rest as %XX.
export function percentEncode(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    out += b > 0x20 && b < 0x7f && b !== 0x25 ? String.fromCharCode(b) : "%" + b.toString(16).padStart(2, "0");
  }
  return out;
}

export interface ToolRun {
  code: number;
  trap?: string;
  shutdown?: string; // how the run ended ("jumped" after `check` handed over)
  handoff?: HandoffResult | PvhResult; // the emulator's checks of the new domain, after a jump
}

export interface ToolOptions {
  memoryMB?: number;
  arch?: "x86_64" | "x86_32"; // the kind of PV domain, as pvboot-ARCH.elf runs in (default x86_64)
  mode?: "pv" | "pvh"; // pvh: a PVH domain, as pvboot-pvh.elf runs in (x86_64 only; default pv)
  verbose?: boolean;
  disks?: string[]; // more disks after the first (xvdb, ...)
  extra?: string; // more of the domain's command line (xl extra=), after the pvboot.* words
  ramdisk?: Uint8Array; // xl ramdisk=
  stdout?: (b: Uint8Array) => void; // where the command's output goes (default: our stdout)
  stderr?: (line: string) => void; // its error and warning lines (default: our stderr)
  console?: (line: string) => void; // every other console line (default: stderr with --verbose)
}

export function runTool(disk: string, cmd: string, arg: string | null, opts: ToolOptions = {}): ToolRun {
  const stream = new ToolStream(
    opts.stdout ?? ((b) => process.stdout.write(b)),
    opts.stderr ?? ((line) => process.stderr.write(line + "\n")),
    opts.console ?? (opts.verbose ? (line) => process.stderr.write(line + "\n") : undefined),
  );
  const cmdline = `pvboot.tool=${cmd}` + (arg !== null ? ` pvboot.path=${percentEncode(arg)}` : "") +
    (opts.extra ? " " + opts.extra : "");
  const r = runLoader({
    memoryMB: opts.memoryMB ?? 512, arch: opts.arch, mode: opts.mode, disks: [disk, ...(opts.disks ?? [])], cmdline, ramdisk: opts.ramdisk,
    onOutput: (b) => stream.push(b),
  });
  if (r.trap) {
    process.stderr.write(`pvboot: the loader crashed: wasm trap: ${r.trap}\n`);
    return { code: 1, trap: r.trap };
  }
  // The emulator's checks after a jump, of a PV domain (handoff.ts) or a PVH one (pvh.ts).
  return { code: stream.exitCode ?? 1, shutdown: r.shutdown, handoff: r.handoff ?? r.pvh };
}
