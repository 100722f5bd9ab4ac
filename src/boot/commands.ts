// The rest of GRUB 0.97's commands, beside the boot ones in src/boot/script.ts: what a person
// uses to look around (cat, find, cmp, help, displaymem, geometry, ...), the menu's colours,
// and the many commands that only made sense on a PC's BIOS, its drives or a network card.
// Those are accepted and ignored with one line saying why (ignoredReason), so a menu.lst
// written for GRUB boots unchanged. The table (COMMANDS) is what `help` lists and what Tab
// completes at grubdom>; docs/config.md says what pvboot does with each.

import { console, KEY_ESC, KEY_TIMEOUT } from "../xen/console";
import { Text } from "../lib/text";
import { startInfo } from "../xen/start_info";
import { disks } from "../drivers/blkfront";
import { searchOrder, mountDevice } from "../fs/mounts";
import { parseDevPath } from "../fs/devpath";
import { openFile, OpenedFile } from "./load";
import { setMenuColors } from "../ui/colors";
import { readPassword, md5Crypt } from "../ui/password";
import { now } from "../xen/time";

export class Command {
  constructor(public name: string, public usage: string, public help: string) {}
}

export const COMMANDS: Array<Command> = [
  new Command("background", "background RRGGBB", "Ignored: a splash image's colour; the PV console is text."),
  new Command("blocklist", "blocklist FILE", "Ignored: pvboot reads files through their filesystem, never by block list."),
  new Command("boot", "boot", "Boot the kernel loaded by 'kernel' (with its initrd and modules)."),
  new Command("bootp", "bootp", "Ignored: pvboot has no network."),
  new Command("cat", "cat FILE", "Print the contents of FILE (the first 64 KiB)."),
  new Command("chainloader", "chainloader FILE", "Not possible in a Xen PV guest: there is no BIOS to run a boot sector."),
  new Command("cmp", "cmp FILE1 FILE2", "Compare two files and print the first offset where they differ."),
  new Command("color", "color NORMAL [HIGHLIGHT]", "Set the menu's colours: FG/BG names like light-gray/blue, FG may start with blink-."),
  new Command("commandline", "commandline", "In a menu entry: open the grubdom> command line (Esc goes back to the menu)."),
  new Command("configfile", "configfile FILE", "Load FILE as the menu (a menu.lst) and show it."),
  new Command("debug", "debug", "Ignored: pvboot's messages do not change."),
  new Command("default", "default N", "Ignored here: only the menu's first section sets the default entry."),
  new Command("device", "device DRIVE FILE", "Ignored: a PV guest's disks are its vbds, not BIOS drives."),
  new Command("dhcp", "dhcp", "Ignored: pvboot has no network."),
  new Command("displayapm", "displayapm", "Ignored: a PV guest has no APM BIOS."),
  new Command("displaymem", "displaymem", "Show the domain's memory."),
  new Command("echo", "echo [TEXT]", "Print TEXT."),
  new Command("embed", "embed STAGE1_5 DEVICE", "Ignored: pvboot writes nothing to the disk but saved defaults."),
  new Command("fallback", "fallback N", "Ignored here: only the menu's first section sets the fallback entries."),
  new Command("find", "find FILENAME", "Search every filesystem for FILENAME (an absolute path) and print the devices holding it."),
  new Command("foreground", "foreground RRGGBB", "Ignored: a splash image's colour; the PV console is text."),
  new Command("fstest", "fstest", "Ignored: pvboot has no filesystem trace mode."),
  new Command("geometry", "geometry DRIVE", "Show a disk's size (setting a geometry is ignored: a vbd has none)."),
  new Command("gfxmenu", "gfxmenu FILE", "Ignored: the PV console is text."),
  new Command("halt", "halt", "Power the domain off."),
  new Command("help", "help [COMMAND]", "List the commands, or describe COMMAND."),
  new Command("hiddenmenu", "hiddenmenu", "Ignored here: only the menu's first section hides the menu."),
  new Command("hide", "hide DEVICE", "Ignored: a PV guest has no BIOS partitions to hide."),
  new Command("ifconfig", "ifconfig [OPTIONS]", "Ignored: pvboot has no network."),
  new Command("impsprobe", "impsprobe", "Ignored: Xen starts the domain's CPUs, not the loader."),
  new Command("initrd", "initrd FILE [ARG ...]", "Load FILE as the initial ramdisk of the loaded kernel (never decompressed)."),
  new Command("install", "install ...", "Ignored: pvboot writes nothing to the disk but saved defaults."),
  new Command("ioprobe", "ioprobe DRIVE", "Ignored: a vbd has no BIOS I/O ports."),
  new Command("kernel", "kernel [--type=TYPE] [--no-mem-option] FILE [ARG ...]", "Load the kernel FILE; ARGs are its command line. TYPE: linux, biglinux or multiboot."),
  new Command("lock", "lock", "Stop here unless the password was given (for menu entries)."),
  new Command("ls", "ls [PATH]", "List the directory PATH (a device, like (hd0,0), or a path), or the root directory of the root device."),
  new Command("makeactive", "makeactive", "Ignored: a PV guest has no BIOS boot flag."),
  new Command("map", "map TO FROM", "Ignored: a PV guest has no BIOS drives to map."),
  new Command("md5crypt", "md5crypt", "Ask for a password and print its MD5 crypt, for 'password --md5'."),
  new Command("module", "module FILE [ARG ...]", "Load a multiboot module, decompressed when compressed; its command line is the whole argument."),
  new Command("modulenounzip", "modulenounzip FILE [ARG ...]", "As module, without decompressing it."),
  new Command("pager", "pager [on|off]", "Ignored: pvboot does not page its output."),
  new Command("partnew", "partnew PART TYPE FROM LEN", "Ignored: pvboot writes nothing to the disk but saved defaults."),
  new Command("parttype", "parttype PART TYPE", "Ignored: pvboot writes nothing to the disk but saved defaults."),
  new Command("password", "password [--md5] PASSWD [FILE]", "In an entry: ask for the password before going on (the menu's first section sets the menu's)."),
  new Command("pause", "pause [MESSAGE ...]", "Print MESSAGE and wait for a key; Esc stops the entry."),
  new Command("quiet", "quiet", "Print less while loading."),
  new Command("rarp", "rarp", "Ignored: pvboot has no network."),
  new Command("read", "read ADDR", "Ignored: a PV guest's physical addresses are not the loader's to read."),
  new Command("reboot", "reboot", "Reboot the domain."),
  new Command("root", "root [DEVICE]", "Set and mount the root device, like (hd0,0); without DEVICE, show it."),
  new Command("rootnoverify", "rootnoverify DEVICE", "Set the root device without mounting it."),
  new Command("savedefault", "savedefault [NUM | fallback]", "In a menu entry: save this entry (NUM, or the next fallback) in the default file beside menu.lst."),
  new Command("serial", "serial [OPTIONS]", "Ignored: the PV console is the domain's only terminal."),
  new Command("setkey", "setkey TO FROM", "Ignored: the PV console's keys come as the terminal sends them."),
  new Command("setup", "setup INSTALL_DEVICE", "Ignored: pvboot writes nothing to the disk but saved defaults."),
  new Command("shade", "shade N", "Ignored: the PV console is text."),
  new Command("splashimage", "splashimage FILE", "Ignored: the PV console is text."),
  new Command("terminal", "terminal [OPTIONS] [console] [serial]", "Ignored: the PV console is the domain's only terminal."),
  new Command("terminfo", "terminfo [OPTIONS]", "Ignored: the PV console is taken as a VT100."),
  new Command("testload", "testload FILE", "Read FILE whole and say how many bytes it has."),
  new Command("testvbe", "testvbe MODE", "Ignored: a PV guest has no VESA BIOS."),
  new Command("tftpserver", "tftpserver IPADDR", "Ignored: pvboot has no network."),
  new Command("timeout", "timeout SEC", "Ignored here: only the menu's first section sets the timeout."),
  new Command("unhide", "unhide DEVICE", "Ignored: a PV guest has no BIOS partitions to unhide."),
  new Command("uppermem", "uppermem KBYTES", "Ignored: a PV kernel learns its memory from Xen."),
  new Command("uuid", "uuid [UUID]", "Set the root device to the filesystem with UUID; without UUID, list every filesystem's UUID."),
  new Command("vbeprobe", "vbeprobe [MODE]", "Ignored: a PV guest has no VESA BIOS."),
  new Command("viewport", "viewport X0 Y0 X1 Y1", "Ignored: the PV console is text."),
];

