// menu.lst as users bring it (test/config/): each file on a real ext4 filesystem, read by the
// core in the emulated Xen through `pvboot menu DISK --extra FILE --json`, and checked entry by
// entry against values written here by hand. Then the hostile files: binary, over-long lines,
// too many entries, too big, CRLF and backslash continuations, escaping in the JSON.

import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CORPUS, file, fsImage, pvbootMenu, type Tree } from "./config/helpers";
import { runTool } from "../scripts/cli/tool";

const UBUNTU_UUID = "8e6a5b4c-0f2d-4d53-9a1e-2b7c3d4e5f60";
const corpusFiles = ["debian-lenny.lst", "ubuntu-hardy.lst", "hurd.lst", "password-plain.lst", "password-md5.lst", "fallback.lst", "broken.lst"];

let disk = "";
beforeAll(() => {
  const files: Tree = {};
  for (const f of corpusFiles) files[`configs/${f}`] = readFileSync(join(CORPUS, f));
  files["configs/saved/menu.lst"] = readFileSync(join(CORPUS, "saved/menu.lst"));
  files["configs/saved/default"] = readFileSync(join(CORPUS, "saved/default"));
  files["configs/saved-nofile/menu.lst"] = readFileSync(join(CORPUS, "saved/menu.lst"));
  files["configs/saved-big/menu.lst"] = readFileSync(join(CORPUS, "saved/menu.lst"));
  files["configs/saved-big/default"] = "1\n" + "#".repeat(20000) + "\n";
  files["configs/saved-empty/menu.lst"] = readFileSync(join(CORPUS, "saved/menu.lst"));
  files["configs/saved-empty/default"] = "";
  files["configs/saved-range/menu.lst"] = readFileSync(join(CORPUS, "saved/menu.lst"));
  files["configs/saved-range/default"] = "7\n";
  disk = fsImage(files, { uuid: UBUNTU_UUID });
});

const menu = (name: string) => {
  const r = pvbootMenu([disk], { extra: `(hd0)/configs/${name}` });
  expect(r.status, r.stderr).toBe(0);
  return r;
};

