// The boot menu, its editor and passwords: the real core in the emulated Xen, a real MBR disk
// whose ext4 partition mke2fs -d filled with a menu.lst and small kernels, keys typed at the
// console beforehand (the CLI's --keys notation), the virtual clock (a countdown of seconds
// costs nothing). What a person would see is checked through a VT100 emulator
// (test/harness/screen.ts); what was booted, through the loader's lines ("kernel (hd0,0)/...",
// "pvboot: 'Title' loaded ..."). When the typed keys run out, the loader waits and the harness
// ends the run with shutdown "idle".

import { pvElf } from "./loader/pv-elf";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLoader } from "./harness/run";
import { Screen, screenOf } from "./harness/screen";
import { parseKeys } from "../scripts/cli/keys";
import { makeDisk } from "../scripts/images/make-disk";

const CLEAR = "\x1b[0m\x1b[2J";
const BOOT_NS = 1_000_000_000n; // the harness's clock when the guest starts

// A minimal x86_64 PV kernel (test/loader/pv-elf.ts); the entry tells the five apart.
function elf(entry: bigint): Buffer {
  return pvElf(Number(entry - 0xffffffff81000000n));
}

// A disk whose (hd0,0) holds /boot/vmlinuz-a ... -e (ELF kernels), /boot/initrd.img,
// /boot/notakernel, and /boot/grub/menu.lst (plus any other files given).
function makeMenuDisk(menu: string | null, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "pvboot-menu-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "boot/grub"), { recursive: true });
  "abcde".split("").forEach((c, i) => writeFileSync(join(root, `boot/vmlinuz-${c}`), elf(0xffffffff81000000n + BigInt(i) * 0x1000n)));
  writeFileSync(join(root, "boot/initrd.img"), Buffer.alloc(3000, 0x42));
  writeFileSync(join(root, "boot/notakernel"), "#!/bin/sh\necho not a kernel\n");
  if (menu !== null) writeFileSync(join(root, "boot/grub/menu.lst"), menu);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(root, name), text);
  const img = join(dir, "disk.img");
  makeDisk(img, 10, [{ fsType: "ext4", sizeMiB: 8, dir: root }]);
  return img;
}

function boot(menu: string, keys = "", extra: Record<string, string> = {}) {
  const disk = makeMenuDisk(menu, extra);
  const r = runLoader({ memoryMB: 64, disks: [disk], keys: keys ? parseKeys(keys) : undefined });
  expect(r.trap).toBeUndefined();
  return { ...r, out: r.console, disk };
}

// The title the loader loaded, from "pvboot: 'Title' loaded (kernel ...)", or null.
function loadedTitle(out: string): string | null {
  const m = /pvboot: '([^']*)' loaded \(kernel/.exec(out);
  return m ? m[1] : null;
}

// The kernel file `boot` read: "kernel (hd0,0)/boot/vmlinuz-b: ELF64 ..." -> "vmlinuz-b".
function loadedKernel(out: string): string | null {
  const m = /  kernel \(hd0,0\)\/boot\/(\S+): ELF64/.exec(out);
  return m ? m[1] : null;
}

// The screen as it was before the first `marker` was drawn on a cleared screen (the screen
// that marker's clear wiped): by default the menu, just before "Booting 'title'".
function screenBefore(out: string, marker: string): Screen {
  const at = out.indexOf(marker);
  const upTo = at < 0 ? out : out.slice(0, at);
  return screenOf(upTo.slice(0, upTo.lastIndexOf(CLEAR) > 0 ? upTo.lastIndexOf(CLEAR) : upTo.length));
}

const screenBeforeBoot = (out: string) => screenBefore(out, " Booting '");

// The box's rows: the text between the frame's bars, one per row.
function boxRows(s: Screen): string[] {
  const top = s.find("+-----");
  const rows: string[] = [];
  for (let r = top + 1; r < s.rows && s.row(r).startsWith(" |"); r++) rows.push(s.row(r).slice(2, 78).trim());
  return rows;
}

function highlighted(s: Screen): string {
  const rows = s.reversedRows();
  expect(rows.length).toBe(1);
  return s.reversedText(rows[0].row);
}