export function findCommand(name: string): Command | null {
  for (let i = 0; i < COMMANDS.length; i++) if (COMMANDS[i].name == name) return COMMANDS[i];
  return null;
}

// Commands accepted and ignored, each with the reason printed when it runs.
export function ignoredReason(name: string): string | null {
  if (name == "makeactive" || name == "map" || name == "hide" || name == "unhide" || name == "device") {
    return "nothing to do in a Xen PV guest (no BIOS drives or boot flags)";
  }
  if (name == "install" || name == "setup" || name == "embed" || name == "partnew" || name == "parttype") {
    return "pvboot writes nothing to the disk but saved defaults";
  }
  if (name == "bootp" || name == "dhcp" || name == "rarp" || name == "ifconfig" || name == "tftpserver") {
    return "pvboot has no network";
  }
  if (name == "uppermem") return "a PV kernel learns its memory from Xen";
  if (name == "ioprobe" || name == "displayapm" || name == "impsprobe" || name == "testvbe" || name == "vbeprobe") {
    return "a Xen PV guest has no BIOS to probe";
  }
  if (name == "serial" || name == "terminal" || name == "terminfo" || name == "setkey") {
    return "the PV console is the domain's terminal, as it is";
  }
  if (name == "splashimage" || name == "foreground" || name == "background" || name == "gfxmenu" ||
    name == "viewport" || name == "shade") {
    return "the PV console is text";
  }
  if (name == "pager" || name == "debug" || name == "fstest") return "pvboot's output does not change";
  if (name == "blocklist") return "pvboot reads files through their filesystem, never by block list";
  if (name == "read") return "a PV guest's physical addresses are not the loader's to read";
  if (name == "default" || name == "fallback" || name == "timeout" || name == "hiddenmenu") {
    return "only the menu's first section sets it";
  }
  return null;
}

