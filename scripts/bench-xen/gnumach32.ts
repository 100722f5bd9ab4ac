// GNU Mach on the real Xen test host, 32-bit (issue 17): pvboot-x86_32 against pvgrub2
// (GRUB 2's i386-xen image from Debian's grub-xen-bin, `multiboot`/`module` from a grub.cfg on
// the same disk) and direct boot (xl kernel = GNU Mach, ramdisk = the module package), one
// guest after the other in one Xen boot on the hypervisor with CONFIG_PV32
// (scripts/xen-host/xen-pv32.ts). The same GNU Mach (Debian's i386 image, the store after the
// pin removed: scripts/kernels/gnumach.ts) and the same two modules (static i386 busybox and
// sash with the Hurd's command lines: scripts/xen-host/mach.ts) for all three.
//
//   xen32-boot-to-mach pvboot S pvgrub2 S direct S ratio R   seconds from dom0's `xl create`
//       to GNU Mach's first module line (`module 0: ...`); ratio pvboot / pvgrub2
//   image-size-x86_32 pvboot B pvgrub2 B ratio R               the two loader ELF images in bytes
//
// pvboot's figures need build/pvboot-x86_32.elf.gz: without it this benchmark fails, saying so.
// TCG makes absolute times slow and noisy: the ratios are the figures.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gnuMachXen, staticProgram } from "../kernels/gnumach.ts";
import { hurdModules, MACH_ROOT_ARG, machDisk, packageOf } from "../xen-host/mach.ts";
import { ensurePvgrub2 } from "../xen-host/pvgrub2.ts";
import { PVBOOT_ELF_X86_32, PVBOOT_IMAGE_X86_32, runGuests } from "../xen-host/guests.ts";

if (!existsSync(PVBOOT_IMAGE_X86_32)) {
  console.error(`bench-xen gnumach32: FAILED: no ${PVBOOT_IMAGE_X86_32} (the 32-bit PAE image): ` +
    "xen32-boot-to-mach and image-size-x86_32 measure it against pvgrub2; build it with make first");
  process.exit(1);
}

const FIRST_MODULE = /^module 0: /;
const s = (ms: number) => (ms / 1000).toFixed(2);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "inf");

const mach = await gnuMachXen("i386");
const pvgrub2 = await ensurePvgrub2(undefined, { platform: "i386-xen" });
const mods = hurdModules(
  { file: "busybox", data: readFileSync(await staticProgram("busybox-static:i386", "bin/busybox")) },
  { file: "sash", data: readFileSync(await staticProgram("sash:i386", "bin/sash")) },
);
const dir = mkdtempSync(join(tmpdir(), "pvboot-bench-gnumach32-"));
try {
  // the uncompressed ELF, as pvgrub2's
  const ps = statSync(PVBOOT_ELF_X86_32).size, gs = statSync(pvgrub2).size;
  console.log(`image-size-x86_32 pvboot ${ps} pvgrub2 ${gs} ratio ${ratio(ps, gs)}`);

  const disk = machDisk(join(dir, "hurd.img"), join(dir, "root"), mach.gz, mods, { grubCfg: true });
  writeFileSync(join(dir, "modules.pkg"), packageOf(mods));
  const expect = [FIRST_MODULE];
  const r = await runGuests([
    { name: "pvboot", kernel: PVBOOT_IMAGE_X86_32, disk, hotplug: "block-quick", memoryMB: 128, expect, timeoutS: 60 },
    { name: "pvgrub2", kernel: pvgrub2, disk, hotplug: "block-quick", memoryMB: 128, expect, timeoutS: 60 },
    { name: "direct", kernel: mach.elf, ramdisk: join(dir, "modules.pkg"), extra: MACH_ROOT_ARG, memoryMB: 128, expect, timeoutS: 60 },
  ], { hypervisor: "pv32", oneAtATime: true, timeoutMs: 900_000, echo: !!process.env.PVBOOT_ECHO });
  const t: Record<string, number> = {};
  for (const g of r.guests) {
    if (!g.ok) throw new Error(`bench-xen gnumach32: ${g.name}: ${r.reason}\n${g.lines.slice(-20).map((l) => l.text).join("\n")}`);
    t[g.name] = g.matchedMs[0] - g.createMs;
  }
  console.log(`xen32-boot-to-mach pvboot ${s(t.pvboot)} pvgrub2 ${s(t.pvgrub2)} direct ${s(t.direct)} ratio ${ratio(t.pvboot, t.pvgrub2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
