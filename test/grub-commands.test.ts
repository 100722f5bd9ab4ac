// Every GRUB 0.97 command in one menu.lst, booted by the real core in the emulated Xen (a disk
// made by mke2fs -d, keys typed at the console): the commands that act (reboot, halt, pause,
// color, cat, find, cmp, help, password, md5crypt, ...), those a PV guest has no use for
// (accepted, one line each saying why), `module` decompressing what each compression tool
// made while `modulenounzip` keeps the bytes, `commandline` opening grubdom>, and a kernel with trailing data after its gzip
// stream (booted with a warning naming the file and the count).

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { runLoader } from "./harness/run";
import { screenOf } from "./harness/screen";
import { parseKeys } from "../scripts/cli/keys";
import { makeDisk } from "../scripts/images/make-disk";
import { pvElf } from "./loader/pv-elf";
import { KERNEL_PACKERS } from "./loader/packers";

// Commands a PV guest has no use for, each with an argument GRUB would take.
const IGNORED: [string, string][] = [
  ["uppermem", "8192"], ["setkey", "a b"], ["serial", "--unit=0 --speed=9600"], ["terminal", "serial console"],
  ["terminfo", "--name=vt100"], ["ioprobe", "(hd0)"], ["displayapm", ""], ["impsprobe", ""], ["makeactive", ""],
  ["map", "(hd0) (hd1)"], ["hide", "(hd0,0)"], ["unhide", "(hd0,0)"], ["device", "(fd0) /floppy.img"],
  ["partnew", "(hd0,3) 0x83 100 200"], ["parttype", "(hd0,0) 0x83"], ["setup", "(hd0)"],
  ["install", "/boot/grub/stage1 (hd0) /boot/grub/stage2 p /boot/grub/menu.lst"], ["embed", "/e2fs_stage1_5 (hd0)"],
  ["fstest", ""], ["debug", ""], ["pager", "on"], ["splashimage", "/boot/grub/splash.xpm.gz"],
  ["foreground", "ffffff"], ["background", "000000"], ["gfxmenu", "/boot/message"], ["viewport", "0 0 80 25"],
  ["shade", "1"], ["bootp", ""], ["dhcp", ""], ["rarp", ""], ["ifconfig", "--address=10.0.0.2"],
  ["tftpserver", "10.0.0.1"], ["testvbe", "0x112"], ["vbeprobe", ""], ["blocklist", "/hello.txt"],
  ["read", "0x8000"], ["default", "0"], ["fallback", "1"], ["timeout", "5"], ["hiddenmenu", ""],
];

const MODULE = Buffer.from("GNU Mach module payload\n".repeat(2000)); // 48000 bytes
const tool = (cmd: string, args: string[], input: Buffer) => execFileSync(cmd, args, { input, maxBuffer: 1 << 26 });

// The kernel as a bare gzip image followed by an appended signature: what Linux's
// decompressor and libxenguest stop short of.
const TRAILER = Buffer.from("~Module signature appended~\n" + "s".repeat(484));