// Bytes to the console with "\n" as "\r\n" and control characters as '.'.
function printText(p: usize, n: u32, out: Text): void {
  for (let i: u32 = 0; i < n; i++) {
    const b = <u32>load<u8>(p + i);
    if (b == 0x0a) out.str("\r\n");
    else if (b == 0x0d) continue;
    else if (b == 0x09 || (b >= 0x20 && b < 0x7f)) out.ch(b);
    else out.ch(0x2e);
  }
}

function firstWord(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) == 0x20) i++;
  const start = i;
  while (i < s.length && s.charCodeAt(i) != 0x20) i++;
  return s.substring(start, i);
}

function afterWord(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) == 0x20) i++;
  while (i < s.length && s.charCodeAt(i) != 0x20) i++;
  while (i < s.length && s.charCodeAt(i) == 0x20) i++;
  return s.substring(i);
}

const CAT_MAX: u64 = 65536;

// cat FILE: its first 64 KiB as text.
export function cat(args: string, root: string): string | null {
  const name = firstWord(args);
  if (name.length == 0) return "cat: no file given (cat FILE)";
  const f = openFile(name, root);
  if (f.error != null) return "cat: " + f.error!;
  const n = <u32>(f.size < CAT_MAX ? f.size : CAT_MAX);
  const buf = heap.alloc(<usize>(n == 0 ? 1 : n));
  const e = n > 0 ? f.fs!.readRange(f.ino, 0, n, buf) : null;
  if (e != null) return "cat: '" + f.full + "': " + e;
  const out = new Text(n + n / 8 + 64);
  printText(buf, n, out);
  if (n > 0 && load<u8>(buf + n - 1) != 0x0a) out.str("\r\n");
  if (f.size > CAT_MAX) out.str("[... ").u(f.size - CAT_MAX).str(" more bytes of '").str(f.full).str("' not shown]\r\n");
  console.print(out);
  return null;
}

