// The benchmarks keep working and keep their output format ("<name> ... ratio <r>"); their
// figures are printed by `make bench`, never judged by a test.

import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = (name: string) => fileURLToPath(new URL(`../scripts/bench/${name}`, import.meta.url));

describe("benchmarks", () => {
  it("blkfront-read runs small and prints its figures with ratios", () => {
    const out = execFileSync("npx", ["tsx", script("blkfront-read.ts")], {
      encoding: "utf8", env: { ...process.env, PVBOOT_BENCH_MB: "8" }, stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = out.trim().split("\n");
    expect(lines[0]).toMatch(/^blkfront-read MB\/s [\d.]+ raw MB\/s [\d.]+ ratio [\d.]+$/);
    expect(lines[1]).toMatch(/^blkfront-requests pvboot 16 segments 2048 one-segment-peer 2048 ratio 0\.0078$/);
  });

  it("ext4-read-all runs small, checks what it read, and prints its figures with ratios", () => {
    const out = execFileSync("npx", ["tsx", script("ext4-read-all.ts")], {
      encoding: "utf8", env: { ...process.env, PVBOOT_BENCH_MB: "16" }, stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = out.trim().split("\n");
    expect(lines[0]).toMatch(/^ext4-read-all pvboot [\d.]+ debugfs [\d.]+ ratio [\d.]+$/);
    expect(lines[1]).toMatch(/^ext4-read-all-core pvboot-core [\d.]+ debugfs [\d.]+ ratio [\d.]+$/);
  }, 120_000);
});
