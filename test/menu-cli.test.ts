// `pvboot menu`: how the loader finds its config (the command line, the ramdisk, the search
// over every partition of every disk), what it says when it finds none, UUIDs resolved on
// the disks, the human listing and the command's usage. Real ext4 images, the real core.

import { beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { file, fsImage, mbrDisk, pvbootMenu, pvbootRaw } from "./config/helpers";

const menu = (title: string, extra = "") => `timeout 3\ntitle ${title}\nkernel /boot/vmlinuz ro${extra}\n`;
const titles = (j: { entries: { title: string }[] }) => j.entries.map((e) => e.title);

describe("finding the config on the disks", () => {
  it("on hd0's second partition only: (hd0,1), and it is the entries' root", () => {
    const disk = mbrDisk([{ "etc/hostname": "guest\n" }, { "boot/grub/menu.lst": menu("on p1") }]);
    const r = pvbootMenu([disk]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toEqual({
      config: "(hd0,1)/boot/grub/menu.lst", default: 0, timeout: 3, hiddenmenu: false,
      entries: [{ title: "on p1", root: "(hd0,1)", kernel: "/boot/vmlinuz", args: "ro" }],
    });
  });

  it("on hd1 when hd0 has none", () => {
    const hd0 = fsImage({ "etc/hostname": "guest\n" });
    const hd1 = fsImage({ "boot/grub/menu.lst": menu("on hd1") });
    const r = pvbootMenu([hd0, hd1]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.config).toBe("(hd1)/boot/grub/menu.lst");
    expect(r.json.entries[0]).toMatchObject({ title: "on hd1", root: "(hd1)" });
  });

  it("the names in order: /boot/grub/menu.lst, /boot/grub/grub.conf, /grub/menu.lst, /grub/grub.conf", () => {
    let r = pvbootMenu([fsImage({ "grub/grub.conf": menu("grub.conf") })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.config).toBe("(hd0)/grub/grub.conf");
    r = pvbootMenu([fsImage({ "grub/grub.conf": menu("4th"), "grub/menu.lst": menu("3rd"), "boot/grub/grub.conf": menu("2nd") })]);
    expect(r.json.config).toBe("(hd0)/boot/grub/grub.conf");
    expect(titles(r.json)).toEqual(["2nd"]);
    r = pvbootMenu([fsImage({ "grub/grub.conf": menu("4th"), "grub/menu.lst": menu("3rd") })]);
    expect(r.json.config).toBe("(hd0)/grub/menu.lst");
    // a partition earlier in the order wins over a better name later
    r = pvbootMenu([mbrDisk([{ "grub/grub.conf": menu("p0") }, { "boot/grub/menu.lst": menu("p1") }])]);
    expect(r.json.config).toBe("(hd0,0)/grub/grub.conf");
  });

  it("nothing found: every device and name tried, and why, exit status 1", () => {
    const disk = mbrDisk([null, { "etc/hostname": "guest\n", "boot/grub/README": "no menu here\n" }]);
    const r = pvbootMenu([disk]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toEqual([
      "pvboot: error: no config file found; tried:",
      "pvboot: error:   (hd0,0): no filesystem (no ext2/3/4 superblock: magic 0x0000 at byte 1080, not 0xef53)",
      "pvboot: error:   (hd0,1)/boot/xen/pvboot-x86_64.elf: not found",
      "pvboot: error:   (hd0,1)/boot/grub/grub.cfg: not found",
      "pvboot: error:   (hd0,1)/grub/grub.cfg: not found",
      "pvboot: error:   (hd0,1)/boot/grub2/grub.cfg: not found",
      "pvboot: error:   (hd0,1)/grub2/grub.cfg: not found",
      "pvboot: error:   (hd0,1)/boot/loader/entries: not found",
      "pvboot: error:   (hd0,1)/loader/entries: not found",
      "pvboot: error:   (hd0,1)/boot/grub/menu.lst: not found",
      "pvboot: error:   (hd0,1)/boot/grub/grub.conf: not found",
      "pvboot: error:   (hd0,1)/grub/menu.lst: not found",
      "pvboot: error:   (hd0,1)/grub/grub.conf: not found",
    ]);
  });

  it("a directory named like the file is passed over", () => {
    const r = pvbootMenu([fsImage({ "boot/grub/menu.lst/x": "", "grub/menu.lst": menu("real") })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.config).toBe("(hd0)/grub/menu.lst");
  });
});

describe("the domain's command line names the config", () => {
  let hd0 = "";
  let hd1 = "";
  beforeAll(() => {
    hd0 = fsImage({ "boot/grub/menu.lst": menu("standard"), "other/menu.lst": menu("other") });
    hd1 = fsImage({ "elsewhere/menu.lst": menu("on hd1") });
  });

  it("with its device, after other options: the named file, not the standard one", () => {
    const r = pvbootMenu([hd0], { extra: "console=hvc0 (hd0)/other/menu.lst" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.config).toBe("(hd0)/other/menu.lst");
    expect(titles(r.json)).toEqual(["other"]);
  });

  it("the last path-like word wins", () => {
    const r = pvbootMenu([hd0], { extra: "(hd0)/boot/grub/menu.lst quiet (hd0)/other/menu.lst" });
    expect(r.json.config).toBe("(hd0)/other/menu.lst");
  });

  it("without a device: looked for on every device in order", () => {
    const r = pvbootMenu([hd0, hd1], { extra: "/elsewhere/menu.lst" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.config).toBe("(hd1)/elsewhere/menu.lst");
    expect(r.json.entries[0].root).toBe("(hd1)");
  });

  it("a named file that is missing is an error (no search instead), what was tried shown", () => {
    let r = pvbootMenu([hd0], { extra: "(hd0)/nope/menu.lst" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("pvboot: error: (hd0)/nope/menu.lst: not found\n");
    r = pvbootMenu([hd0, hd1], { extra: "/nope.lst" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pvboot: error: cannot find the config file /nope.lst; tried:\n");
    expect(r.stderr).toContain("pvboot: error:   (hd0)/nope.lst: not found\n");
    expect(r.stderr).toContain("pvboot: error:   (hd1)/nope.lst: not found\n");
  });

  it("a named file on a partition without a filesystem: said so", () => {
    const r = pvbootMenu([mbrDisk([null, { "boot/grub/menu.lst": menu("p1") }])], { extra: "(hd0,0)/boot/grub/menu.lst" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("pvboot: error: (hd0,0)/boot/grub/menu.lst: no filesystem (no ext2/3/4 superblock: magic 0x0000 at byte 1080, not 0xef53)\n");
  });

  it("a device GRUB legacy cannot name is refused with the reason", () => {
    let r = pvbootMenu([hd0], { extra: "(hd0,0,a)/boot/grub/menu.lst" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("'(hd0,0,a)': BSD disklabel partitions are not supported");
    r = pvbootMenu([hd0], { extra: "(hd3)/boot/grub/menu.lst" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pvboot: error: (hd3)/boot/grub/menu.lst: ");
  });
});

describe("the ramdisk as menu.lst", () => {
  it("is read when no file is named, before any disk; it has no device, so no root", () => {
    const disk = fsImage({ "boot/grub/menu.lst": menu("from the disk") });
    // more than three pages and not a whole number of them: every page of it is read
    const rd = "# the ramdisk menu\n" + "#".repeat(13000) + "\ndefault 1\ntitle first\nroot (hd0)\nkernel /vmlinuz-1 a\ntitle second\nkernel (hd0)/vmlinuz-2 b\n";
    writeFileSync(file("ramdisk.lst"), rd);
    let r = pvbootMenu([disk], { ramdisk: file("ramdisk.lst") });
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toEqual({
      config: "(ramdisk)", default: 1, hiddenmenu: false,
      entries: [
        { title: "first", root: "(hd0)", kernel: "/vmlinuz-1", args: "a" },
        { title: "second", kernel: "(hd0)/vmlinuz-2", args: "b" },
      ],
    });
    // a file named on the command line comes first
    r = pvbootMenu([disk], { ramdisk: file("ramdisk.lst"), extra: "(hd0)/boot/grub/menu.lst" });
    expect(r.json.config).toBe("(hd0)/boot/grub/menu.lst");
  });

  it("a ramdisk over 1 MiB is refused, and the disks are searched instead", () => {
    const disk = fsImage({ "boot/grub/menu.lst": menu("from the disk") });
    writeFileSync(file("ramdisk.big"), Buffer.alloc((1 << 20) + 1, 0x23));
    const r = pvbootMenu([disk], { ramdisk: file("ramdisk.big") });
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.config).toBe("(hd0)/boot/grub/menu.lst");
    expect(r.json.warnings).toEqual([`(ramdisk): ${(1 << 20) + 1} bytes, more than the 1024 KiB a config file may have; not used`]);
    const none = pvbootMenu([fsImage({ "etc/hostname": "x\n" })], { ramdisk: file("ramdisk.big") });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`pvboot: error:   (ramdisk): ${(1 << 20) + 1} bytes, more than the 1024 KiB a config file may have\n`);
  });

  it("default saved in a ramdisk: there is no default file, entry 0", () => {
    const disk = fsImage({ "etc/hostname": "x\n" });
    writeFileSync(file("ramdisk.saved"), "default saved\ntitle a\nkernel /a\ntitle b\nkernel /b\n");
    const r = pvbootMenu([disk], { ramdisk: file("ramdisk.saved") });
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ config: "(ramdisk)", default: 0, default_saved: true });
    expect(r.json.warnings).toEqual(["(ramdisk): default saved, but a ramdisk has no default file beside it; 0 used"]);
  });

  it("default saved after a default naming no entry: still entry 0, whatever the fallback", () => {
    // Found by the menulst fuzzer: the earlier number outlived `default saved`.
    const disk = fsImage({ "etc/hostname": "x\n" });
    writeFileSync(file("ramdisk.saved2"), "default 7\nfallback 1\ndefault saved\ntitle a\nkernel /a\ntitle b\nkernel /b\n");
    const r = pvbootMenu([disk], { ramdisk: file("ramdisk.saved2") });
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ config: "(ramdisk)", default: 0, default_saved: true });
  });

  it("binary in the ramdisk is refused like in a file", () => {
    const disk = fsImage({ "boot/grub/menu.lst": menu("from the disk") });
    writeFileSync(file("ramdisk.bin"), Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
    const r = pvbootMenu([disk], { ramdisk: file("ramdisk.bin") });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pvboot: error: (ramdisk):1: binary data (byte 0x1f), not a text file\n");
  });
});

describe("uuid lines", () => {
  it("name the device whose filesystem has that UUID, on any disk", () => {
    const uuid = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
    const hd0 = fsImage({ "boot/grub/menu.lst": `title by uuid\nuuid ${uuid}\nkernel /boot/vmlinuz root=UUID=${uuid}\ntitle unknown\nuuid 11111111-2222-4333-8444-555555555555\nkernel /k\n` });
    const hd1 = fsImage({ "boot/vmlinuz": "kernel" }, { uuid });
    const r = pvbootMenu([hd0, hd1]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.entries).toEqual([
      { title: "by uuid", root: "(hd1)", uuid, kernel: "/boot/vmlinuz", args: `root=UUID=${uuid}` },
      { title: "unknown", root: "(hd0)", uuid: "11111111-2222-4333-8444-555555555555", kernel: "/k", args: "" },
    ]);
    expect(r.json.warnings).toEqual(["menu.lst:5: no filesystem has UUID 11111111-2222-4333-8444-555555555555"]);
  });
});

describe("pvboot menu, the command", () => {
  let disk = "";
  beforeAll(() => {
    disk = fsImage({
      "boot/grub/menu.lst": "default 1\ntimeout 5\nfallback 0\nhiddenmenu\npassword --md5 $1$abcd$efgh\ntitle Débian\nkernel /a\ntitle Second\nkernel /b\nfoo\n",
    });
  });

  it("lists the entries, a '*' on the default, then the settings", () => {
    const r = pvbootMenu([disk], { json: false });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      "  0   Débian\n" +
      "  1 * Second\n" +
      "config     (hd0)/boot/grub/menu.lst\n" +
      "default    1\n" +
      "timeout    5\n" +
      "fallback   0\n" +
      "hiddenmenu yes\n" +
      "password   md5\n",
    );
    expect(r.stderr).toBe("pvboot: warning: menu.lst:10: unknown command 'foo', skipped\n");
  });

  it("has help, and refuses bad use with status 2", () => {
    expect(pvbootRaw("help", "menu").stdout).toContain("usage: pvboot menu DISK");
    expect(pvbootRaw("menu", "--help").stdout).toContain("--ramdisk FILE");
    expect(pvbootRaw("--help").stdout).toContain("menu DISK...");
    let r = pvbootRaw("menu");
    expect(r.status).toBe(2);
    r = pvbootRaw("menu", file("no-such.img"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot open disk image");
    r = pvbootRaw("menu", disk, "--ramdisk", file("no-such.rd"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot open ramdisk");
    r = pvbootRaw("menu", disk, "--extra", "pvboot.tool=ls");
    expect(r.status).toBe(2);
  });
});
