// The fuzz harness (scripts/fuzz, src/fuzz): regression inputs through the wasm entries in
// Node, deliberate traps seen as findings by both drivers, and a bounded libFuzzer run per
// target when clang and libFuzzer are installed (`make fuzz-build` installs them; `make test`
// runs it first).

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { execAsync } from "./lib/exec";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;
const RUNNER = join(ROOT, "scripts/fuzz/wasm-run.mjs");
// Every src/fuzz/<target>.ts with a fuzz_one, as scripts/fuzz/build.sh finds them.
const TARGETS = readdirSync(join(ROOT, "src/fuzz")).filter((f) => f.endsWith(".ts"))
  .filter((f) => /export function fuzz_one/.test(readFileSync(join(ROOT, "src/fuzz", f), "utf8"))).map((f) => f.slice(0, -3)).sort();
const FUZZ_SECONDS = 30;

type RunResult = { file: string; ok: boolean; ms: number; trap?: string; abort?: string; stack?: string[] };

// The regression inputs of a target through the wasm runner, in a child process so that an
// input that never ends is a clear failure (the last one started) rather than a hung test.
async function runInputs(target: string, paths: string[], extra: string[] = [], timeoutMs = 120_000): Promise<{ results: RunResult[]; hung?: string }> {
  const r = await execAsync(process.execPath, [RUNNER, "--json", ...extra, target, ...paths], { cwd: ROOT, timeoutMs });
  const results: RunResult[] = [];
  let started: string | undefined;
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const o = JSON.parse(line);
    if (o.start) started = o.start;
    else {
      results.push(o);
      started = undefined;
    }
  }
  if (r.timedOut || (r.status !== 0 && r.status !== 1)) {
    return { results, hung: started ?? `runner failed (status ${r.status}): ${r.stderr.slice(-2000)}` };
  }
  return { results };
}

function describeTrap(r: RunResult): string {
  return `${r.file}: ${r.trap}${r.abort ? ` (AssemblyScript abort: ${r.abort})` : ""}\n${(r.stack ?? []).slice(0, 8).map((s) => `    at ${s}`).join("\n")}`;
}

function haveLibFuzzer(): boolean {
  try {
    const lib = execFileSync("clang", ["-print-file-name=libclang_rt.fuzzer-x86_64.a"], { encoding: "utf8" }).trim();
    return existsSync(lib) && spawnSync("sh", ["-c", "command -v wasm2c"]).status === 0;
  } catch {
    return false;
  }
}

