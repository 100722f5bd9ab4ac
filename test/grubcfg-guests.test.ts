// grub.cfg and Boot Loader Spec entries as the distributions' own tools write them (issue 18,
// part 6): scripts/images/grub-guests.sh debootstraps Debian 12, installs GRUB 2 in it and runs
// grub-mkconfig, grub-set-default, grub-reboot and kernel-install in a chroot over loop devices
// (root needed; the disks are cached under build/cache/grub-guests). Then `pvboot menu --json`
// over each disk is compared with what those tools wrote, read back from the image (the files
// themselves, blkid, grubenv), and `pvboot run` boots the default entry in the emulated Xen.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { execAsync } from "./lib/exec";
import { mkdtempSync, readFileSync, readdirSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { debianKernel } from "../scripts/kernels/fetch";
import { EMULATED_VARIANTS, grubGuestDisks } from "./config/grub-guests";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PVBOOT = join(ROOT, "scripts/pvboot.mjs");

const disks: Record<string, string> = {};
let version = ""; // the real kernel's version; the older one is the same file

// The CLI as a child process, awaited: each run boots Debian's kernel in the emulator, seconds
// of work that would block the worker (test/lib/exec.ts).
function pvboot(...args: string[]) {
  return execAsync("node", [PVBOOT, ...args], { timeoutMs: 240_000 });
}

async function menu(name: string, extra?: string): Promise<any> {
  const r = await pvboot("menu", disks[name], "--json", ...(extra ? ["--extra", extra] : []));
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

// What the image holds, read through the kernel's own ext4 driver (a read-only loop mount at
// the partition's offset): partition `part` (0-based), the callback's paths under its root.
function onPartition<T>(img: string, part: number, fn: (dir: string, dev: string) => T): T {
  const starts = execFileSync("partx", ["-g", "-o", "START,SECTORS", img], { encoding: "utf8" }).trim().split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number));
  const [start, sectors] = starts[part];
  const loop = execFileSync("losetup", ["-f", "--show", "-r", "-o", String(start * 512), "--sizelimit", String(sectors * 512), img], { encoding: "utf8" }).trim();
  const dir = mkdtempSync(join(tmpdir(), "pvboot-guest-"));
  try {
    execFileSync("mount", ["-o", "ro", loop, dir]);
    try {
      return fn(dir, loop);
    } finally {
      execFileSync("umount", [dir]);
    }
  } finally {
    execFileSync("losetup", ["-d", loop]);
    rmdirSync(dir);
  }
}

// -p reads the superblock itself. blkid's cache (/run/blkid/blkid.tab) trusts an entry probed
// under 2 s ago, and loop devices are reused from one image to the next within that: once it
// gave the UUID of the previous image on the same /dev/loop0.
const uuidOf = (dev: string) => execFileSync("blkid", ["-p", "-s", "UUID", "-o", "value", dev], { encoding: "utf8" }).trim();

// grubenv as grub-editenv wrote it: NAME=VALUE lines after the header, '#' padding.
function grubenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of text.split("\n")) if (!l.startsWith("#") && l.includes("=")) out[l.slice(0, l.indexOf("="))] = l.slice(l.indexOf("=") + 1);
  return out;
}

// The menu entries grub-mkconfig wrote, in file order, read with regular expressions: title,
// id, the submenu above, the linux line's file and arguments, the initrd line's files.
interface Written { title: string; id: string; submenu: string | null; kernel: string; args: string; initrds: string[] }
function written(cfg: string): Written[] {
  const out: Written[] = [];
  let submenu: string | null = null;
  let cur: Written | null = null;
  for (const line of cfg.split("\n")) {
    const t = line.trim();
    let m = t.match(/^submenu '([^']*)'/);
    if (m) { submenu = m[1]; continue; }
    m = t.match(/^menuentry '([^']*)'.*\$menuentry_id_option '([^']*)'/);
    if (m) {
      // grub-mkconfig indents the entries of a submenu by a tab
      cur = { title: m[1], id: m[2], submenu: line.startsWith("\t") ? submenu : null, kernel: "", args: "", initrds: [] };
      out.push(cur);
      continue;
    }
    m = t.match(/^linux\s+(\S+)\s*(.*)$/);
    if (m && cur) { cur.kernel = m[1]; cur.args = m[2]; continue; }
    m = t.match(/^initrd\s+(.*)$/);
    if (m && cur) cur.initrds = m[1].split(/\s+/);
  }
  return out;
}

