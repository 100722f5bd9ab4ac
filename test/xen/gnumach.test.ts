// GNU Mach on real Xen, end to end (issue 17, part 5): Debian's i386 GNU Mach Xen image
// (gnumach-image-1.8-xen-486:i386, a 32-bit PAE PV kernel) with its modules, on the test
// host's hypervisor rebuilt with CONFIG_PV32 (scripts/xen-host/xen-pv32.ts: Debian's own
// hypervisor refuses 32-bit PV guests). One Xen boot, one guest after the other:
//   debian      Debian's image as it is, with the same package: it dies before its console
//               is up (the store the fix removes), printing nothing
//   direct      xl kernel = GNU Mach, ramdisk = a multiboot module package this test builds
//               (the Hurd's hurd-modules way): the reference for what GNU Mach prints
//   cut         the same with the first module cut exactly at the end of its last loadable
//               segment: GNU Mach reads mod_end as one past the end (kern/bootstrap.c,
//               boot_read/read_exec), so it still loads
//   inclusive   that cut module with mod_end on its last byte (xen.h's comment): GNU Mach
//               panics "Cannot load user executable module", so the exclusive form is the one
//               GNU Mach reads (the one pvboot writes, docs/loader.md)
//   pvboot      build/pvboot-x86_32.elf.gz booting the same GNU Mach from an ext2 disk made as
//               the Hurd makes its own (mke2fs -o hurd) with the Hurd's usual menu.lst entry;
//               only once that image is built (issue 17, part 1): until then this case is
//               reported as skipped, with the reason in its name
//
// GNU Mach is Debian's binary with one store removed (scripts/kernels/gnumach.ts says which
// and why: it writes the page directory after pinning it and dies before its console is up).
// The modules are Debian's static i386 busybox and sash with the Hurd's ext2fs/exec command
// lines ($(task-create), ${host-port}, ...). Pass condition for each boot: GNU Mach's banner,
// `module N: LINE` with each command line exactly, `N multiboot modules`, `task loaded: ...`
// for each module, and no message about unexpected or spurious events.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gnuMachXen, staticProgram, type MachImage } from "../../scripts/kernels/gnumach";
import {
  cutAtLastSegment, hurdModules, MACH_BAD_EVENTS, MACH_ROOT_ARG, machDisk, machExpectations, packageOf, type MachModule,
} from "../../scripts/xen-host/mach";
import { PVBOOT_IMAGE_X86_32, runGuests, type GuestResult, type GuestSpec, type GuestsRun } from "../../scripts/xen-host/guests";

const MEMORY_MB = 128;
const HAVE_PVBOOT32 = existsSync(PVBOOT_IMAGE_X86_32);
const PVBOOT_CASE = "pvboot-x86_32 boots the same GNU Mach and modules from menu.lst on an ext2 (-o hurd) disk";
if (!HAVE_PVBOOT32) {
  console.warn(`gnumach.test.ts: SKIPPED case '${PVBOOT_CASE}': ${PVBOOT_IMAGE_X86_32} is not built yet (issue 17, part 1)`);
}

let dir = "";
let mach: MachImage;
let mods: MachModule[];
let cutMods: MachModule[];
let run: GuestsRun;
const guest = (name: string): GuestResult => run.guests.find((g) => g.name === name)!;
const text = (name: string) => guest(name).lines.map((l) => l.text);

// The guest's lines that the expectations matched, in the order GNU Mach printed them.
function inOrder(name: string, expectations: RegExp[]): string[] {
  const lines = text(name);
  const out: string[] = [];
  let from = 0;
  for (const re of expectations) {
    const at = lines.findIndex((l, i) => i >= from && re.test(l));
    if (at < 0) throw new Error(`${name}: no line matching ${re} after line ${from}; GNU Mach printed:\n${lines.join("\n")}`);
    out.push(lines[at]);
    from = at + 1;
  }
  return out;
}