let disk = "";
let lines: string[] = [];
const lineOf = (text: string) => lines.indexOf(text) + 1; // menu.lst's line number of a command

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "pvboot-grubcmds-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "boot/grub"), { recursive: true });
  writeFileSync(join(root, "boot/vmlinuz-a"), pvElf());
  writeFileSync(join(root, "boot/vmlinuz-trailing"), Buffer.concat([gzipSync(pvElf()), TRAILER]));
  writeFileSync(join(root, "boot/mod.gz"), gzipSync(MODULE));
  writeFileSync(join(root, "boot/mod-trailing.gz"), Buffer.concat([gzipSync(MODULE), Buffer.from("trailing junk\n")]));
  writeFileSync(join(root, "boot/mod.xz"), tool("xz", ["--check=crc32", "-c"], MODULE));
  for (const [fmt, cmd, args] of KERNEL_PACKERS) if (fmt !== "gzip") writeFileSync(join(root, `boot/mod.${fmt}`), tool(cmd, args, MODULE));
  writeFileSync(join(root, "hello.txt"), "Hello from a menu entry.\n");
  writeFileSync(join(root, "hellx.txt"), "Hello from a menu entrx.\n");
  lines = ["color light-gray/blue black/light-gray", "timeout 30", "default 0",
    "splashimage /boot/grub/splash.xpm.gz", "serial --unit=0", "terminal serial", "",
    "title Everything",
    "root (hd0,0)",
    "rootnoverify (hd0,0)",
    "uuid",
    "find /boot/grub/menu.lst",
    "cat /hello.txt",
    "help cmp",
    "cmp /hello.txt /hello.txt",
    "cmp /hello.txt /hellx.txt",
    "testload /boot/vmlinuz-a",
    "displaymem",
    "geometry (hd0)",
    "echo Hello from echo",
    "pause Press a key to go on",
    "password secret",
    "md5crypt",
    ...IGNORED.map(([c, a]) => (a ? `${c} ${a}` : c)),
    "savedefault",
    "lock",
    "kernel /boot/vmlinuz-a console=hvc0",
    "module /boot/mod.gz gz-arg",
    "module /boot/mod.xz",
    ...KERNEL_PACKERS.filter(([f]) => f !== "gzip").map(([f]) => `module /boot/mod.${f} ${f}-arg`),
    "module /boot/mod-trailing.gz",
    "modulenounzip /boot/mod.gz kept",
    "quiet",
    "boot",
    "",
    "title Reboot", "reboot", "",
    "title Halt", "halt", "",
    "title Windows", "color cyan/black white/blue", "rootnoverify (hd0,1)", "chainloader +1", "",
    "title Other menu", "configfile /boot/grub/other.lst", "",
    "title Trailing data", "kernel /boot/vmlinuz-trailing", "pause", "boot", "",
    "title Command line", "commandline", "",
  ];
  writeFileSync(join(root, "boot/grub/menu.lst"), lines.join("\n"));
  writeFileSync(join(root, "boot/grub/other.lst"), "title Other A\nkernel /boot/vmlinuz-a\n");
  disk = join(dir, "disk.img");
  makeDisk(disk, 12, [{ fsType: "ext4", sizeMiB: 10, dir: root }]);
}, 60_000);

function boot(keys: string) {
  const r = runLoader({ memoryMB: 64, disks: [disk], keys: parseKeys(keys) });
  expect(r.trap).toBeUndefined();
  return r;
}

// The console after the menu was left for the entry.
const afterBooting = (out: string, title: string) => out.slice(out.indexOf(` Booting '${title}'`)).replace(/\r\n/g, "\n");