const THREE = `default 1
timeout 3
title First
  root (hd0,0)
  kernel /boot/vmlinuz-a ro quiet
title Second
  root (hd0,0)
  kernel /boot/vmlinuz-b
  initrd /boot/initrd.img
title Third
  kernel /boot/vmlinuz-c
`;

describe("the screen emulator (test/harness/screen.ts)", () => {
  it("moves the cursor, writes, wraps and scrolls", () => {
    const s = new Screen(5, 10);
    s.feed("ab\r\ncd\x1b[3;4Hxy\x1b[1Az\x1b[2Cw\x1b[3Dv\bu");
    expect(s.row(0)).toBe("ab");
    expect(s.row(1)).toBe("cd   zu w");
    expect(s.row(2)).toBe("   xy");
    s.feed("\x1b[5;1H0123456789AB");
    expect(s.row(4)).toBe("AB");
    expect(s.row(3)).toBe("0123456789");
    expect(s.row(0)).toBe("cd   zu w");
    expect(s.scrolled).toBe(1);
  });

  it("erases lines and the display, and tracks reverse video and bold per cell", () => {
    const s = new Screen(4, 20);
    s.feed("hello world\x1b[1;6H\x1b[K\r\nline two\x1b[2;5H\x1b[1K");
    expect(s.text()).toBe("hello\n     two");
    s.feed("\x1b[3;1Hab\x1b[7mcd\x1b[1mef\x1b[27mgh\x1b[0mij\x1b[?25l");
    expect(s.row(2)).toBe("abcdefghij");
    expect(s.attr(2, 1)).toEqual({ reverse: false, bold: false });
    expect(s.attr(2, 2)).toEqual({ reverse: true, bold: false });
    expect(s.attr(2, 4)).toEqual({ reverse: true, bold: true });
    expect(s.attr(2, 6)).toEqual({ reverse: false, bold: true });
    expect(s.attr(2, 8)).toEqual({ reverse: false, bold: false });
    expect(s.reversedText(2)).toBe("cdef");
    s.feed("\x1b[2;1H\x1b[J");
    expect(s.text()).toBe("hello");
    s.feed("\x1b[2J");
    expect(s.text()).toBe("");
  });
});