beforeAll(async () => {
  version = debianKernel().replace(/.*vmlinuz-/, "");
  const paths = await grubGuestDisks(EMULATED_VARIANTS);
  EMULATED_VARIANTS.forEach((v, i) => (disks[v] = paths[i]));
}, 1800_000);

describe("grub.cfg from Debian 12's grub-mkconfig", () => {
  it("submenus (Debian's default): every entry, its id, kernel, args and initrd as written; resolved by UUID", async () => {
    const { cfg, uuid } = onPartition(disks.sub, 0, (d, dev) => ({ cfg: readFileSync(join(d, "boot/grub/grub.cfg"), "latin1"), uuid: uuidOf(dev) }));
    const w = written(cfg);
    expect(w.length).toBe(7); // the plain entry, then 3 per kernel in the submenu
    expect(cfg).toContain(`search --no-floppy --fs-uuid --set=root ${uuid}`);
    const j = await menu("sub");
    expect(j).toMatchObject({ format: "grub.cfg", file: "(hd0,0)/boot/grub/grub.cfg", default: 0, timeout: 5, hiddenmenu: false });
    expect(j.warnings).toBeUndefined();
    expect(j.entries.length).toBe(w.length);
    j.entries.forEach((e: any, i: number) => {
      expect(e.title).toBe(w[i].title);
      expect(e.id).toBe(w[i].id);
      expect(e.path).toEqual(w[i].submenu ? [w[i].submenu, w[i].title] : [w[i].title]);
      expect(e.kernel).toBe("(hd0,0)" + w[i].kernel);
      expect(e.args).toBe(w[i].args);
      expect(e.initrds).toEqual(w[i].initrds.map((f) => "(hd0,0)" + f));
    });
    expect(j.entries[0].kernel).toBe(`(hd0,0)/boot/vmlinuz-${version}`);
  });

  it("no submenu, GRUB_DEFAULT=saved set by grub-set-default, an early initrd: the saved entry, two initrds", async () => {
    const { cfg, env } = onPartition(disks.flat, 0, (d) => ({
      cfg: readFileSync(join(d, "boot/grub/grub.cfg"), "latin1"),
      env: grubenv(readFileSync(join(d, "boot/grub/grubenv"), "latin1")),
    }));
    const w = written(cfg);
    expect(w.every((e) => e.submenu === null)).toBe(true);
    expect(env.saved_entry).toMatch(/^Debian GNU\/Linux, with Linux 6\.1\.0-1-amd64$/);
    const j = await menu("flat");
    expect(j.entries.map((e: any) => e.title)).toEqual(w.map((e) => e.title));
    expect(j.entries[j.default].title).toBe(env.saved_entry);
    for (const e of j.entries) expect(e.initrds).toEqual(["(hd0,0)/boot/ucode.img", expect.stringMatching(/^\(hd0,0\)\/boot\/initrd\.img-/)]);
  });

  it('GRUB_DEFAULT="1>2" and a hidden timeout: the submenu\'s third entry, flattened', async () => {
    const cfg = onPartition(disks.path, 0, (d) => readFileSync(join(d, "boot/grub/grub.cfg"), "latin1"));
    expect(cfg).toContain('set default="1>2"');
    const w = written(cfg);
    const j = await menu("path");
    expect(j).toMatchObject({ timeout: 2, hiddenmenu: true });
    const third = w.filter((e) => e.submenu !== null)[2];
    expect(j.entries[j.default].path).toEqual([third.submenu, third.title]);
    expect(j.entries[j.default].id).toBe(third.id);
  });

  it("GPT, a separate /boot, next_entry from grub-reboot: grub.cfg on (hd0,0) at /grub, kernels there, next_entry wins", async () => {
    const { env, uuid } = onPartition(disks.gptboot, 0, (d, dev) => ({ env: grubenv(readFileSync(join(d, "grub/grubenv"), "latin1")), uuid: uuidOf(dev) }));
    expect(env.next_entry).toBe("1>1");
    const cfg = onPartition(disks.gptboot, 0, (d) => readFileSync(join(d, "grub/grub.cfg"), "latin1"));
    expect(cfg).toContain(uuid);
    expect(execFileSync("sfdisk", ["-d", disks.gptboot], { encoding: "utf8" })).toContain("label: gpt");
    const j = await menu("gptboot");
    expect(j.file).toBe("(hd0,0)/grub/grub.cfg");
    const second = written(cfg).filter((e) => e.submenu !== null)[1];
    expect(j.entries[j.default].path).toEqual([second.submenu, second.title]);
    expect(j.entries[j.default].kernel).toBe("(hd0,0)" + second.kernel);
    expect(second.kernel).toMatch(/^\/vmlinuz-/); // relative to /boot's own partition
  });
});

