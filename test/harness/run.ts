// Run build/pvboot.wasm against an emulated domain, the way the shim runs it on Xen:
// instantiate with the contract's imports, call pvboot_main, and turn its end (a shutdown,
// or a wasm trap that the shim would report and crash on) into a result.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONS, type ShutdownReason } from "./abi";
import { Domain, type DomainConfig } from "./domain";
import { DomainJumped, DomainShutdown, HarnessError, makeImports, PlatformCrash, type HandoffRecord, type ImportStats } from "./imports";
import { checkHandoff, handoffJson, type HandoffExpect, type HandoffReport } from "./handoff";
import { readWasm } from "./wasm";
import type { TerminalInput } from "./terminal";
import { GuestIdle } from "./clock";
import { checkPvhHandoff, pvhHandoffJson, type PvhReport } from "./pvh";

export const DEFAULT_WASM = fileURLToPath(new URL("../../build/pvboot.wasm", import.meta.url));

export interface RunOptions extends DomainConfig {
  wasm?: string | Uint8Array;
  keys?: Uint8Array | string; // typed at the console before the loader starts
  terminal?: TerminalInput; // a person at the console: real time, their keys
  onOutput?: (bytes: Uint8Array) => void;
  expect?: HandoffExpect; // what the new domain must hold after a jump (handoff.ts)
  onDomain?: (dom: Domain) => void; // a test's look at the domain before the loader starts (debug hooks)
}

// After a jump: the record start_kernel accepted, the checks of the new domain, and the JSON
// line `pvboot run --json` prints.
export interface HandoffResult extends HandoffReport {
  record: HandoffRecord;
  json: Record<string, unknown>;
}

// The person at the terminal detached (Ctrl-]) while the loader was still running.
class Detached extends Error {}

export interface RunResult {
  // "idle": the loader waited for keys that no one would type (see GuestIdle in clock.ts);
  // "jumped": xen.start_kernel handed the domain to the next kernel (see `handoff`)
  shutdown: ShutdownReason | "detached" | "idle" | "jumped";
  trap?: string; // the trap's kind when the loader trapped
  console: string; // everything the loader printed (console ring, or console_io for dom0)
  domain: Domain;
  stats: ImportStats;
  handoff?: HandoffResult; // when shutdown is "jumped" in a PV domain
  pvh?: PvhResult; // when shutdown is "jumped" in a PVH domain
}

// After a jump in a PVH domain: the checks of pvh.ts and the JSON line.
export interface PvhResult extends PvhReport {
  record: HandoffRecord;
  json: Record<string, unknown>;
}

// The wasm trap kinds, in the shim's words (boot/runtime.c), from V8's messages.
const TRAP_KINDS: [RegExp, string][] = [
  [/unreachable/i, "unreachable executed"],
  [/out of bounds/i, "out of bounds memory access"],
  [/divide by zero|remainder by zero/i, "integer divide by zero"],
  [/integer overflow/i, "integer overflow"],
  [/unrepresentable|float.*int/i, "invalid conversion to integer"],
  [/signature mismatch|null function|indirect call|table index/i, "indirect call type mismatch"],
  [/call stack/i, "call stack exhausted"],
];

export function trapKind(e: unknown): string | null {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return "call stack exhausted";
  if (!(e instanceof WebAssembly.RuntimeError)) return null;
  for (const [re, kind] of TRAP_KINDS) if (re.test(e.message)) return kind;
  return `unknown trap (${e.message})`;
}

let cachedModule: { path: string; module: WebAssembly.Module; minPages: number } | null = null;

function loadModule(wasm: string | Uint8Array | undefined) {
  if (wasm instanceof Uint8Array) return { module: new WebAssembly.Module(wasm), minPages: memoryMin(wasm) };
  const path = wasm ?? DEFAULT_WASM;
  if (cachedModule?.path !== path) {
    const bytes = readFileSync(path);
    cachedModule = { path, module: new WebAssembly.Module(bytes), minPages: memoryMin(bytes) };
  }
  return cachedModule;
}

function memoryMin(bytes: Uint8Array): number {
  const mem = readWasm(bytes).imports.find((i) => i.kind === "memory");
  if (!mem) throw new Error("the core does not import its memory (asconfig importMemory)");
  return mem.min ?? 1;
}