describe("menu.lst corpus", () => {
  it("Debian lenny's update-grub file: comments with kopt/groot, tabs, color, savedefault", () => {
    const r = menu("debian-lenny.lst");
    expect(r.json).toEqual({
      config: "(hd0)/configs/debian-lenny.lst",
      default: 0,
      timeout: 5,
      hiddenmenu: false,
      entries: [
        {
          title: "Debian GNU/Linux, kernel 2.6.26-2-xen-686", root: "(hd0,0)",
          kernel: "/boot/vmlinuz-2.6.26-2-xen-686", args: "root=/dev/xvda1 ro console=hvc0",
          initrd: "/boot/initrd.img-2.6.26-2-xen-686",
        },
        {
          title: "Debian GNU/Linux, kernel 2.6.26-2-xen-686 (single-user mode)", root: "(hd0,0)",
          kernel: "/boot/vmlinuz-2.6.26-2-xen-686", args: "root=/dev/xvda1 ro console=hvc0 single",
          initrd: "/boot/initrd.img-2.6.26-2-xen-686",
        },
        {
          title: "Debian GNU/Linux, kernel 2.6.18-6-xen-686", root: "(hd0,0)",
          kernel: "/boot/vmlinuz-2.6.18-6-xen-686", args: "root=/dev/xvda1 ro console=hvc0",
          initrd: "/boot/initrd.img-2.6.18-6-xen-686",
        },
      ],
    });
    expect(r.stderr).toBe(""); // the "# kopt=..." lines are comments, color is accepted
  });

  it("Ubuntu hardy: hiddenmenu, uuid resolved on the disks, quiet, a divider entry with a bare root", () => {
    const r = menu("ubuntu-hardy.lst");
    const j = r.json;
    expect(j).toMatchObject({ config: "(hd0)/configs/ubuntu-hardy.lst", default: 0, timeout: 3, hiddenmenu: true });
    expect(j.entries.map((e: { title: string }) => e.title)).toEqual([
      "Ubuntu 8.04.4 LTS, kernel 2.6.24-32-xen",
      "Ubuntu 8.04.4 LTS, kernel 2.6.24-32-xen (recovery mode)",
      "Ubuntu 8.04.4 LTS, memtest86+",
      "Other operating systems:",
      "Old disk",
    ]);
    expect(j.entries[0]).toEqual({
      title: "Ubuntu 8.04.4 LTS, kernel 2.6.24-32-xen", root: "(hd0)", uuid: UBUNTU_UUID,
      kernel: "/boot/vmlinuz-2.6.24-32-xen",
      args: `root=UUID=${UBUNTU_UUID} ro console=hvc0 quiet splash`, // trailing blank gone
      initrd: "/boot/initrd.img-2.6.24-32-xen",
    });
    expect(j.entries[1].args).toBe(`root=UUID=${UBUNTU_UUID} ro console=hvc0 single`);
    expect(j.entries[2]).toEqual({ title: "Ubuntu 8.04.4 LTS, memtest86+", root: "(hd0)", uuid: UBUNTU_UUID, kernel: "/boot/memtest86+.bin", args: "" });
    expect(j.entries[3]).toEqual({ title: "Other operating systems:", root: "(hd0)" }); // a bare root only shows it
    expect(j.entries[4]).toEqual({
      title: "Old disk", root: "(hd0)", uuid: "00000000-1111-2222-3333-444444444444",
      kernel: "/boot/vmlinuz", args: "root=/dev/xvdb1 ro",
    });
    expect(j.warnings).toEqual([
      "ubuntu-hardy.lst:50: no filesystem has UUID 00000000-1111-2222-3333-444444444444",
    ]);
    expect(r.stderr).toContain("pvboot: warning: ubuntu-hardy.lst:50: no filesystem has UUID 00000000-1111-2222-3333-444444444444\n");
  });

  it("GNU/Hurd: modules keep their whole line, ${...} and $(...) untouched", () => {
    const j = menu("hurd.lst").json;
    expect(j).toMatchObject({ default: 0, timeout: 10 });
    expect(j.entries[0]).toEqual({
      title: "Debian GNU/Hurd", root: "(hd0,0)", kernel: "/boot/gnumach.gz", args: "root=device:hd0s1 console=com0",
      modules: [
        {
          path: "/hurd/ext2fs.static",
          args: "/hurd/ext2fs.static --multiboot-command-line=${kernel-command-line} --host-priv-port=${host-port} --device-master-port=${device-port} --exec-server-task=${exec-task} -T typed ${root} $(task-create) $(task-resume)",
        },
        { path: "/lib/ld.so.1", args: "/lib/ld.so.1 /hurd/exec $(exec-task=task-create)" },
      ],
    });
    expect(j.entries[1]).toEqual({
      title: "Debian GNU/Hurd (single user)", root: "(hd0,0)", kernel: "(hd0,0)/boot/gnumach.gz", args: "root=device:hd0s1 -s",
      modules: [
        { path: "(hd0,0)/hurd/ext2fs.static", args: "(hd0,0)/hurd/ext2fs.static --readonly --multiboot-command-line=${kernel-command-line} ${root} $(task-create) $(task-resume)" },
        { path: "(hd0,0)/lib/ld.so.1", args: "(hd0,0)/lib/ld.so.1 /hurd/exec $(exec-task=task-create)", nounzip: true },
      ],
    });
    expect(j.warnings).toBeUndefined();
  });

  it("a plain password, and lock kept as a line of its entry", () => {
    const j = menu("password-plain.lst").json;
    expect(j).toMatchObject({ default: 1, timeout: 5, password: true });
    expect(j.password_md5).toBeUndefined();
    expect(j.entries.map((e: { args: string }) => e.args)).toEqual(["root=/dev/xvda1 ro", "root=/dev/xvda1 ro single"]);
  });

  it("an md5 password with the config file it unlocks", () => {
    const j = menu("password-md5.lst").json;
    expect(j).toMatchObject({ default: 0, password: true, password_md5: true, password_config: "/boot/grub/admin.lst" });
    expect(j.entries).toHaveLength(1);
  });

  it("fallback 1 2 with '=' separators and hiddenmenu", () => {
    const j = menu("fallback.lst").json;
    expect(j).toMatchObject({ default: 0, fallback: [1, 2], timeout: 10, hiddenmenu: true });
    expect(j.entries.map((e: { kernel: string; initrd?: string }) => [e.kernel, e.initrd ?? null])).toEqual([
      ["/boot/vmlinuz-new", "/boot/initrd-new"],
      ["/boot/vmlinuz-old", "/boot/initrd-old"],
      ["/boot/vmlinuz-older", null],
    ]);
  });

  it("default saved: the number in the default file beside menu.lst", () => {
    const j = menu("saved/menu.lst").json;
    expect(j).toMatchObject({ config: "(hd0)/configs/saved/menu.lst", default: 2, default_saved: true, timeout: 5 });
    expect(j.entries.map((e: { title: string }) => e.title)).toEqual(["zero", "one", "two"]);
  });

  it("default saved without a default file: entry 0, and a warning", () => {
    const r = menu("saved-nofile/menu.lst");
    expect(r.json).toMatchObject({ default: 0, default_saved: true });
    expect(r.json.warnings).toEqual(["menu.lst: default saved, but (hd0)/configs/saved-nofile/default: not found; 0 used"]);
  });

  it("default saved: only the start of the default file counts; empty or out of range is 0", () => {
    expect(menu("saved-big/menu.lst").json).toMatchObject({ default: 1, default_saved: true });
    let r = menu("saved-empty/menu.lst");
    expect(r.json.default).toBe(0);
    expect(r.json.warnings).toEqual(["(hd0)/configs/saved-empty/default: no entry number at the start, 0 used"]);
    r = menu("saved-range/menu.lst");
    expect(r.json.default).toBe(0);
    expect(r.json.warnings).toEqual(["menu.lst: default entry 7 does not exist, 0 used"]);
  });

  it("broken lines: skipped or refused with a warning naming the line, the rest read", () => {
    const r = menu("broken.lst");
    const j = r.json;
    expect(j).toMatchObject({ default: 1, timeout: 7, hiddenmenu: false });
    expect(j.entries).toEqual([
      { title: "Tabs and=equals", root: "(hd0,1)", kernel: "/boot/vmlinuz-tabs", args: "root=/dev/xvda2 ro", initrd: "/boot/initrd-tabs" },
      { title: "BSD", root: "(hd0,0,a)", kernel: "/netbsd", type: "netbsd", args: "-s" },
      {
        title: "Multiboot", root: "(hd0)", kernel: "/boot/xen.gz", type: "multiboot", args: "dom0_mem=512M",
        modules: [
          { path: "/boot/vmlinuz-xen", args: "/boot/vmlinuz-xen root=/dev/xvda1 ro" },
          { path: "/boot/initrd-xen", args: "/boot/initrd-xen" },
        ],
      },
      { title: "Bad type", root: "(hd0)", kernel: "/9pcf", args: "" },
    ]);
    expect(j.warnings).toEqual([
      "broken.lst:2: 'root' before the first title has no effect, ignored",
      "broken.lst:6: unknown command 'frobnicate', skipped",
      "broken.lst:13: title 'No commands at all' has no commands, dropped",
      "broken.lst:16: '(hd0,0,a)': BSD disklabel partitions are not supported",
      "broken.lst:18: unknown command 'bogus-command', skipped",
      "broken.lst:26: kernel --type=plan9: not a type GRUB knew (netbsd, freebsd, openbsd, linux, biglinux, multiboot)",
    ]);
    for (const w of j.warnings) expect(r.stderr).toContain(`pvboot: warning: ${w}\n`);
  });
});