describe("Boot Loader Spec entries", () => {
  it("kernel-install (layout=bls) on a separate /boot: sorted newest first, ids, files, options, loader.conf's default and timeout", async () => {
    const { files, confs } = onPartition(disks.bls, 0, (d) => {
      const files = readdirSync(join(d, "loader/entries")).sort();
      return { files, confs: files.map((f) => readFileSync(join(d, "loader/entries", f), "latin1")) };
    });
    expect(files.length).toBe(2);
    const j = await menu("bls");
    expect(j).toMatchObject({ format: "bls", file: "(hd0,0)/loader/entries", timeout: 4 });
    const key = (c: string, k: string) => c.split("\n").filter((l) => l.startsWith(k + " ")).map((l) => l.slice(k.length).trim());
    const byId = Object.fromEntries(files.map((f, i) => [f.replace(/\.conf$/, ""), confs[i]]));
    expect(j.entries.map((e: any) => e.id)).toEqual([`0123456789abcdef0123456789abcdef-${version}`, "0123456789abcdef0123456789abcdef-6.1.0-1-amd64"]);
    for (const e of j.entries) {
      const c = byId[e.id];
      expect(e.title).toBe(key(c, "title")[0]);
      expect(e.kernel).toBe("(hd0,0)" + key(c, "linux")[0]);
      expect(e.args).toBe(key(c, "options").join(" "));
      expect(e.initrds).toEqual(key(c, "initrd").map((f) => "(hd0,0)" + f));
    }
    expect(j.entries[j.default].id).toBe("0123456789abcdef0123456789abcdef-6.1.0-1-amd64");
  });

  it("Fedora's form: grub.cfg calls blscfg, $kernelopts and saved_entry from grubenv", async () => {
    const env = onPartition(disks.fedora, 0, (d) => grubenv(readFileSync(join(d, "grub2/grubenv"), "latin1")));
    const j = await menu("fedora");
    expect(j).toMatchObject({ format: "grub.cfg", file: "(hd0,0)/grub2/grub.cfg", timeout: 5 });
    expect(j.entries.map((e: any) => e.id)).toEqual([`fedcba9876543210fedcba9876543210-${version}`, "fedcba9876543210fedcba9876543210-6.1.0-1-amd64"]);
    for (const e of j.entries) {
      expect(e.args).toBe(env.kernelopts);
      expect(e.kernel).toBe(`(hd0,0)/vmlinuz-${e.id.slice(33)}`);
      expect(e.initrds).toEqual([`(hd0,0)/initrd.img-${e.id.slice(33)}`]);
    }
    expect(j.entries[j.default].id).toBe(env.saved_entry);
  });

  it("extra naming the entries folder reads them as BLS: the format comes from what is there", async () => {
    const j = await menu("fedora", "(hd0,0)/loader/entries");
    expect(j.format).toBe("bls");
    expect(j.file).toBe("(hd0,0)/loader/entries");
    expect(j.entries.length).toBe(2);
    const g = await menu("bls", "(hd0,1)/etc/hostname"); // a file that is neither: read as menu.lst, no entries
    expect(g.format).toBe("menu.lst");
    expect(g.entries).toEqual([]);
  });
});

