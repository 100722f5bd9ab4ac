// From kernel file to ELF image (src/loader/kernel.ts) on real data: Debian 12's bzImage
// (xz payload), its vmlinux re-compressed by the real tools in every format the kernel can be
// built with (a bare compressed image, as some distributions ship), GNU Mach, and refusals.
// The expected bytes come from xz -dc; the Xen facts from the ELF reader's own tests.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unpackKernel, parseBzImage } from "./wasm";
import { debianKernel, gnuMach } from "../../scripts/kernels/fetch";
import { KERNEL_PACKERS } from "./packers";

const work = mkdtempSync(join(tmpdir(), "pvboot-kernel-"));
let bz: Buffer;
let vmlinux: Buffer;

beforeAll(() => {
  bz = readFileSync(debianKernel());
  const b = parseBzImage(bz);
  writeFileSync(join(work, "payload.xz"), bz.subarray(b.payloadOffset, b.payloadOffset + b.payloadLength));
  vmlinux = execFileSync("xz", ["-dc", "--single-stream", join(work, "payload.xz")], { maxBuffer: 256 << 20 });
  writeFileSync(join(work, "vmlinux"), vmlinux);
}, 120_000);

describe("kernels as users bring them", () => {
  it("Debian 12's bzImage: the xz payload unpacked to the very bytes xz gives, a Linux PV ELF", () => {
    const k = unpackKernel(bz);
    expect(k.error).toBeNull();
    expect(k.container).toBe("bzImage");
    expect(k.compression).toBe("xz");
    expect(k.elfSize).toBe(vmlinux.length);
    expect(k.guestOs).toBe("linux");
    expect(k.virtBase).toBe("0xffffffff80000000");
    expect(k.describe).toMatch(/^bzImage \(boot protocol 2\.\d+, xz payload\) -> ELF64 x86_64, \d+ bytes, Xen notes \(PT_NOTE\): linux$/);
  }, 120_000);

  const tools = KERNEL_PACKERS;
  for (const [fmt, tool, args] of tools) {
    it(`Debian's vmlinux compressed by ${tool} ${args.join(" ")}: found by its magic and unpacked`, () => {
      const packed = execFileSync(tool, [...args, join(work, "vmlinux")], { maxBuffer: 256 << 20 });
      const k = unpackKernel(packed);
      expect(k.error).toBeNull();
      expect(k.container).toBe(fmt);
      expect(k.elfSize).toBe(vmlinux.length);
      expect(k.entry).toBe(unpackKernel(vmlinux).entry);
    }, 180_000);
  }

  it("GNU Mach as Debian ships it (gzip) and unpacked", () => {
    const mach = readFileSync(gnuMach());
    const k = unpackKernel(mach);
    expect(k.error).toBeNull();
    expect(k.container).toBe("ELF");
    expect(k.guestOs).toBe("GNU Mach");
    expect(k.virtBase).toBe("0x40000000");
    const gz = unpackKernel(execFileSync("gzip", ["-9", "-c"], { input: mach }));
    expect(gz.error).toBeNull();
    expect(gz.container).toBe("gzip");
    expect(gz.elfSize).toBe(mach.length);
  });

  it("refuses what cannot run, saying why", () => {
    expect(unpackKernel(Buffer.from("#!/bin/sh\necho hi\n")).error).toMatch(/unknown kernel format \(starts with 23 21 2f 62/);
    expect(unpackKernel(Buffer.alloc(0)).error).toMatch(/the file is empty/);
    expect(unpackKernel(readFileSync(gnuMach()), 32).error).toMatch(/^a 64-bit \(x86_64\) kernel: this is pvboot-x86_32.elf, .* boot this kernel with pvboot-x86_64.elf/);
    // A bzImage whose payload was cut short: the decompressor's error, named.
    const cut = Buffer.from(bz);
    const b = parseBzImage(bz);
    cut.writeUInt32LE(Math.floor(b.payloadLength / 2), 0x24c);
    expect(unpackKernel(cut).error).toMatch(/^the bzImage's xz payload: xz: /);
    // A gzip'd kernel that is not an ELF inside.
    expect(unpackKernel(execFileSync("gzip", ["-c"], { input: Buffer.alloc(5000, 0x41) })).error).toMatch(/not a usable ELF image: not an ELF file/);
  }, 120_000);
});

process.on("exit", () => rmSync(work, { recursive: true, force: true }));