describe("menu.lst: hostile and odd bytes", () => {
  const enc = (s: string) => Buffer.from(s, "latin1");
  let odd = "";
  const big = Buffer.alloc((1 << 20) + 1, 0x23); // '#' * (1 MiB + 1): a comment too big to take
  beforeAll(() => {
    let many = "timeout 1\n";
    for (let i = 0; i < 300; i++) many += `title entry ${i}\nkernel /k${i}\n`;
    odd = fsImage({
      "crlf.lst": enc("default 1\r\ntimeout 2\r\ntitle one\r\nroot (hd0,0)\r\nkernel /vmlinuz a=1 \\\r\n  b=2\r\n\r\ntitle two\r\nkernel /vmlinuz-2\r\n"),
      "binary.lst": Buffer.concat([enc("title ok\nkernel /k\n"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00])]),
      "nul.lst": enc("timeout 5\n\ntitle x\u0000\n"),
      "long.lst": enc("title long\nroot (hd0,0)\nkernel /k " + "a".repeat(4096) + "\n"),
      "longest-ok.lst": enc("title fits\nkernel /k " + "b".repeat(4096 - "kernel /k ".length) + "\n"),
      "joined-long.lst": enc("title joined\nkernel /k " + "c".repeat(3000) + " \\\n" + "d".repeat(2000) + "\n"),
      "many.lst": enc(many),
      "big.lst": big,
      "escapes.lst": Buffer.concat([
        enc('title "quoted" back\\slash\ttab\nkernel /k\n'),
        enc("title "), Buffer.from("Démarrer Ελληνικά", "utf8"), enc("\nkernel /k\n"),
        enc("title caf\xe9 latin-1 \xff\x80\nkernel /k\n"),
      ]),
      "continued.lst": enc("# a comment that ends in a backslash \\\ntitle swallowed by the comment\ntitle kept\nkernel /k \\\\\nx\nkernel2\n"),
      "chain.lst": enc("timeout 4\nkernel /too-early\ntitle Windows\nrootnoverify (hd0,0)\nmakeactive\nchainloader +1\ntitle More\nconfigfile (hd0,1)/boot/grub/menu.lst\ntitle Inside\ntimeout 9\nroot (hd0,2)\nkernel /k1 one\nmodule /m1\ninitrd /i1\nroot (hd0,3)\nkernel /k2 two\nmodule /m2 x\nroot (hd0,4)\n"),
      "empty.lst": enc(""),
      "comments-only.lst": enc("# nothing\n   # but comments\n\n\t\n"),
    }, { sizeMiB: 16 });
  });

  const run = (name: string) => pvbootMenu([odd], { extra: `(hd0)/${name}` });

  it("CRLF line ends and a backslash continuation over CRLF", () => {
    const r = run("crlf.lst");
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ default: 1, timeout: 2 });
    expect(r.json.entries).toEqual([
      { title: "one", root: "(hd0,0)", kernel: "/vmlinuz", args: "a=1    b=2" },
      { title: "two", root: "(hd0)", kernel: "/vmlinuz-2", args: "" },
    ]);
  });

  it("binary data: an error naming the file and the line, exit 1", () => {
    let r = run("binary.lst");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pvboot: error: (hd0)/binary.lst:3: binary data (byte 0x7f), not a text file\n");
    expect(r.stdout).toBe("");
    r = run("nul.lst");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pvboot: error: (hd0)/nul.lst:3: binary data (byte 0x00), not a text file\n");
  });

  it("a command longer than 4096 bytes is an error with its line; 4096 is fine; joined lines count together", () => {
    let r = run("long.lst");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pvboot: error: (hd0)/long.lst:3: command longer than 4096 bytes\n");
    r = run("longest-ok.lst");
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.entries[0].args).toBe("b".repeat(4096 - "kernel /k ".length));
    r = run("joined-long.lst");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pvboot: error: (hd0)/joined-long.lst:2: command longer than 4096 bytes\n");
  });

  it("at most 256 entries, the rest ignored with a warning", () => {
    const r = run("many.lst");
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.entries).toHaveLength(256);
    expect(r.json.entries[255]).toEqual({ title: "entry 255", root: "(hd0)", kernel: "/k255", args: "" });
    expect(r.json.warnings).toEqual(["many.lst:514: more than 256 entries, the rest ignored"]);
  });

  it("a file over 1 MiB is refused before it is read", () => {
    const r = run("big.lst");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`(hd0)/big.lst: ${(1 << 20) + 1} bytes, more than the 1024 KiB a config file may have`);
  });

  it("JSON escaping: quotes and backslashes; UTF-8 passes, other bytes are Latin-1", () => {
    const r = run("escapes.lst");
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.entries.map((e: { title: string }) => e.title)).toEqual([
      '"quoted" back\\slash tab', // a tab is a space, as GRUB read it
      "Démarrer Ελληνικά",
      "café latin-1 \u00ff\u0080",
    ]);
    expect(r.stdout).toContain('"title":"\\"quoted\\" back\\\\slash tab"');
    expect(r.stdout).toContain('"title":"caf\\u00e9 latin-1 \\u00ff\\u0080"');
    expect(Buffer.from(r.stdout, "utf8").includes(Buffer.from("Démarrer Ελληνικά", "utf8"))).toBe(true);
  });

  it("GRUB's backslash quirks: a comment goes on after a trailing backslash; \\\\ at the end still joins", () => {
    const r = run("continued.lst");
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.entries).toEqual([{ title: "kept", root: "(hd0)", kernel: "/k", args: "\\ x" }]);
    expect(r.json.warnings).toEqual(["continued.lst:6: unknown command 'kernel2', skipped"]);
  });

  it("chainloader, configfile, global commands inside an entry, a second kernel", () => {
    const r = run("chain.lst");
    expect(r.status, r.stderr).toBe(0);
    expect(r.json).toEqual({
      config: "(hd0)/chain.lst", default: 0, timeout: 4, hiddenmenu: false, // the entry's timeout is a line of it
      entries: [
        { title: "Windows", root: "(hd0,0)", chainloader: "+1" },
        { title: "More", root: "(hd0)", configfile: "(hd0,1)/boot/grub/menu.lst" },
        // the root in effect at the (last) kernel; a new kernel forgets the modules and initrd before it
        { title: "Inside", root: "(hd0,3)", kernel: "/k2", args: "two", modules: [{ path: "/m2", args: "/m2 x" }] },
      ],
      warnings: ["chain.lst:2: 'kernel' before the first title has no effect, ignored"],
    });
  });

  it("an empty file and a file of comments: no entries, said so", () => {
    for (const name of ["empty.lst", "comments-only.lst"]) {
      const r = run(name);
      expect(r.status, r.stderr).toBe(0);
      expect(r.json).toEqual({ config: `(hd0)/${name}`, default: 0, hiddenmenu: false, entries: [], warnings: [`${name}: no entries`] });
    }
  });
});