// What the shim does on a trap: the message on the console (ring or console_io), then crash.
function platformSay(dom: Domain, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (dom.config.dom0) {
    dom.xenConsole += text;
    dom.console.onOutput?.(bytes);
    return;
  }
  const ring = () => ({ v: dom.mem.view(dom.console.mfn), b: dom.mem.bytes(dom.console.mfn) });
  for (const c of bytes) {
    let { v, b } = ring();
    if (((v.getUint32(CONS.out_prod, true) - v.getUint32(CONS.out_cons, true)) >>> 0) >= CONS.out_size) {
      dom.console.notified(); // a full ring: give the backend its chance, then give up, as the shim does
      ({ v, b } = ring());
      if (((v.getUint32(CONS.out_prod, true) - v.getUint32(CONS.out_cons, true)) >>> 0) >= CONS.out_size) break;
    }
    const prod = v.getUint32(CONS.out_prod, true);
    b[CONS.out + (prod & (CONS.out_size - 1))] = c;
    v.setUint32(CONS.out_prod, (prod + 1) >>> 0, true);
  }
  dom.console.notified();
}

export function runLoader(opts: RunOptions = {}): RunResult {
  const dom = new Domain(opts);
  opts.onDomain?.(dom);
  const { module, minPages } = loadModule(opts.wasm);
  if (minPages > dom.layout.maxLinearPages) throw new Error("domain too small for the core's initial memory");
  const memory = new WebAssembly.Memory({ initial: minPages, maximum: dom.layout.maxLinearPages });
  const stats: ImportStats = { calls: {} };
  const imports = makeImports(dom, memory, stats);
  dom.console.onOutput = opts.onOutput ?? null;
  if (opts.keys) dom.console.type(opts.keys);
  const term = opts.terminal;
  if (term) {
    dom.clock.useRealTime((ns) => {
      const keys = term.take(ns);
      if (keys.length) dom.console.type(keys);
      if (term.detached) throw new Detached();
    });
  }

  let trap: string | undefined;
  try {
    const instance = new WebAssembly.Instance(module, imports as unknown as WebAssembly.Imports);
    (instance.exports.pvboot_main as () => void)();
    throw new HarnessError("pvboot_main returned: the loader must end with a shutdown or a jump");
  } catch (e) {
    if (e instanceof DomainShutdown) {
      // the guest asked for it
    } else if (e instanceof DomainJumped) {
      dom.clock.finish(); // the backends settle before the new domain is looked at
      if (dom.pvh) {
        const p = checkPvhHandoff(dom, e.record, opts.expect);
        return {
          shutdown: "jumped", console: dom.console.text, domain: dom, stats,
          pvh: { ...p, record: e.record, json: pvhHandoffJson(p, e.record) },
        };
      }
      const report = checkHandoff(dom, e.record, opts.expect);
      return {
        shutdown: "jumped", console: dom.config.dom0 ? dom.xenConsole : dom.console.text, domain: dom, stats,
        handoff: { ...report, record: e.record, json: handoffJson(report, e.record) },
      };
    } else if (e instanceof PlatformCrash) {
      platformSay(dom, e.line + "\r\n");
      dom.shutdownReason = "crash";
    } else if (e instanceof GuestIdle) {
      dom.clock.finish();
      return { shutdown: "idle", console: dom.config.dom0 ? dom.xenConsole : dom.console.text, domain: dom, stats };
    } else if (e instanceof Detached) {
      return { shutdown: "detached", console: dom.console.text, domain: dom, stats };
    } else {
      const kind = trapKind(e);
      // PVBOOT_TRAP_STACK=1: the trap's wasm stack on stderr (build with asc --debug for names)
      if (process.env.PVBOOT_TRAP_STACK) console.error((e as Error).stack);
      if (kind === null) throw e;
      trap = kind;
      platformSay(dom, `pvboot: wasm trap: ${kind}\r\n`);
      dom.shutdownReason = "crash";
    }
  }
  dom.clock.finish(); // the backends live on after the guest: let them finish
  return {
    shutdown: dom.shutdownReason!,
    trap,
    console: dom.config.dom0 ? dom.xenConsole : dom.console.text,
    domain: dom,
    stats,
  };
}