describe("Debian's i386 GNU Mach (store after the pin removed) on Xen 4.17 with CONFIG_PV32", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pvboot-gnumach-"));
    mach = await gnuMachXen("i386");
    const busybox = await staticProgram("busybox-static:i386", "bin/busybox");
    const sash = await staticProgram("sash:i386", "bin/sash");
    const bb = readFileSync(busybox), sh = readFileSync(sash);
    mods = hurdModules({ file: "busybox", data: bb }, { file: "sash", data: sh });
    cutMods = hurdModules({ file: "busybox-cut", data: cutAtLastSegment(bb) }, { file: "sash", data: sh });
    writeFileSync(join(dir, "modules.pkg"), packageOf(mods));
    writeFileSync(join(dir, "cut.pkg"), packageOf(cutMods));
    writeFileSync(join(dir, "inclusive.pkg"), packageOf(cutMods, { inclusiveEnd: true }));

    // GNU Mach never ends by itself once its tasks run: each guest is destroyed after
    // timeoutS, and the whole of what it printed until then is checked.
    const direct = (name: string, ramdisk: string, expect: RegExp[]): GuestSpec =>
      ({ name, kernel: mach.elf, ramdisk: join(dir, ramdisk), extra: MACH_ROOT_ARG, memoryMB: MEMORY_MB, expect, timeoutS: 20 });
    const guests: GuestSpec[] = [
      { ...direct("debian", "modules.pkg", []), kernel: mach.original },
      direct("direct", "modules.pkg", machExpectations(mods)),
      direct("cut", "cut.pkg", machExpectations(cutMods)),
      direct("inclusive", "inclusive.pkg", [/Cannot load user executable module \(error code -?\d+\): /]),
    ];
    if (HAVE_PVBOOT32) {
      const disk = machDisk(join(dir, "hurd.img"), join(dir, "root"), mach.gz, mods);
      guests.push({ name: "pvboot", kernel: PVBOOT_IMAGE_X86_32, disk, hotplug: "block-quick", memoryMB: MEMORY_MB,
        expect: machExpectations(mods), timeoutS: 60 });
    }
    run = await runGuests(guests, {
      hypervisor: "pv32", oneAtATime: true, waitForEnd: true, timeoutMs: 480_000, echo: !!process.env.PVBOOT_ECHO,
    });
    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(`gnumach run: ${s(run.elapsedMs)} s; Xen (PV32) + dom0 with xl up at ${s(run.xlReadyMs)} s`);
    for (const g of run.guests) {
      console.log(`  ${g.name}: xl create at ${s(g.createMs)} s; first expected line +${s(g.matchedMs[0] - g.createMs)} s; ended: ${g.ended}`);
    }
    for (const l of text("direct")) console.log(`  [direct] ${l}`);
    if (!run.ok) console.error(run.xen.lines.slice(-60).join("\n"));
  }, 900_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs every guest to its end", () => {
    expect(run.ok, run.reason).toBe(true);
  });

  it("Debian's unpatched image dies before its console is up (what the one removed store does)", () => {
    expect(guest("debian").lines.map((l) => l.text).filter((l) => l.trim() !== "")).toEqual([]);
    // It shut itself down (xl's reason code is a pointer's low byte, scripts/xen-host/README.md):
    // not destroyed after its time ("unknown"), not a clean poweroff.
    expect(guest("debian").ended).toBeDefined();
    expect(["unknown", "poweroff"]).not.toContain(guest("debian").ended);
  });

  it("direct boot: banner, each module's command line exactly, the count, each task loaded, in order", () => {
    const got = inOrder("direct", machExpectations(mods));
    expect(got[0]).toMatch(/^GNU Mach 1\.8/);
    expect(got.slice(1, 3)).toEqual(mods.map((m, i) => `module ${i}: ${m.line}`));
    expect(got[3]).toBe("2 multiboot modules");
    // The boot script's variables expanded: the kernel's command line and the ports.
    expect(got[4]).toBe(`task loaded: /boot/busybox ext2fs --multiboot-command-line=${MACH_ROOT_ARG} --host-priv-port=1 ` +
      "--device-master-port=2 --exec-server-task=3 -T typed part:1:device:hd0");
    expect(got[5]).toBe("task loaded: /boot/sash exec /hurd/exec");
    expect(text("direct").filter((l) => MACH_BAD_EVENTS.test(l))).toEqual([]);
  });

  it("a module cut exactly at its last segment loads with the exclusive mod_end", () => {
    inOrder("cut", machExpectations(cutMods));
    expect(text("cut").filter((l) => MACH_BAD_EVENTS.test(l) || /Cannot load/.test(l))).toEqual([]);
  });

  it("the same module with an inclusive mod_end does not: GNU Mach reads mod_end as one past the end", () => {
    const lines = text("inclusive");
    expect(lines).toContain(`module 0: ${cutMods[0].line}`);
    expect(lines.some((l) => /Cannot load user executable module \(error code -?\d+\): /.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith("task loaded:"))).toEqual([]);
  });

  it.skipIf(!HAVE_PVBOOT32)(HAVE_PVBOOT32 ? PVBOOT_CASE : `${PVBOOT_CASE} [SKIPPED: no build/pvboot-x86_32.elf.gz yet]`, () => {
    const got = inOrder("pvboot", machExpectations(mods));
    // The same module lines as the reference, GNU Mach's own words for what pvboot handed over.
    const moduleLines = (name: string) => text(name).filter((l) => /^module \d+: /.test(l));
    expect(moduleLines("pvboot")).toEqual(moduleLines("direct"));
    expect(got[3]).toBe("2 multiboot modules");
    expect(text("pvboot").filter((l) => MACH_BAD_EVENTS.test(l))).toEqual([]);
  });
});