describe("the boot menu", () => {
  it("draws the titles in a box with the default highlighted, counts down, and boots the default", () => {
    const r = boot(THREE);
    expect(r.shutdown).toBe("jumped");
    const s = screenBeforeBoot(r.out);
    expect(s.row(1)).toMatch(/^ {4}pvboot {2}version 0\.1\.0/);
    expect(boxRows(s).slice(0, 4)).toEqual(["First", "Second", "Third", ""]);
    expect(highlighted(s)).toBe("Second");
    expect(s.text()).toContain("Use the ^ and v keys to select which entry is highlighted.");
    expect(s.text()).toContain("Press enter to boot the selected OS, 'e' to edit the");
    expect(s.text()).toContain("The highlighted entry will be booted automatically in 1 second.");
    for (const n of ["3 seconds", "2 seconds", "1 second."]) expect(r.out).toContain(`booted automatically in ${n}`);
    expect(loadedTitle(r.out)).toBe("Second");
    expect(loadedKernel(r.out)).toBe("vmlinuz-b");
    expect(r.out).toContain("  initrd (hd0,0)/boot/initrd.img: 3000 bytes");
    expect(r.out).toContain("pvboot: starting 'Second' at 0xffffffff81001000");
    const waited = r.domain.clock.now - BOOT_NS;
    expect(waited).toBeGreaterThanOrEqual(3_000_000_000n);
    expect(waited).toBeLessThan(4_000_000_000n);
  });

  it("stops the countdown at any key and then waits for good", () => {
    const r = boot(THREE, "x");
    expect(r.shutdown).toBe("idle"); // waiting for good: nothing was booted
    expect(r.out).not.toContain("Booting");
    const s = screenOf(r.out);
    expect(s.text()).not.toContain("booted automatically");
    expect(highlighted(s)).toBe("Second");
    // a NUL byte (line noise) is not a key: the countdown goes on
    expect(loadedTitle(boot(THREE, "\\x00").out)).toBe("Second");
  });

  it("moves with the arrows and boots with Enter", () => {
    const r = boot(THREE.replace("default 1", "default 0"), "<down><enter>");
    expect(loadedTitle(r.out)).toBe("Second");
    expect(highlighted(screenBeforeBoot(r.out))).toBe("Second");
    const r2 = boot(THREE, "<up><up><down><up><enter>");
    expect(loadedTitle(r2.out)).toBe("First");
    expect(loadedKernel(r2.out)).toBe("vmlinuz-a");
  });

  it("moves with Ctrl-N and Ctrl-P, and a digit jumps to that entry", () => {
    expect(loadedTitle(boot(THREE, "<c-n><c-n><c-p><c-n><enter>").out)).toBe("Third");
    const r = boot(THREE, "0");
    expect(highlighted(screenOf(r.out))).toBe("First");
    expect(r.shutdown).toBe("idle");
    expect(loadedTitle(boot(THREE, "2<enter>").out)).toBe("Third");
    expect(loadedTitle(boot(THREE, "7<enter>").out)).toBe("Second"); // no entry 7: nothing moves
  });

  it("scrolls when there are more entries than rows", () => {
    let menu = "timeout 10\n";
    for (let i = 0; i < 30; i++) menu += `title Entry ${i}\nkernel /boot/vmlinuz-${"abcde"[i % 5]}\n`;
    const r = boot(menu, "<end>");
    let s = screenOf(r.out);
    let rows = boxRows(s);
    expect(rows.length).toBe(13);
    expect(rows[0]).toBe("Entry 17");
    expect(rows[12]).toBe("Entry 29");
    expect(highlighted(s)).toBe("Entry 29");
    expect(s.row(s.find("Entry 17"))[78]).toBe("^"); // more above
    s = screenOf(boot(menu, "<pgdn><down>").out);
    expect(highlighted(s)).toBe("Entry 14");
    expect(boxRows(s)[12]).toBe("Entry 14");
    expect(s.row(s.find("Entry 14"))[78]).toBe("v"); // more below
    s = screenOf(boot(menu, "<end><pgup><up>").out);
    expect(highlighted(s)).toBe("Entry 15");
    expect(boxRows(s)[0]).toBe("Entry 15");
    s = screenOf(boot(menu, "<end><home>").out);
    expect(boxRows(s)[0]).toBe("Entry 0");
    expect(highlighted(s)).toBe("Entry 0");
    const b = boot(menu, `${"<down>".repeat(21)}<enter>`);
    expect(loadedTitle(b.out)).toBe("Entry 21");
    expect(loadedKernel(b.out)).toBe("vmlinuz-b");
  });

  it("takes thousands of keys (each a redraw) and still boots the right entry", () => {
    const r = boot(THREE, "<down><up>".repeat(3000) + "<down><enter>");
    expect(r.trap).toBeUndefined();
    expect(loadedTitle(r.out)).toBe("Third");
  });

  it("boots at once with timeout 0, without drawing the menu", () => {
    const r = boot(THREE.replace("timeout 3", "timeout 0"));
    expect(loadedTitle(r.out)).toBe("Second");
    expect(r.out).not.toContain("+-----");
    expect(r.domain.clock.now - BOOT_NS).toBeLessThan(1_000_000_000n);
  });

  it("hiddenmenu: counts down without a menu and boots the default", () => {
    const r = boot("hiddenmenu\n" + THREE);
    expect(r.out).not.toContain("+-----");
    expect(r.out).toContain("Press `ESC' to enter the menu... 3");
    expect(r.out).toContain("Press `ESC' to enter the menu... 1");
    expect(loadedTitle(r.out)).toBe("Second");
    expect(r.domain.clock.now - BOOT_NS).toBeGreaterThanOrEqual(3_000_000_000n);
  });

  it("hiddenmenu: Esc shows the menu (other keys do not), without its countdown", () => {
    const r = boot("hiddenmenu\n" + THREE, "x<esc><down>");
    expect(r.shutdown).toBe("idle");
    const s = screenOf(r.out);
    expect(boxRows(s).slice(0, 3)).toEqual(["First", "Second", "Third"]);
    expect(highlighted(s)).toBe("Third");
    expect(s.text()).not.toContain("booted automatically");
    expect(r.out).not.toContain("Booting");
  });

  it("falls back to the fallback entry when the default fails", () => {
    const menu = `default 0\nfallback 2\ntimeout 1\ntitle Broken\nkernel /boot/vmlinuz-missing\ntitle Other\nkernel /boot/vmlinuz-b\ntitle Rescue\nkernel /boot/vmlinuz-e\n`;
    const r = boot(menu);
    expect(r.out).toContain(" Booting 'Broken'");
    expect(r.out).toMatch(/Error: line 5: kernel: .*vmlinuz-missing.*not found/);
    expect(r.out).toContain("Falling back to entry 2 ('Rescue')");
    expect(loadedTitle(r.out)).toBe("Rescue");
    expect(loadedKernel(r.out)).toBe("vmlinuz-e");
    expect(r.shutdown).toBe("jumped");
  });

  it("comes back to the menu when the entry and its fallbacks all fail", () => {
    const menu = `default 0\nfallback 1\ntimeout 1\ntitle Broken\nkernel /boot/vmlinuz-missing\ntitle Garbage\nkernel /boot/notakernel\ntitle Good\nkernel /boot/vmlinuz-c\n`;
    const r = boot(menu, "");
    expect(r.shutdown).toBe("idle"); // at "Press any key to continue..."
    expect(r.out).toContain("Falling back to entry 1 ('Garbage')");
    expect(r.out).toMatch(/Error: .*notakernel': unknown kernel format/);
    expect(screenOf(r.out).text()).toMatch(/Press any key to continue\.\.\.$/);

    const r2 = boot(menu.replace("timeout 1", "timeout 0"), " ");
    expect(r2.shutdown).toBe("idle");
    const s = screenOf(r2.out);
    expect(boxRows(s).slice(0, 3)).toEqual(["Broken", "Garbage", "Good"]);
    expect(r2.out.lastIndexOf("+-----")).toBeGreaterThan(r2.out.indexOf("Press any key to continue"));

    const r3 = boot(menu.replace("timeout 1", "timeout 0"), " <down><down><enter>");
    expect(loadedTitle(r3.out)).toBe("Good");
  });

  it("follows configfile to another menu", () => {
    const menu = `timeout 5\ntitle More\nconfigfile /boot/grub/other.lst\ntitle Plain\nkernel /boot/vmlinuz-a\n`;
    const r = boot(menu, "<enter><down><enter>", { "boot/grub/other.lst": "title Other A\nkernel /boot/vmlinuz-c\ntitle Other B\nkernel /boot/vmlinuz-d\n" });
    expect(loadedTitle(r.out)).toBe("Other B");
    expect(loadedKernel(r.out)).toBe("vmlinuz-d");
     // from the command line opened in the menu too
    const c = boot(menu, "cconfigfile /boot/grub/other.lst\r<enter>", { "boot/grub/other.lst": "title Other A\nkernel /boot/vmlinuz-c\n" });
    const s = screenBeforeBoot(c.out);
    expect(boxRows(s).slice(0, 2)).toEqual(["Other A", ""]);
    expect(loadedTitle(c.out)).toBe("Other A");
  });

  it("opens grubdom> with 'c' and comes back to the menu with Esc", () => {
    const r = boot(THREE, "c<esc><enter>");
    const cAt = r.out.indexOf("grubdom> ");
    expect(cAt).toBeGreaterThan(0);
    expect(r.out.indexOf("+-----", cAt)).toBeGreaterThan(cAt); // the menu again
    expect(loadedTitle(r.out)).toBe("Second");
    // and what is typed there runs
    const r2 = boot(THREE, "croot (hd0,0)\rkernel /boot/vmlinuz-d\rboot\r");
    expect(loadedKernel(r2.out)).toBe("vmlinuz-d");
    expect(r2.shutdown).toBe("jumped");
  });

  it("reboots and halts from the command line opened in the menu", () => {
    const r = boot(THREE, "creboot\r");
    expect(r.shutdown).toBe("reboot");
    expect(r.out).toContain("pvboot: rebooting");
    const h = boot(THREE, "chalt\r");
    expect(h.shutdown).toBe("poweroff");
    expect(loadedTitle(h.out)).toBeNull();
  });

  it("hiddenmenu without a timeout waits for Esc", () => {
    const r = boot("hiddenmenu\n" + THREE.replace("timeout 3\n", ""), "<enter>x<esc><enter>");
    expect(r.out).not.toContain("Press `ESC'");
    expect(loadedTitle(r.out)).toBe("Second"); // the Enter after Esc, in the menu
    expect(r.out.indexOf("+-----")).toBeLessThan(r.out.indexOf(" Booting '"));
  });

  it("runs `pvboot run DISK --keys`", () => {
    const disk = makeMenuDisk(THREE);
    const cli = fileURLToPath(new URL("../scripts/pvboot.mjs", import.meta.url));
    const p = spawnSync("node", [cli, "run", disk, "--keys", "<up><enter>", "--json"], { encoding: "utf8" });
    expect(p.status, p.stderr).toBe(0);
    expect(loadedTitle(p.stdout)).toBe("First");
    const last = JSON.parse(p.stdout.trimEnd().split("\n").pop()!);
    expect(last).toMatchObject({ entry: "First" });
    for (const [k, v] of Object.entries(last.checks)) expect(`${k}: ${v}`).toBe(`${k}: ok`);
  });
});

describe("the entry editor", () => {
  it("lists the entry's lines, edits one, and 'b' boots the edited entry", () => {
    const r = boot(THREE, "e<down>e<c-u>kernel /boot/vmlinuz-c single\rb");
    const editAt = r.out.indexOf("Editing 'Second'");
    expect(editAt).toBeGreaterThan(0);
    const s = screenBefore(r.out, "grubdom edit> ");
    expect(boxRows(s).slice(0, 4)).toEqual(["root (hd0,0)", "kernel /boot/vmlinuz-b", "initrd /boot/initrd.img", ""]);
    expect(highlighted(s)).toBe("kernel /boot/vmlinuz-b");
    expect(s.text()).toContain("Press 'b' to boot, 'e' to edit the selected command in the");
    const after = screenBeforeBoot(r.out);
    expect(boxRows(after).slice(0, 3)).toEqual(["root (hd0,0)", "kernel /boot/vmlinuz-c single", "initrd /boot/initrd.img"]);
    expect(loadedTitle(r.out)).toBe("Second");
    expect(loadedKernel(r.out)).toBe("vmlinuz-c");
    expect(r.out).toContain("  initrd (hd0,0)/boot/initrd.img");
  });

  it("drops an edit on Esc, and all edits when leaving with Esc", () => {
    // Esc on the line: the edit is dropped, 'b' boots the entry as it was
    expect(loadedKernel(boot(THREE, "e<down>e<c-u>kernel /boot/vmlinuz-c\x1bb").out)).toBe("vmlinuz-b");
    // kept on the line, then Esc out of the editor: the menu's entry is unchanged
    const r = boot(THREE, "e<down>e<c-u>kernel /boot/vmlinuz-c\r<esc><enter>");
    expect(loadedKernel(r.out)).toBe("vmlinuz-b");
    expect(r.out).toContain("kernel /boot/vmlinuz-c"); // it was edited, then dropped
  });

  it("opens lines with 'o' and 'O' and deletes them with 'd'", () => {
    // First: root, kernel a. Add an initrd below the kernel, a bogus line above the root, delete it.
    const r = boot(THREE, "<up>e<down>oinitrd /boot/initrd.img\r<home>Ofrobnicate\rdb");
    const s = screenBeforeBoot(r.out);
    expect(boxRows(s).slice(0, 4)).toEqual(["root (hd0,0)", "kernel /boot/vmlinuz-a ro quiet", "initrd /boot/initrd.img", ""]);
    expect(loadedTitle(r.out)).toBe("First");
    expect(r.out).toContain("  initrd (hd0,0)/boot/initrd.img: 3000 bytes");
    // 'o' then Esc: no empty line is left behind
    const r2 = boot(THREE, "<up>eo\x1b");
    expect(boxRows(screenOf(r2.out)).slice(0, 3)).toEqual(["root (hd0,0)", "kernel /boot/vmlinuz-a ro quiet", ""]);
  });

  it("opens the command line with 'c'; Esc comes back to the editor", () => {
    const r = boot(THREE, "ec<esc>");
    expect(r.out).toContain("grubdom> ");
    const s = screenOf(r.out);
    expect(s.text()).toContain("Editing 'Second'");
    expect(r.shutdown).toBe("idle");
  });
});

describe("passwords", () => {
  const locked = (pw: string) => `password ${pw}\ntimeout 5\n` + THREE.replace("default 1\ntimeout 3\n", "") +
    "title Locked\nlock\nkernel /boot/vmlinuz-d\n";

  it("locks 'e' and 'c' until 'p' and the right plain password", () => {
    const r = boot(locked("secret"), "ecpwrong\r p");
    const s = screenOf(r.out);
    expect(r.out).toContain("Press enter to boot the selected OS or 'p' to enter a");
    expect(r.out).not.toContain("Editing '");
    expect(r.out).not.toContain("grubdom> ");
    expect(r.out).toContain("Password: *****\r\nFailed!  Press any key to continue...");
    expect(s.text()).toContain("Password:"); // asked again
    const ok = boot(locked("secret"), "psecret\re");
    expect(ok.out).toContain("Password: ******");
    expect(ok.out).toContain("Editing 'First'");
    expect(ok.out.slice(ok.out.lastIndexOf("+-----"))).not.toContain("'p' to enter a"); // unlocked help
  });

  it("checks an md5 password", () => {
    const md5 = "--md5 $1$abc$jWy0FsfCoVBK.I85XpXf30"; // openssl passwd -1 -salt abc hello
    expect(boot(locked(md5), "phello\rc").out).toContain("grubdom> ");
    const bad = boot(locked(md5), "pHello\r c");
    expect(bad.out).toContain("Failed!");
    expect(bad.out).not.toContain("grubdom> ");
    // the crypt string itself is not the password
    expect(boot(locked(md5), "p$1$abc$jWy0FsfCoVBK.I85XpXf30\r c").out).not.toContain("grubdom> ");
  });

  it("asks for the password before a locked entry, and boots it only with the right one", () => {
    const bad = boot(locked("secret"), "3<enter>nope\r");
    expect(bad.out).toContain("This entry is locked. Password: ****");
    expect(bad.out).toContain("Error: 'Locked' is locked and the password was not given");
    expect(loadedTitle(bad.out)).toBeNull();
    const good = boot(locked("secret"), "3<enter>nope\r <enter>secret\r");
    expect(loadedTitle(good.out)).toBe("Locked");
    expect(loadedKernel(good.out)).toBe("vmlinuz-d");
    // an entry without `lock` boots without the password
    expect(loadedTitle(boot(locked("secret"), "<down><enter>").out)).toBe("Second");
    // once 'p' was given, no question
    const p = boot(locked("secret"), "psecret\r3<enter>");
    expect(loadedTitle(p.out)).toBe("Locked");
    expect(p.out).not.toContain("This entry is locked");
  });

  it("`password PW FILE` loads FILE's menu once the password is given", () => {
    const menu = "password secret /boot/grub/admin.lst\n" + THREE;
    const r = boot(menu, "psecret\r<enter>", { "boot/grub/admin.lst": "title Admin\nkernel /boot/vmlinuz-e\n" });
    expect(loadedTitle(r.out)).toBe("Admin");
  });
});

describe("without a menu.lst", () => {
  it("opens the command line", () => {
    const disk = makeMenuDisk(null);
    const r = runLoader({ memoryMB: 64, disks: [disk], keys: parseKeys("kernel (hd0,0)/boot/vmlinuz-b\rboot\r") });
    expect(r.console).toContain("grubdom> ");
    expect(loadedKernel(r.console)).toBe("vmlinuz-b");
    expect(r.shutdown).toBe("jumped");
  });

  it("an empty menu.lst opens the command line too", () => {
    const r = boot("# nothing here\ntimeout 5\n", "root (hd0,0)\rkernel /boot/vmlinuz-a\rboot\r");
    expect(r.out).toContain("grubdom> ");
    expect(loadedKernel(r.out)).toBe("vmlinuz-a");
  });
});
