// The boot report (src/boot/report.ts): one console line per phase with its time and size,
// the same figures in `pvboot run --json`, a '\r' progress line while Debian 12's 63 MiB
// kernel unpacks (seen in real time, on a terminal), and the JSON line on a line of its own
// when the loader stopped mid-line.

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { execAsync, execChecked } from "./lib/exec";
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeDisk } from "../scripts/images/make-disk";
import { debianKernel } from "../scripts/kernels/fetch";
import { parseReport } from "../scripts/cli/main";
import { pvElf } from "./loader/pv-elf";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PVBOOT = join(ROOT, "scripts/pvboot.mjs");

function run(cmd: string, args: string[], timeoutMs = 120_000) {
  return execAsync(cmd, args, { timeoutMs, encoding: "latin1", holdStdin: true });
}

let demo = "";
beforeAll(async () => {
  const out = await execChecked("bash", ["scripts/demo.sh"], { cwd: ROOT, env: { ...process.env, DEMO_DISK_ONLY: "1" }, timeoutMs: 300_000 });
  demo = join(ROOT, out.trim().split("\n").pop()!);
}, 300_000);

describe("the boot report", () => {
  it("says each phase's time and size on the console, and `run --json` carries the same figures", async () => {
    const r = await run("node", [PVBOOT, "run", demo, "--keys", "<enter>", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const kernelBytes = statSync(debianKernel()).size;
    const lines = r.stdout.split("\r\n").map((l) => l.slice(l.lastIndexOf("\r") + 1)).filter((l) => l.startsWith("pvboot: report: "));
    expect(lines.map((l) => /^pvboot: report: (\w+)/.exec(l)![1])).toEqual(["disks", "config", "read", "unpack", "read", "layout", "teardown"]);
    expect(lines[0]).toMatch(/^pvboot: report: disks: 1 disk in \d+\.\d{3} ms$/);
    expect(lines[1]).toMatch(/^pvboot: report: config \(hd0,0\)\/boot\/grub\/menu\.lst: in \d+\.\d{3} ms$/);
    expect(lines[2]).toMatch(new RegExp(`^pvboot: report: read \\(hd0,0\\)/boot/vmlinuz-\\S+: ${kernelBytes} bytes \\(7\\.\\d MiB\\) in \\d+\\.\\d{3} ms, \\d+\\.\\d MiB/s$`));
    expect(lines[3]).toMatch(new RegExp(`^pvboot: report: unpack xz: ${kernelBytes} -> \\d+ bytes \\(7\\.\\d -> 62\\.\\d MiB\\) in \\d+\\.\\d{3} ms$`));
    expect(lines[5]).toMatch(/^pvboot: report: layout: \d+ bytes \(\d+\.\d MiB\) in \d+\.\d{3} ms$/);
    const json = JSON.parse(r.stdout.trimEnd().split("\n").pop()!);
    expect(json.report).toEqual(parseReport(r.stdout));
    expect(json.report.length).toBe(7);
    const unpack = json.report[3];
    expect(unpack).toMatchObject({ phase: "unpack", what: "xz", bytes: kernelBytes });
    expect(unpack.bytes_out).toBeGreaterThan(60 << 20);
    expect(json.report[2]).toMatchObject({ phase: "read", bytes: kernelBytes });
    expect(typeof json.report[2].mib_per_s).toBe("number");
  }, 120_000);

  it("a quiet entry prints no report from where it starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-report-"));
    mkdirSync(join(dir, "root/boot/grub"), { recursive: true });
    execFileSync("cp", [debianKernel(), join(dir, "root/boot/vmlinuz")]);
    writeFileSync(join(dir, "root/boot/grub/menu.lst"), "timeout 0\ntitle Quiet\nquiet\nkernel /boot/vmlinuz\n");
    const disk = join(dir, "disk.img");
    makeDisk(disk, 24, [{ fsType: "ext4", sizeMiB: 20, dir: join(dir, "root") }]);
    const r = await run("node", [PVBOOT, "run", disk, "--json"]);
    expect(r.stdout).not.toMatch(/pvboot: report: (read|unpack|layout)/);
    expect(JSON.parse(r.stdout.trimEnd().split("\n").pop()!).report.map((p: { phase: string }) => p.phase)).toEqual(["disks", "config"]);
  }, 120_000);

  it("the --json line starts a line of its own after \"Press any key to continue...\"", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-report-"));
    mkdirSync(join(dir, "root/boot/grub"), { recursive: true });
    writeFileSync(join(dir, "root/boot/grub/menu.lst"), "timeout 0\ntitle Broken\nkernel /boot/none\n");
    const disk = join(dir, "disk.img");
    makeDisk(disk, 10, [{ fsType: "ext2", sizeMiB: 8, dir: join(dir, "root") }]);
    const r = await run("node", [PVBOOT, "run", disk, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Press any key to continue\.\.\.\n\{"disk":/);
    expect(JSON.parse(r.stdout.trimEnd().split("\n").pop()!)).toMatchObject({ shutdown: "idle" });
  }, 60_000);

  it("a progress line counts a read of a file over 8 MiB, then the report says how fast (real time, on a terminal)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-report-"));
    mkdirSync(join(dir, "root/boot/grub"), { recursive: true });
    writeFileSync(join(dir, "root/boot/vmlinux"), pvElf());
    writeFileSync(join(dir, "root/boot/initrd.img"), randomBytes(48 << 20));
    writeFileSync(join(dir, "root/boot/grub/menu.lst"), "timeout 0\ntitle Big\nkernel /boot/vmlinux\ninitrd /boot/initrd.img\n");
    const disk = join(dir, "disk.img");
    makeDisk(disk, 100, [{ fsType: "ext4", sizeMiB: 90, dir: join(dir, "root") }]);
    const r = await run("script", ["-qec", `node ${PVBOOT} run ${disk} --json`, "/dev/null"], 120_000);
    const updates = [...r.stdout.matchAll(/\r {2}reading \(hd0,0\)\/boot\/initrd\.img: (\d+\.\d) of 48\.0 MiB \((\d+)%\)/g)];
    const m = /pvboot: report: read \(hd0,0\)\/boot\/initrd\.img: 50331648 bytes \(48\.0 MiB\) in (\d+\.\d{3}) ms, \d+\.\d MiB\/s/.exec(r.stdout);
    expect(m, r.stdout.slice(-1500)).not.toBeNull();
    // throttled: one update per 250 ms at most, and one at least once 250 ms have passed
    const took = Number(m![1]);
    expect(updates.length).toBeLessThanOrEqual(Math.floor(took / 250));
    if (took >= 500) expect(updates.length).toBeGreaterThan(0);
    if (updates.length > 0) expect(r.stdout).toMatch(/\r {20,}\rpvboot: report: read \(hd0,0\)\/boot\/initrd\.img: /);
  }, 150_000);

  it("gzip's unpacking has its progress line too (inflate writes into room reserved long before)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-report-"));
    mkdirSync(join(dir, "root/boot/grub"), { recursive: true });
    // a bare gzip kernel: a PV ELF and 40 MiB that do not compress, inflated at once into
    // the room its stated size asks for
    writeFileSync(join(dir, "root/boot/vmlinuz"), gzipSync(Buffer.concat([pvElf(), randomBytes(40 << 20)]), { level: 1 }));
    writeFileSync(join(dir, "root/boot/grub/menu.lst"), "timeout 0\ntitle Gz\nkernel /boot/vmlinuz\n");
    const disk = join(dir, "disk.img");
    makeDisk(disk, 80, [{ fsType: "ext4", sizeMiB: 70, dir: join(dir, "root") }]);
    const r = await run("script", ["-qec", `node ${PVBOOT} run ${disk} --json`, "/dev/null"], 120_000);
    const m = /pvboot: report: unpack gzip: \d+ -> \d+ bytes \([^)]*\) in (\d+\.\d{3}) ms/.exec(r.stdout);
    expect(m, r.stdout.slice(-1500)).not.toBeNull();
    const took = Number(m![1]);
    const updates = [...r.stdout.matchAll(/\r {2}unpacking \(hd0,0\)\/boot\/vmlinuz: (\d+\.\d) of 40\.\d MiB/g)];
    expect(updates.length).toBeLessThanOrEqual(Math.floor(took / 250));
    if (took >= 500) expect(updates.length).toBeGreaterThan(0);
  }, 150_000);

  it("a progress line counts the unpacking in place with '\\r', a few times a second (real time, on a terminal)", async () => {
    // script(1) gives the run a terminal: the harness's clock is then real time.
    const r = await run("script", ["-qec", `node ${PVBOOT} run ${demo} --json`, "/dev/null"], 180_000);
    const updates = [...r.stdout.matchAll(/\r {2}unpacking \(hd0,0\)\/boot\/vmlinuz-\S+: (\d+\.\d) of 62\.\d MiB \((\d+)%\)/g)];
    const took = Number(/pvboot: report: unpack xz: \d+ -> \d+ bytes \([^)]*\) in (\d+\.\d{3}) ms/.exec(r.stdout)![1]);
    expect(updates.length).toBeLessThanOrEqual(Math.floor(took / 250)); // throttled
    // 63 MiB of xz takes well over a second in the core on this machine's kind
    expect(took).toBeGreaterThan(500);
    expect(updates.length, r.stdout.slice(-2000)).toBeGreaterThan(0);
    const pct = updates.map((m) => Number(m[2]));
    expect([...pct].sort((a, b) => a - b)).toEqual(pct); // it only goes forward
    // blanked before the phase's line, which follows on the same row
    expect(r.stdout).toMatch(/\r {20,}\rpvboot: report: unpack xz: /);
    expect(r.stdout).toMatch(/"shutdown"|"entry"/);
  }, 200_000);
});