describe("booting the default entry in the emulated Xen", () => {
  const run = async (name: string) => {
    const r = await pvboot("run", disks[name], "--json", "--memory", "256");
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    return { out: r.stdout, json: JSON.parse(lines[lines.length - 1]) };
  };

  it("grub.cfg, the saved entry with its two initrds concatenated (each on a 4-byte boundary)", async () => {
    const j = await menu("flat");
    const sizes = onPartition(disks.flat, 0, (d) => j.entries[j.default].initrds.map((f: string) => readFileSync(join(d, f.replace("(hd0,0)", ""))).length));
    const r = await run("flat");
    expect(r.json.entry).toBe(j.entries[j.default].title);
    expect(r.json.start_info.cmd_line).toBe(j.entries[j.default].args);
    expect(r.json.start_info.mod_len).toBe(((sizes[0] + 3) & ~3) + sizes[1]);
    expect(Object.values(r.json.checks).every((c) => c === "ok"), JSON.stringify(r.json.checks)).toBe(true);
  }, 300_000);

  it("a default inside a submenu (\"1>2\") boots that entry", async () => {
    const j = await menu("path");
    const r = await run("path");
    expect(r.json.entry).toBe(j.entries[j.default].title);
    expect(r.json.start_info.cmd_line).toBe(j.entries[j.default].args);
    expect(Object.values(r.json.checks).every((c) => c === "ok")).toBe(true);
  }, 300_000);

  it("BLS from kernel-install: loader.conf's default", async () => {
    const j = await menu("bls");
    const r = await run("bls");
    expect(r.json.entry).toBe(j.entries[j.default].title);
    expect(r.json.start_info.cmd_line).toBe(j.entries[j.default].args);
    expect(Object.values(r.json.checks).every((c) => c === "ok")).toBe(true);
  }, 300_000);
});

describe("the menu on grub-mkconfig's grub.cfg, driven through the console", () => {
  const keys = async (k: string) => {
    const r = await pvboot("run", disks.sub, "--json", "--memory", "256", "--keys", k);
    const lines = r.stdout.trimEnd().split("\n");
    return { status: r.status, out: r.stdout, err: r.stderr, json: JSON.parse(lines[lines.length - 1]) };
  };

  it("Enter opens the submenu, an entry there boots", async () => {
    const j = await menu("sub");
    const r = await keys("<down><enter><down><down><down><enter>");
    expect(r.status, r.err.slice(-1500)).toBe(0);
    expect(r.json.entry).toBe(j.entries[4].title); // the submenu's fourth entry, flattened after the first
    expect(r.json.start_info.cmd_line).toBe(j.entries[4].args);
  }, 300_000);

  it("Esc leaves the submenu for the menu above", async () => {
    const j = await menu("sub");
    const r = await keys("<down><enter><esc><up><enter>");
    expect(r.status, r.err.slice(-1500)).toBe(0);
    expect(r.json.entry).toBe(j.entries[0].title);
  }, 300_000);

  it("'e' edits the entry's script lines; 'b' boots the edit", async () => {
    const j = await menu("sub");
    // the linux line is the entry's seventh: load_video, insmod, if, insmod, search, echo, linux
    const r = await keys("e<down><down><down><down><down><down>e<end> single<enter>b");
    expect(r.status, r.err.slice(-1500)).toBe(0);
    expect(r.json.entry).toBe(j.entries[0].title);
    expect(r.json.start_info.cmd_line).toBe(j.entries[0].args + " single");
  }, 300_000);

  it("'c' opens GRUB 2's grub> command line: script lines run at once, an error comes back, boot loads", async () => {
    const r = await keys("cwibble<enter>search --fs-uuid --set=root nosuchuuid<enter>set v=typed<enter>" +
      "linux /boot/vmlinuz-6.1.0-1-amd64 console=hvc0 $v=1<enter>initrd /boot/initrd.img-6.1.0-1-amd64<enter>boot<enter>");
    expect(r.status, r.err.slice(-1500)).toBe(0);
    expect(r.out).toContain("error: unknown command 'wibble'.");
    expect(r.out).toContain("error: no such device: nosuchuuid.");
    expect(r.json.start_info.cmd_line).toBe("console=hvc0 typed=1");
    expect(Object.values(r.json.checks).every((c) => c === "ok")).toBe(true);
  }, 300_000);
});