async function build(args: string[], timeoutMs: number): Promise<void> {
  const r = await execAsync("bash", ["scripts/fuzz/build.sh", ...args], { cwd: ROOT, timeoutMs });
  if (r.status !== 0) throw new Error(`scripts/fuzz/build.sh ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
}

beforeAll(() => build(["--wasm", ...TARGETS], 300_000), 300_000);

describe("fuzz entries in Node", () => {
  it.each(TARGETS)("%s: the wasm entry imports memory and only contract calls it answers itself", (target) => {
    const mod = new WebAssembly.Module(readFileSync(join(ROOT, "build/fuzz", `${target}.wasm`)));
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
    const imports = WebAssembly.Module.imports(mod);
    expect(imports).toContainEqual({ module: "env", name: "memory", kind: "memory" });
    // Anything else is a contract import xen.NAME with the entry's own fake_NAME (src/fuzz/fakexen.ts).
    const rest = imports.filter((i) => !(i.module === "env" && i.name === "memory"));
    expect(rest.filter((i) => i.module !== "xen" || i.kind !== "function" || !exports.includes(`fake_${i.name}`))).toEqual([]);
    expect(exports).toEqual(expect.arrayContaining(["fuzz_alloc", "fuzz_one", "fuzz_abort_record", "fuzz_selftest"]));
  });

  it.each(TARGETS)("%s: every regression input in test/fuzz/ runs without a trap", async (target) => {
    const dir = join(ROOT, "test/fuzz", target);
    const files = existsSync(dir) ? readdirSync(dir).sort().map((f) => join(dir, f)) : [];
    expect(files.length, `no regression inputs in test/fuzz/${target}`).toBeGreaterThan(0);
    const { results, hung } = await runInputs(target, files);
    expect(hung, `did not finish (a loop without end?): ${hung}`).toBeUndefined();
    expect(results.length).toBe(files.length);
    const traps = results.filter((r) => !r.ok).map(describeTrap);
    expect(traps, traps.join("\n")).toEqual([]);
  }, 180_000);

  it("a deliberate trap of each kind is reported with its kind and place", async () => {
    const target = "partitions"; // small inputs: the self-tests are about the drivers
    const input = join(ROOT, "test/fuzz", target, readdirSync(join(ROOT, "test/fuzz", target)).sort()[0]);
    const expectTrap: Record<string, RegExp> = {
      oob: /out of bounds/,
      unreachable: /unreachable/,
      abort: /unreachable/,
      recursion: /call stack/,
      alloc: /unreachable/,
      div0: /divide by zero/,
    };
    for (const [kind, re] of Object.entries(expectTrap)) {
      const { results } = await runInputs(target, [input], [`--selftest=${kind}`], 30_000);
      expect(results.length, kind).toBe(1);
      const r = results[0];
      expect(r.ok, kind).toBe(false);
      expect(r.trap, kind).toMatch(re);
      expect(r.stack?.some((s) => s.includes("src/fuzz/selftest.ts") || s.includes("~lib/")), `${kind}: ${r.stack}`).toBe(true);
      if (kind === "abort") expect(r.abort).toMatch(/Index out of range at ~lib\/array\.ts/);
    }
  }, 60_000);
});

const libFuzzer = haveLibFuzzer();
if (!libFuzzer) {
  console.warn("fuzz.test.ts: clang/libFuzzer not installed, the native fuzz tests are skipped (`make fuzz-build` installs them)");
}

describe.skipIf(!libFuzzer)("libFuzzer targets", () => {
  beforeAll(() => build(["--no-install", ...TARGETS], 600_000), 600_000);

  it("the native driver records every kind of trap (and a timeout) as a finding", async () => {
    const target = "partitions"; // small inputs: the self-tests are about the drivers
    const bin = join(ROOT, "build/fuzz", `${target}-fuzz`);
    const input = join(ROOT, "build/fuzz", "selftest-input");
    writeFileSync(input, "x");
    const artifacts = mkdtempSync(join(tmpdir(), "pvboot-fuzz-selftest-"));
    try {
      const cases: [string, RegExp, number][] = [
        ["oob", /pvboot-fuzz: wasm trap: out of bounds memory access/, 1],
        ["unreachable", /pvboot-fuzz: wasm trap: unreachable executed/, 1],
        ["abort", /wasm trap: unreachable executed \(AssemblyScript abort: Index out of range at ~lib\/array\.ts:\d+:\d+\)/, 1],
        ["recursion", /pvboot-fuzz: wasm trap: call stack exhausted/, 1],
        ["alloc", /refused memory\.grow .* the stub allocator ran out of memory/, 1],
        ["div0", /pvboot-fuzz: wasm trap: integer divide by zero/, 1],
        ["loop", /libFuzzer: timeout after/, 2],
      ];
      for (const [kind, re, timeout] of cases) {
        const r = await execAsync(bin, [`-timeout=${timeout}`, `-artifact_prefix=${artifacts}/`, input], {
          cwd: ROOT, env: { ...process.env, PVBOOT_FUZZ_SELFTEST: kind, ASAN_OPTIONS: "detect_leaks=0" }, timeoutMs: 60_000,
        });
        expect(r.status, `${kind}: exit status\n${r.stderr.slice(-2000)}`).not.toBe(0);
        expect(r.stderr, kind).toMatch(re);
        expect(r.stderr, kind).toMatch(kind === "loop" ? /ERROR: libFuzzer: timeout/ : /ERROR: libFuzzer: deadly signal/);
      }
    } finally {
      rmSync(artifacts, { recursive: true, force: true });
      rmSync(input, { force: true });
    }
  }, 120_000);

  it.each(TARGETS)(`%s: a ${FUZZ_SECONDS} s libFuzzer run finds nothing`, async (target) => {
    // From the seeds in a corpus of its own and a fixed seed: the same work on every machine
    // and every run, as far as the time allows, whatever a long run has grown
    // build/fuzz/corpus/ into. Finding new bugs is the campaigns' job (docs/fuzzing.md).
    const corpus = mkdtempSync(join(tmpdir(), `pvboot-fuzz-${target}-`));
    const r = await execAsync("bash", [join(ROOT, "scripts/fuzz/run"), target, String(FUZZ_SECONDS), "-seed=1"], {
      cwd: ROOT, env: { ...process.env, PVBOOT_FUZZ_CORPUS: corpus }, timeoutMs: (FUZZ_SECONDS + 180) * 1000,
    }).finally(() => rmSync(corpus, { recursive: true, force: true }));
    const tail = r.stderr.split("\n").filter((l) => /pvboot-fuzz|ERROR|SUMMARY|Test unit written|^\s+#\d+ .* in w2c_/.test(l)).slice(0, 40).join("\n");
    expect(r.status, `scripts/fuzz/run ${target} ${FUZZ_SECONDS} failed:\n${tail}\n${r.stderr.slice(-1500)}`).toBe(0);
    const runs = Number(r.stderr.match(/stat::number_of_executed_units:\s*(\d+)/)?.[1] ?? 0);
    expect(runs, r.stderr.slice(-1500)).toBeGreaterThan(1000);
    console.log(`fuzz ${target}: ${runs} executions in ${FUZZ_SECONDS} s (${r.stderr.match(/stat::average_exec_per_sec:\s*(\d+)/)?.[1]} exec/s)`);
  }, (FUZZ_SECONDS + 180) * 1000);
});