describe("a menu.lst with every GRUB 0.97 command", () => {
  it("the entry using them all runs each, notes each ignored one, and boots with its modules unpacked", () => {
    const r = boot("<enter> secret\rhello\r");
    expect(r.shutdown).toBe("jumped");
    const t = afterBooting(r.console, "Everything");
    expect(t).toMatch(/\nuuid\n \(hd0,0\): ext4 UUID [0-9a-f-]{36}\n/);
    expect(t).toContain("\nfind /boot/grub/menu.lst\n (hd0,0)\n");
    expect(t).toContain("\ncat /hello.txt\nHello from a menu entry.\n");
    expect(t).toContain("\nhelp cmp\ncmp FILE1 FILE2\n    Compare two files");
    expect(t).toContain("\ncmp /hello.txt /hello.txt\ncmp /hello.txt /hellx.txt\nDiffer at the offset 22: 0x79 [(hd0,0)/hello.txt], 0x78 [(hd0,0)/hellx.txt]\n");
    expect(t).toMatch(/\ntestload \/boot\/vmlinuz-a\n '\(hd0,0\)\/boot\/vmlinuz-a': \d+ bytes read\n/);
    expect(t).toContain("\ndisplaymem\n The domain has 64 MiB (16384 pages of 4 KiB)\n");
    expect(t).toMatch(/\ngeometry \(hd0\)\n drive \(hd0\): 24576 sectors of 512 bytes \(12 MiB\), read-write\n/);
    expect(t).toContain("\necho Hello from echo\nHello from echo\n");
    expect(t).toContain("\nPress a key to go on\n"); // pause: not echoed, its message shown
    expect(t).not.toContain("\npause ");
    expect(t).toContain("\npassword secret\nPassword: ******\n");
    expect(t).toMatch(/\nmd5crypt\nPassword: \*{5}\nEncrypted: \$1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}\n/);
    for (const [c, a] of IGNORED) {
      expect(t).toContain(`\n${a ? `${c} ${a}` : c}\n ${c}: ignored (`);
    }
    // no default file beside this menu.lst: nothing to write in place (test/saved.test.ts writes one)
    expect(t).toMatch(/\nsavedefault\n savedefault: not saved: ext\d: .*default.*\n/);
    expect(t).not.toContain("Error:");
    expect(t).not.toContain("unknown command");
    // quiet came last: no load summaries, but the trailing data still warns, naming the file
    expect(t).toContain("  warning: '(hd0,0)/boot/mod-trailing.gz': 14 bytes after the gzip stream ignored");
    const mods = r.handoff!.json.modules as { size: number; cmdline: string }[];
    const compressed = KERNEL_PACKERS.filter(([f]) => f !== "gzip").map(([f]) => `/boot/mod.${f} ${f}-arg`);
    expect(mods.map((m) => m.cmdline)).toEqual(["/boot/mod.gz gz-arg", "/boot/mod.xz", ...compressed, "/boot/mod-trailing.gz", "/boot/mod.gz kept"]);
    for (const m of mods.slice(0, -1)) expect(`${m.cmdline}: ${m.size}`).toBe(`${m.cmdline}: ${MODULE.length}`);
    expect(mods[mods.length - 1].size).toBe(gzipSync(MODULE).length); // modulenounzip: the file's bytes
    for (const [k, v] of Object.entries(r.handoff!.checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
  });

  it("the global color paints the menu: NORMAL on every row, HIGHLIGHT on the selected one", () => {
    const r = boot("");
    const menu = r.console.slice(0, r.console.indexOf("Press enter to boot"));
    expect(menu).toContain("\x1b[0;37;44m Reboot"); // light-gray/blue
    expect(menu).toContain("\x1b[0;30;47m Everything"); // black/light-gray
    expect(r.shutdown).toBe("idle");
  });

  it("pause: Esc stops the entry, which is then an error like any other", () => {
    const r = boot("<enter>\x1b");
    expect(r.console).toContain(`Error: line ${lineOf("pause Press a key to go on")}: pause: Esc pressed, the entry stops here`);
  });

  it("password in an entry: a wrong one stops it", () => {
    const r = boot("<enter> nope\r");
    expect(r.console).toContain(`Error: line ${lineOf("password secret")}: password: wrong password, the entry stops here`);
    expect(r.shutdown).not.toBe("jumped");
  });

  it("reboot and halt in an entry act", () => {
    const rb = boot("<down><enter>");
    expect(rb.shutdown).toBe("reboot");
    expect(rb.console).toContain(" Booting 'Reboot'\r\n\r\nreboot\r\npvboot: rebooting");
    const h = boot("<down><down><enter>");
    expect(h.shutdown).toBe("poweroff");
    expect(h.console).toContain("pvboot: powering off");
  });

  it("an entry's color takes effect when the menu is drawn again", () => {
    const r = boot("3<enter> ");
    expect(r.console).toMatch(/Error: line \d+: chainloader: chainloading is not possible in a Xen PV guest/);
    const again = r.console.slice(r.console.lastIndexOf("Press any key to continue"));
    expect(again).toContain("\x1b[0;36;40m Everything"); // cyan/black
    expect(again).toContain("\x1b[0;1;37;44m Windows"); // white/blue, the selected entry
    expect(screenOf(r.console).text()).toContain("Windows");
  });

  it("configfile in an entry shows that file's menu", () => {
    const r = boot("4<enter><enter>");
    expect(r.console).toContain("pvboot: 'Other A' loaded");
    expect(r.shutdown).toBe("jumped");
  });

  it("commandline in an entry opens grubdom>; Esc there goes back to the menu", () => {
    const h = boot("6<enter>halt\r");
    expect(h.console).toContain(" Booting 'Command line'\r\n\r\ncommandline\r\n");
    expect(h.console).toContain("grubdom> halt");
    expect(h.shutdown).toBe("poweroff");
    const r = boot("6<enter><esc>");
    const after = r.console.slice(r.console.indexOf("grubdom> "));
    expect(after).toContain("\x1b[0;30;47m Command line"); // the menu again, the entry selected
    expect(after).not.toContain("Press any key");
    expect(r.shutdown).toBe("idle");
  });

  it("a kernel with data after its gzip stream boots, with a warning naming the file and the count", () => {
    const r = boot("5<enter> ");
    expect(r.console).toContain(`  warning: '(hd0,0)/boot/vmlinuz-trailing': ${TRAILER.length} bytes after the gzip stream ignored (Linux's decompressor and libxenguest ignore them too)`);
    expect(r.shutdown).toBe("jumped");
    for (const [k, v] of Object.entries(r.handoff!.checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
  });
});