// find FILENAME: every device whose filesystem has it, as GRUB printed them (" (hd0,0)").
export function find(args: string): string | null {
  const name = firstWord(args);
  if (name.length == 0) return "find: no file name given (find FILENAME)";
  if (!name.startsWith("/")) return "find: '" + name + "': give an absolute path without a device, like /boot/grub/menu.lst";
  const devs = searchOrder();
  let found = 0;
  for (let i = 0; i < devs.length; i++) {
    const dp = parseDevPath(devs[i]);
    const m = mountDevice(dp.disk, dp.part);
    if (m.fs == null) continue;
    if (m.fs!.lookup(name).error == null) {
      console.say(" " + m.device);
      found++;
    }
  }
  if (found == 0) return "find: '" + name + "' not found on any filesystem (" + devs.length.toString() + " devices searched)";
  return null;
}

export function help(args: string): string | null {
  const name = firstWord(args);
  if (name.length > 0) {
    const c = findCommand(name);
    if (c == null) return "help: no command '" + name + "' (type help for the list)";
    console.say(c!.usage);
    console.say("    " + c!.help);
    return null;
  }
  // Two columns of usages, as GRUB's help listed them.
  for (let i = 0; i < COMMANDS.length; i += 2) {
    const t = new Text().str(COMMANDS[i].usage);
    if (i + 1 < COMMANDS.length) {
      let pad = 40 - COMMANDS[i].usage.length;
      if (pad < 1) pad = 1;
      for (let j = 0; j < pad; j++) t.ch(0x20);
      t.str(COMMANDS[i + 1].usage);
    }
    console.line(t);
  }
  return null;
}

const CMP_CHUNK: u32 = 65536;

// cmp FILE1 FILE2: GRUB's messages, "Differ in size: 0x10 [FILE1], 0x20 [FILE2]" and
// "Differ at the offset 7: 0x41 [FILE1], 0x42 [FILE2]"; nothing when they are the same.
export function cmp(args: string, root: string): string | null {
  const n1 = firstWord(args);
  const n2 = firstWord(afterWord(args));
  if (n1.length == 0 || n2.length == 0) return "cmp: give two files (cmp FILE1 FILE2)";
  const a = openFile(n1, root);
  if (a.error != null) return "cmp: " + a.error!;
  const b = openFile(n2, root);
  if (b.error != null) return "cmp: " + b.error!;
  if (a.size != b.size) {
    console.line(new Text().str("Differ in size: ").hex(a.size).str(" [").str(a.full).str("], ").hex(b.size).str(" [").str(b.full).str("]"));
    return null;
  }
  const ba = heap.alloc(CMP_CHUNK);
  const bb = heap.alloc(CMP_CHUNK);
  for (let off: u64 = 0; off < a.size; off += CMP_CHUNK) {
    const n = <u32>(a.size - off < <u64>CMP_CHUNK ? a.size - off : <u64>CMP_CHUNK);
    let e = a.fs!.readRange(a.ino, off, n, ba);
    if (e != null) return "cmp: '" + a.full + "': " + e;
    e = b.fs!.readRange(b.ino, off, n, bb);
    if (e != null) return "cmp: '" + b.full + "': " + e;
    for (let i: u32 = 0; i < n; i++) {
      const x = <u32>load<u8>(ba + i);
      const y = <u32>load<u8>(bb + i);
      if (x != y) {
        console.line(new Text().str("Differ at the offset ").u(off + i).str(": ").hex(x, 2).str(" [").str(a.full)
          .str("], ").hex(y, 2).str(" [").str(b.full).str("]"));
        return null;
      }
    }
  }
  return null;
}

