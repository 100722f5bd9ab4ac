// The pvboot command as people and scripts use it: `run` on a disk image, its JSON line, its
// exit status, its errors; and the --keys notation.

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseKeys } from "../scripts/cli/keys";
import { debugfsCat, grubenvBlock, grubenvDisk } from "./saved-disks";

const PVBOOT = fileURLToPath(new URL("../scripts/pvboot.mjs", import.meta.url));
const pvboot = (...args: string[]) => spawnSync("node", [PVBOOT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("pvboot run and saved defaults", () => {
  it("keeps what the loader writes in memory, and writes DISK with --write-disk", () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-cli-saved-"));
    const disk = grubenvDisk(dir);
    const before = readFileSync(disk);
    const r1 = pvboot("run", disk, "--memory", "64");
    expect(r1.stdout).toContain("saved-test: once");
    expect(r1.stdout).toContain("save_env: next_entry saved in (hd0,0)/boot/grub/grubenv");
    expect(readFileSync(disk).equals(before)).toBe(true);
    const r2 = pvboot("run", disk, "--memory", "64", "--write-disk");
    expect(r2.stdout).toContain("saved-test: once");
    expect(debugfsCat(disk, "/boot/grub/grubenv").toString("latin1")).toBe(grubenvBlock({ next_entry: "" }));
    expect(pvboot("run", disk, "--memory", "64").stdout).toContain("saved-test: default");
  });
});

describe("pvboot run", () => {
  let disk = "";
  beforeAll(() => {
    disk = join(mkdtempSync(join(tmpdir(), "pvboot-cli-")), "disk.img");
    writeFileSync(disk, Buffer.alloc(1024 * 1024));
  });

  it("boots to the banner, stops cleanly, and describes the end in one JSON line", () => {
    const r = pvboot("run", disk, "--json", "--memory", "128", "--extra", "(hd0,0)/boot/grub/menu.lst");
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^pvboot 0\.1\.0 \(xen-3\.0-x86_64\) on Xen 4\.17\.\S+, domU, 128 MiB\r$/);
    expect(r.stdout).toContain("pvboot: command line: (hd0,0)/boot/grub/menu.lst\r\n");
    const json = JSON.parse(lines[lines.length - 1]);
    expect(json).toMatchObject({ disk, memory_mb: 128, shutdown: "poweroff", trap: null });
    expect(json.banner).toMatch(/^pvboot 0\.1\.0 /);
  });

  it("exits 1 when the loader crashes, with the trap in the JSON", () => {
    const r = pvboot("run", disk, "--json", "--extra", "pvboot.debug=oob");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("pvboot: wasm trap: out of bounds memory access\r\n");
    const json = JSON.parse(r.stdout.trimEnd().split("\n").pop()!);
    expect(json).toMatchObject({ shutdown: "crash", trap: "out of bounds memory access" });
  });

  it("refuses a missing disk, a bad size and bad keys with exit status 2", () => {
    let r = pvboot("run", join(tmpdir(), "no-such-disk.img"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot open disk image '.*no-such-disk\.img'/);
    r = pvboot("run", disk, "--memory", "lots");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--memory takes whole MiB");
    r = pvboot("run", disk, "--keys", "<nokey>");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown key name '<nokey>'");
    r = pvboot("run", disk, "--bogus");
    expect(r.status).toBe(2);
    r = pvboot("frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it("runs on a terminal (real time, raw keys) and still ends on its own", () => {
    const r = spawnSync("script", ["-qec", `node ${PVBOOT} run ${disk} --json`, "/dev/null"],
      { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(/pvboot 0\.1\.0 .*domU, 256 MiB/);
    expect(r.stdout).toMatch(/"shutdown":"poweroff"/);
  });

  it("has help for itself and for run", () => {
    expect(pvboot("--help").stdout).toContain("run DISK");
    expect(pvboot("help", "run").stdout).toContain("--keys KEYS");
    expect(pvboot("run", "--help").stdout).toContain("--memory MB");
    expect(pvboot("--help").stdout).toContain("xen DISK");
    expect(pvboot("help", "xen").stdout).toContain("usage: pvboot xen DISK [--arch x86_64|x86_32] [--extra ARG] [--memory MB]");
    expect(pvboot().status).toBe(2);
  });

  it("xen: --mode pvh names the PVH image; refuses an unknown mode and PVH with --arch x86_32", () => {
    expect(pvboot("help", "xen").stdout).toContain("--mode MODE    pv (default), or pvh: build/pvboot-pvh.elf.gz in a PVH domU");
    const bad = pvboot("xen", disk, "--mode", "hvm");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("xen: --mode takes pv or pvh, not 'hvm'");
    const pv32 = pvboot("xen", disk, "--mode", "pvh", "--arch", "x86_32");
    expect(pv32.status).toBe(2);
    expect(pv32.stderr).toContain("xen: a PVH domain runs the core as x86_64: --arch x86_32 has no PVH");
  });

  it("xen: refuses an unknown --arch, and says when the 32-bit image is not built", () => {
    const bad = pvboot("xen", disk, "--arch", "arm64");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("xen: --arch takes x86_64 or x86_32, not 'arm64'");
    const image = fileURLToPath(new URL("../build/pvboot-x86_32.elf.gz", import.meta.url));
    if (existsSync(image)) return; // built: `pvboot xen --arch x86_32` boots it (test/xen/gnumach.test.ts)
    const r = pvboot("xen", disk, "--arch", "x86_32");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`pvboot: xen: no ${image}: the 32-bit PAE image (xen-3.0-x86_32p) is not built`);
  });

  it("is the package's bin", () => {
    const out = execFileSync("npx", ["--no-install", "pvboot", "--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    expect(out).toContain("usage: pvboot");
  });
});

describe("--keys", () => {
  it("turns names and escapes into what a terminal sends", () => {
    expect([...parseKeys("ab<enter>")]).toEqual([0x61, 0x62, 0x0d]);
    expect([...parseKeys("<up><DOWN><left><right>")]).toEqual([27, 91, 65, 27, 91, 66, 27, 91, 68, 27, 91, 67]);
    expect([...parseKeys("<c-c><c-n><esc><bs><tab>")]).toEqual([3, 14, 27, 127, 9]);
    expect([...parseKeys("\\n\\r\\t\\e\\\\\\x41\\<")]).toEqual([10, 13, 9, 27, 92, 0x41, 0x3c]);
  });

  it("refuses what it does not know, saying where", () => {
    expect(() => parseKeys("a<oops>")).toThrow("unknown key name '<oops>' at position 1");
    expect(() => parseKeys("\\q")).toThrow("unknown escape '\\q' at position 0");
    expect(() => parseKeys("é")).toThrow("not ASCII");
  });
});