// Random menu.lst made of the pieces that matter to the lexer and the parser, read by the core
// (through the ramdisk, in-process): it must answer every time, with JSON or a clear error, and
// never trap or hang.
describe("menu.lst: random files never trap", () => {
  it("120 seeded random files: JSON (at most 256 entries) or an error naming the line", async () => {
    const disk = file("empty-disk.img");
    writeFileSync(disk, Buffer.alloc(1 << 20));
    const pieces = ["title ", "kernel ", "root ", "module ", "initrd ", "default ", "fallback ", "timeout", "password ",
      "--md5 ", "--type=netbsd ", "uuid ", "hiddenmenu", "savedefault", "(hd0,0)", "(hd0", ",1,a)", "/boot/x", "=", " ",
      "\t", "\\", "\n", "\r\n", "\\\n", "#", "0", "7", "99999999999", "saved", "é", "\xff", "\"", "$(task-create)", "x"];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 120; round++) {
      await new Promise((r) => setTimeout(r, 0)); // each run is synchronous: let the worker answer vitest
      let text = "";
      const n = 1 + rand(round < 110 ? 60 : 3000);
      for (let i = 0; i < n; i++) text += pieces[rand(pieces.length)];
      writeFileSync(file("random.lst"), Buffer.from(text, "latin1"));
      const out: Buffer[] = [];
      const err: string[] = [];
      const r = runTool(disk, "menu", null, {
        memoryMB: 64, ramdisk: readFileSync(file("random.lst")),
        stdout: (b) => out.push(Buffer.from(b)), stderr: (l) => err.push(l),
      });
      expect(r.trap, `round ${round}: ${JSON.stringify(text)}`).toBeUndefined();
      if (r.code === 0) {
        const j = JSON.parse(Buffer.concat(out).toString("utf8"));
        expect(j.config).toBe("(ramdisk)");
        expect(j.entries.length).toBeLessThanOrEqual(256);
        for (const e of j.entries) expect(typeof e.title).toBe("string");
      } else {
        expect(r.code, err.join("\n")).toBe(1);
        expect(err.join("\n")).toMatch(/^pvboot: error: \(ramdisk\):\d+: command longer than 4096 bytes$/m);
      }
    }
  }, 300_000);
});
