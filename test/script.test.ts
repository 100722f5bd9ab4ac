// Booting a menu entry (src/boot/script.ts runEntry) as the menu will: the entry's lines run in
// order, echoed as GRUB did, then `boot`. A test core (test/script/entry.ts) takes the entry
// from the domain's command line and runs it with the real drivers on the command line's
// test disk; its last line says how the entry ended.

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { renameSync } from "node:fs";
import { join } from "node:path";
import { runLoader } from "./harness/run";
import { ROOT } from "./ext/wasm";
import { makeDisk, diskPath, bzImage } from "./grubdom-disk";

const WASM = join(ROOT, "build/script-test.wasm");

beforeAll(() => {
  makeDisk();
  const tmp = `${WASM}.${process.pid}.tmp`;
  execFileSync("npx", ["asc", "test/script/entry.ts", "--runtime", "stub", "--importMemory", "--use", "abort=src/lib/abort/pvbootAbort",
    "--use", "trace=", "--use", "seed=", "-O2", "-o", tmp], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, WASM);
}, 120_000);

// Run "TITLE|ROOT|LINE|..." and return the console and the result line.
function entry(title: string, root: string, ...lines: string[]) {
  const r = runLoader({ wasm: WASM, memoryMB: 64, disks: [diskPath()], cmdline: [title, root, ...lines].join("|") });
  expect(r.trap).toBeUndefined();
  expect(r.shutdown).toBe("poweroff");
  const m = /\r\ntest: (.*)\r\n$/.exec(r.console);
  expect(m, r.console).not.toBeNull();
  return { console: r.console, result: m![1] };
}

describe("runEntry", () => {
  it("runs an entry's lines, echoed, then boot: the files are read and the handoff is said to be missing", () => {
    const r = entry("Debian", "", "root (hd0,0)", "kernel /boot/vmlinuz-6.1.0 root=/dev/xvda1 ro", "initrd /boot/initrd.img-6.1.0");
    const size = bzImage().length;
    expect(r.console).toContain(" Booting 'Debian'\r\n\r\nroot (hd0,0)\r\n Filesystem type is ext2fs (ext4), partition type 0x83\r\n" +
      "kernel /boot/vmlinuz-6.1.0 root=/dev/xvda1 ro\r\n   [Linux-bzImage, setup=0x800, size=0x");
    expect(r.console).toContain("initrd /boot/initrd.img-6.1.0\r\n   [Linux-initrd, size=0x1388]\r\nboot\r\n");
    expect(r.console).toContain(`pvboot: 'Debian' loaded (kernel bzImage ${size} bytes, initrd 5000 bytes)\r\n`);
    expect(r.result).toBe("error=none loaded=yes configfile=none root=(hd0,0) kernel=(hd0,0)/boot/vmlinuz-6.1.0 [root=/dev/xvda1 ro] modules=0");
  });

  it("stops at the first failing line and names it; later lines and boot do not run", () => {
    const r = entry("Broken", "(hd0,0)", "kernel /boot/vmlinuz-9 ro", "initrd /boot/initrd.img-6.1.0");
    expect(r.result).toBe("error=line 2: kernel: '(hd0,0)/boot/vmlinuz-9': file not found loaded=no configfile=none root=(hd0,0) kernel=none modules=0");
    expect(r.console).not.toContain("initrd /boot");
    expect(r.console).not.toContain("\r\nboot\r\n");
  });

  it("takes the root it is given; modules keep their whole argument; an explicit boot ends the entry", () => {
    const r = entry("Hurd", "(hd0,1)", "kernel (hd0,0)/boot/vmlinux-elf", "module /hurd/ext2fs.static --readonly $(root)", "boot", "kernel /nope");
    expect(r.result).toBe("error=none loaded=yes configfile=none root=(hd0,1) kernel=(hd0,0)/boot/vmlinux-elf [] modules=1 [/hurd/ext2fs.static --readonly $(root)]");
    expect(r.console).toContain("  module (hd0,1)/hurd/ext2fs.static: 1234 bytes\r\n");
    expect(r.console).not.toContain("kernel /nope");
  });

  it("an entry's configfile leaves the rest to the caller (the menu shows that file)", () => {
    const r = entry("Other menu", "(hd0,0)", "configfile /boot/grub/menu.lst", "kernel /boot/vmlinuz-6.1.0");
    expect(r.result).toBe("error=none loaded=no configfile=(hd0,0)/boot/grub/menu.lst root=(hd0,0) kernel=none modules=0");
  });

  it("an entry without a kernel, a chainloader entry, a bad file format: the error for the fallback", () => {
    expect(entry("Empty", "(hd0,0)", "root (hd0,1)").result).toBe(
      "error=boot: no kernel loaded (use 'kernel FILE' first) loaded=no configfile=none root=(hd0,1) kernel=none modules=0");
    expect(entry("Windows", "", "rootnoverify (hd0,1)", "chainloader +1").result).toMatch(
      /^error=line 3: chainloader: chainloading is not possible in a Xen PV guest .* loaded=no/);
    expect(entry("Script", "(hd0,0)", "kernel /boot/notakernel").result).toMatch(
      /^error=line 2: kernel: '\(hd0,0\)\/boot\/notakernel': unknown kernel format \(starts with 23 21 2f 62 69 6e 2f 73\) loaded=no/);
  });

  it("lock stops an entry unless the password was given", () => {
    expect(entry("!Rescue", "(hd0,0)", "lock", "kernel /boot/vmlinuz-6.1.0").result).toBe(
      "error=line 2: lock: this entry needs the password (press 'p' in the menu first) loaded=no configfile=none root=(hd0,0) kernel=none modules=0");
    expect(entry("Rescue", "(hd0,0)", "lock", "kernel /boot/vmlinuz-6.1.0").result).toMatch(/^error=none loaded=yes /);
  });

  it("quiet: the entry's lines and the summaries are not echoed, the outcome still is", () => {
    const r = entry("Quiet", "(hd0,0)", "quiet", "kernel /boot/vmlinuz-6.1.0", "initrd /boot/initrd.img-6.1.0");
    expect(r.console).not.toContain("kernel /boot/vmlinuz-6.1.0\r\n");
    expect(r.console).not.toContain("[Linux-bzImage");
    expect(r.console).toContain("pvboot: 'Quiet' loaded (kernel bzImage");
  });
});