// testload FILE: read it whole through the filesystem, as GRUB's testload read it.
export function testload(args: string, root: string): string | null {
  const name = firstWord(args);
  if (name.length == 0) return "testload: no file given (testload FILE)";
  const f: OpenedFile = openFile(name, root);
  if (f.error != null) return "testload: " + f.error!;
  const buf = heap.alloc(CMP_CHUNK);
  for (let off: u64 = 0; off < f.size; off += CMP_CHUNK) {
    const n = <u32>(f.size - off < <u64>CMP_CHUNK ? f.size - off : <u64>CMP_CHUNK);
    const e = f.fs!.readRange(f.ino, off, n, buf);
    if (e != null) return "testload: '" + f.full + "': " + e;
  }
  console.line(new Text().str(" '").str(f.full).str("': ").u(f.size).str(" bytes read"));
  return null;
}

// displaymem: what the domain has (GRUB showed the BIOS's memory map).
export function displaymem(): string | null {
  const t = new Text().str(" The domain has ").u(startInfo.nrPages >> 8).str(" MiB (").u(startInfo.nrPages).str(" pages of 4 KiB)");
  console.line(t);
  return null;
}

// geometry DRIVE: the disk's size. A vbd has no cylinders or heads: more arguments are ignored.
export function geometry(args: string): string | null {
  const w = firstWord(args);
  if (w.length == 0) return "geometry: no drive given (geometry (hd0))";
  const dp = parseDevPath(w);
  if (dp.error != null) return "geometry: " + dp.error!;
  if (dp.disk < 0 || dp.part >= 0) return "geometry: '" + w + "' is not a drive like (hd0)";
  if (dp.disk >= disks.list.length || !disks.list[dp.disk].connected) {
    return "geometry: no disk hd" + dp.disk.toString() + " (the domain has " + disks.list.length.toString() + ")";
  }
  const d = disks.list[dp.disk];
  console.line(new Text().str(" drive (hd").u(<u64>dp.disk).str("): ").u(d.sectors).str(" sectors of 512 bytes (")
    .u(d.bytes >> 20).str(" MiB), ").str(d.readonly ? "read-only" : "read-write"));
  if (afterWord(args).length > 0) console.say(" geometry: setting C/H/S is ignored (a vbd has none)");
  return null;
}

// pause [MESSAGE]: the message, then a key. Esc stops the entry, as in GRUB. `wait` false
// (pvboot check): the message only.
export function pause(args: string, wait: bool): string | null {
  console.say(args);
  if (!wait) return null;
  const k = console.readKey(0);
  if (k == KEY_ESC) return "pause: Esc pressed, the entry stops here";
  if (k == KEY_TIMEOUT) return "pause: no console input";
  return null;
}

// md5crypt: a password read with '*', then its crypt with a salt from the clock.
export function md5crypt(): string | null {
  const pw = readPassword("Password: ");
  if (pw == null) return "md5crypt: no password given";
  const ITOA = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let v = now();
  let salt = "";
  for (let i = 0; i < 8; i++) {
    salt += ITOA.charAt(<i32>(v & 63));
    v = (v >> 6) ^ (v * 0x9e3779b97f4a7c15);
  }
  console.say("Encrypted: " + md5Crypt(pw!, salt));
  return null;
}

export function color(args: string): string | null {
  const e = setMenuColors(args);
  return e != null ? "color: " + e! : null;
}
