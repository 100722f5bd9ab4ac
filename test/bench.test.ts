// The benchmarks keep working and keep their output format ("<name> ... ratio <r>"); their
// figures are printed by `make bench`, never judged by a test.

import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const script = (name: string) => fileURLToPath(new URL(`../scripts/bench/${name}`, import.meta.url));

// A benchmark may build its program first (make) and run for a minute: run it in a child
// process without blocking the worker's event loop (vitest gives up on a worker blocked 60 s).
function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("benchmarks", () => {
  it("blkfront-read runs small and prints its figures with ratios", async () => {
    const r = await run("npx", ["tsx", script("blkfront-read.ts")], { PVBOOT_BENCH_MB: "8" });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^blkfront-read MB\/s [\d.]+ raw MB\/s [\d.]+ ratio [\d.]+$/);
    expect(lines[1]).toMatch(/^blkfront-requests pvboot 16 segments 2048 one-segment-peer 2048 ratio 0\.0078$/);
  });

  // At 16 MiB the emulated domain's start outweighs the reading, so the loader's ratio is
  // printed, not judged here: the benchmark itself exits 1 past the bounds (1.2, 1.0).
  it("ext4-read-all runs small, checks what it read, and prints its figures with ratios", async () => {
    const r = await run("npx", ["tsx", script("ext4-read-all.ts")], { PVBOOT_BENCH_MB: "16", PVBOOT_BENCH_RUNS: "1" });
    const lines = r.stdout.trim().split("\n");
    expect(lines[0], r.stderr).toMatch(/^ext4-read-all pvboot [\d.]+ debugfs [\d.]+ ratio [\d.]+$/);
    expect(lines[1]).toMatch(/^ext4-read-all-core pvboot-core [\d.]+ debugfs [\d.]+ ratio [\d.]+$/);
    if (r.status !== 0) expect(lines.slice(2).join("\n")).toMatch(/^ext4-read-all(-core)?: ratio [\d.]+ is over 1\.[02]$/m);
    else expect(lines).toHaveLength(2);
  }, 300_000); // builds build/bench/ext-read-all on first use (asc, wasm2c, gcc)

  // A 48 MiB image (build/cache/bench/btrfs-48M.img, made once without root). Its ratio is
  // printed, not judged here: the benchmark itself exits 1 past the bound of 1.5.
  it("fs-read-all-btrfs runs small, checks what both readers read, and prints its figures", async () => {
    const r = await run("npx", ["tsx", script("btrfs-read-all.ts")], { PVBOOT_BENCH_MB: "48", PVBOOT_BENCH_RUNS: "1" });
    const lines = r.stdout.trim().split("\n");
    expect(lines[0], r.stderr).toMatch(/^fs-read-all-btrfs pvboot [\d.]+ btrfs-restore [\d.]+ ratio [\d.]+$/);
    if (r.status !== 0) expect(lines[1]).toMatch(/^fs-read-all-btrfs: ratio [\d.]+ is over 1\.5$/);
  }, 300_000);

  // One format on the cached kernel, one run each: pvboot and liblz4 in one process, both
  // outputs checked against the original by the benchmark. Its ratio is printed, not judged
  // here: the benchmark itself exits 1 past the bound of 1.2.
  it("decompress runs pvboot against the C library and prints the figure", async () => {
    const r = await run("npx", ["tsx", script("decompress.ts")], { PVBOOT_BENCH_ONLY: "^decompress-kernel-lz4$", PVBOOT_BENCH_RUNS: "1" });
    const lines = r.stdout.trim().split("\n");
    expect(lines[0], r.stderr).toMatch(/^decompress-kernel-lz4 pvboot [\d.]+ liblz4 [\d.]+ ratio [\d.]+$/);
    if (r.status !== 0) expect(lines[1]).toMatch(/^decompress-kernel-lz4: ratio [\d.]+ is over 1\.2$/);
    else expect(lines).toHaveLength(1);
  }, 300_000);

  // `make bench` and `make bench-xen` run their folder through scripts/run-benches.sh.
  it("the runner make uses fails when one benchmark fails, after running the others", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-benches-"));
    try {
      writeFileSync(join(dir, "a-fails.ts"), 'console.log("a pvboot 1 peer 1 ratio 1"); process.exit(3);\n');
      writeFileSync(join(dir, "b-works.ts"), 'console.log("b pvboot 1 peer 2 ratio 0.50");\n');
      const runner = fileURLToPath(new URL("../scripts/run-benches.sh", import.meta.url));
      const bad = await run("bash", [runner, dir]);
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain("b pvboot 1 peer 2 ratio 0.50");
      expect(bad.stdout).toContain(`benchmark failed: ${join(dir, "a-fails.ts")} (exit 3)`);
      rmSync(join(dir, "a-fails.ts"));
      const good = await run("bash", [runner, dir]);
      expect(good.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
