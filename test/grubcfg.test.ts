// grub.cfg given what no tool writes, as a hostile or broken guest may: the bounds on loops and
// recursion, warnings naming file and line, an entry that needs an unknown command failing
// into its fallback, GRUB's quoting, a syntax error, and discovery's order with
// /boot/xen/pvboot-x86_64.elf and its loop guard. The configurations GRUB's tools really
// write are tested in grubcfg-guests.test.ts.

import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fsImage, pvbootMenu } from "./config/helpers";
import { debianKernel } from "../scripts/kernels/fetch";

const PVBOOT = fileURLToPath(new URL("../scripts/pvboot.mjs", import.meta.url));

describe("grub.cfg: bounds and warnings", () => {
  it("a loop that never ends stops after its command budget, with a warning naming the line", () => {
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": "menuentry 'first' {\n linux /k\n}\nwhile true; do\n  set x=y\ndone\nmenuentry 'after' {\n linux /k\n}\n" })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.entries.map((e: any) => e.title)).toEqual(["first"]);
    expect(r.full.warnings).toEqual(["grub.cfg:4: more than 20000 commands run (a loop that does not end?), stopped"]);
  });

  it("a grub.cfg sourcing itself twice stops at the bytes its sourced files may take", () => {
    // Each call parses anew and the calls double at every level: bounded by the steps alone,
    // the parses took all memory (a grubcfg fuzzer finding, test/fuzz/grubcfg/).
    // A comment of 60,000 bytes: the 1 MiB of sourced text is reached in 17 calls, before the
    // memory the calls take (each call's entries and warnings) is.
    const pad = "# " + "x".repeat(60000) + "\n";
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": "menuentry 'first' {\n linux /k\n}\nsource /boot/grub/grub.cfg\nsource /boot/grub/grub.cfg\n" + pad })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.entries[0].title).toBe("first");
    expect(r.full.warnings.at(-1)).toMatch(/^grub.cfg:4: source: more than 1048576 bytes of sourced files \(a file that sources itself\?\), stopped$/);
  });

  it("submenus nested 20 deep that source their own file stop at 64 blocks deep, not a trap", () => {
    // Each bound alone held (32 levels per file, 32 sources deep) but together they ran 600
    // deep, past the runtime's call-depth limit (a grubcfg fuzzer finding, test/fuzz/grubcfg/).
    const open = "submenu s {\n".repeat(20);
    const cfg = "menuentry 'first' {\n linux /k\n}\n" + open + "source /boot/grub/grub.cfg\n" + "}\n".repeat(20);
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": cfg })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.entries[0].title).toBe("first");
    // The line of the first statement of the block that would have gone one level too deep.
    expect(r.full.warnings).toEqual(["grub.cfg:5: blocks nested more than 64 deep (submenus, functions and sourced files together), stopped"]);
  });

  it("a loop warning with a new word each time keeps 256 warnings and says the rest were not shown", () => {
    // `$x` grows by one letter a step, each an unknown command of its own: some thousands of
    // them before a bound stopped the loop, each looked for among all the others.
    const cfg = "x=a\nwhile true; do\n  $x\n  x=a$x\ndone\nmenuentry 'never reached' {\n linux /k\n}\n";
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": cfg })]);
    expect(r.status, r.stderr).toBe(0);
    // The warning that says why the run stopped is listed all the same.
    expect(r.full.warnings).toHaveLength(259);
    expect(r.full.warnings[0]).toBe("grub.cfg:3: unknown command 'a'");
    expect(r.full.warnings[255]).toBe("grub.cfg:3: unknown command '" + "a".repeat(256) + "'");
    expect(r.full.warnings.slice(256)).toEqual(["further warnings not shown",
      "grub.cfg:4: the run took more than 8 MiB of memory (a loop that keeps allocating?), stopped", "grub.cfg: no entries"]);
  });

  it("a file sourced by every entry and in a loop runs the same each time (its tree is kept)", () => {
    const files = {
      "boot/grub/grub.cfg": "n=\nfor i in 1 2 3; do\n source /boot/grub/more.cfg\ndone\n" +
        "menuentry \"e $n\" {\n source /boot/grub/more.cfg\n linux /k n=$n\n}\n",
      "boot/grub/more.cfg": "n=x$n\n",
    };
    const r = pvbootMenu([fsImage(files)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.warnings).toBeUndefined();
    expect(r.full.entries).toMatchObject([{ title: "e xxx", args: "n=xxxx" }]);
  });

  it("a BLS entry of 4,000 options lines joins them all; unknown keys warn 8 times, then once", () => {
    // Joined line by line, the options took memory quadratic in their lines.
    const lines = ["title many", "linux /vmlinuz"];
    for (let i = 0; i < 4000; i++) lines.push("options o" + i);
    for (let i = 0; i < 20; i++) lines.push("key" + i + " v");
    const r = pvbootMenu([fsImage({ "loader/entries/m.conf": lines.join("\n") + "\n" })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.entries[0].args.split(" ")).toHaveLength(4000);
    expect(r.full.entries[0].args).toMatch(/^o0 o1 .* o3999$/);
    const w = r.full.warnings.filter((x: string) => x.includes("m.conf"));
    expect(w).toHaveLength(9);
    expect(w[0]).toMatch(/m\.conf:4003: unknown key 'key0', ignored$/);
    expect(w[8]).toMatch(/m\.conf:4011: more unknown keys, ignored and not listed$/);
  });

  it("40 entries looping to their bounds, each summarised for the menu, stop at the config's 32 MiB, not a trap", () => {
    // Memory outside a boot attempt is never given back and every bound was per run: each
    // summary took tens of MiB, all of them more than any domain has (a grubcfg fuzzer finding,
    // test/fuzz/grubcfg/crash-looping-entries-summarised-oom). The entry before them is
    // summarised whole; the one after finds the config's memory spent.
    let cfg = "menuentry 'plain' {\n  linux /k\n}\n";
    for (let i = 0; i < 40; i++) cfg += `menuentry 'e${i}' {\n  while [ "$x" != 111 ]; do x=1; done\n  linux /k${i}\n}\n`;
    cfg += "menuentry 'last' {\n  linux /k\n}\n";
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": cfg })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.entries).toHaveLength(42);
    expect(r.full.entries[0]).toMatchObject({ title: "plain", kernel: "(hd0)/k" });
    expect(r.full.entries[1].kernel).toBeUndefined();
    expect(r.full.entries[41]).toMatchObject({ title: "last" });
    expect(r.full.entries[41].kernel).toBeUndefined();
  });

  it("a function calling itself stops at 32 calls deep", () => {
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": "function f {\n  f\n}\nf\nmenuentry 'ok' {\n linux /k\n}\n" })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.warnings).toEqual(["grub.cfg:2: function 'f' nested more than 32 deep, stopped"]);
    expect(r.full.entries.map((e: any) => e.title)).toEqual(["ok"]);
  });

  it("GRUB's quoting: single quotes literal, double quotes expand, backslash escapes, unquoted values split", () => {
    const cfg = [
      'set a="x  y"',
      "set b=one\\ two",
      `menuentry "T $a" --id 'the-id' {`,
      `  linux /k 'lit $a' "dq $a" \\$b $b "\${b}"`,
      "}",
    ].join("\n");
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": cfg })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.entries).toEqual([{ title: "T x  y", path: ["T x  y"], id: "the-id", root: "(hd0)", kernel: "(hd0)/k",
      args: "lit $a dq x  y $b one two one two", initrds: [] }]);
  });

  it("Ubuntu's graphics blacklist test (hwmatch) and GRUB's cpuid match nothing, without a warning", () => {
    const cfg = "if hwmatch $prefix/gfxblacklist.txt 3; then set g=black; else set g=ok; fi\n" +
      "if cpuid -l; then set c=64; else set c=no; fi\nmenuentry 'u' {\n  linux /k g=$g c=$c\n}\n";
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": cfg })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.warnings).toBeUndefined();
    expect(r.full.entries[0].args).toBe("g=ok c=no");
  });

  it("an unknown command: a warning with file and line when read", () => {
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": "frobnicate --all\nmenuentry 'a' {\n  wibble\n  linux /k\n}\n" })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.warnings).toEqual(["grub.cfg:1: unknown command 'frobnicate'", "grub.cfg:3: unknown command 'wibble' in 'a'; the entry fails if it runs it"]);
  });

  it("a syntax error: what came before is kept, the line is named", () => {
    const r = pvbootMenu([fsImage({ "boot/grub/grub.cfg": "menuentry 'kept' {\n linux /k\n}\nmenuentry 'broken {\n linux /k\n}\n" })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.entries.map((e: any) => e.title)).toEqual(["kept"]);
    expect(r.full.warnings[0]).toBe("grub.cfg:4: syntax error: unterminated '; the rest of the file is not read");
  });

  it("search by label and file, set root, ${root} in paths, GRUB 2's (hdN,msdosM) names", () => {
    const cfg = [
      "search --no-floppy --label --set=lab other",
      "search --file --set /marker",
      "menuentry 'by label' {",
      "  linux ($lab)/k root=x",
      "  initrd /i1 (hd0)/i2",
      "}",
      "menuentry 'named' {",
      "  set root='hd1'",
      "  linux /k",
      "}",
    ].join("\n");
    const hd0 = fsImage({ "boot/grub/grub.cfg": cfg });
    const hd1 = fsImage({ marker: "" });
    spawnSync("e2label", [hd1, "other"]);
    const r = pvbootMenu([hd0, hd1]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.entries[0]).toMatchObject({ kernel: "(hd1)/k", args: "root=x", initrds: ["(hd1)/i1", "(hd0)/i2"] });
    expect(r.full.entries[1]).toMatchObject({ kernel: "(hd1)/k" });
  });
});

describe("discovery", () => {
  it("/boot/xen/pvboot-x86_64.elf comes first, chainloaded with the loop guard; a domain it started skips it", () => {
    const disk = fsImage({ "boot/xen/pvboot-x86_64.elf": "x", "boot/grub/grub.cfg": "menuentry 'g' {\n linux /k\n}\n" });
    let r = pvbootMenu([disk], { extra: "console=hvc0" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.full).toMatchObject({ format: "chain", file: "(hd0)/boot/xen/pvboot-x86_64.elf", default: 0, timeout: 0 });
    expect(r.full.entries[0]).toMatchObject({ kernel: "(hd0)/boot/xen/pvboot-x86_64.elf", args: "pvboot.chained=(hd0)/boot/xen/pvboot-x86_64.elf console=hvc0" });
    r = pvbootMenu([disk], { extra: "pvboot.chained=(hd0)/boot/xen/pvboot-x86_64.elf console=hvc0" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.full.format).toBe("grub.cfg");
  });

  it("the pvboot image found there is started like any PV kernel, told where it came from", () => {
    const image = readFileSync(fileURLToPath(new URL("../build/pvboot-x86_64.elf", import.meta.url)));
    const disk = fsImage({ "boot/xen/pvboot-x86_64.elf": image, "boot/grub/grub.cfg": "menuentry 'g' {\n linux /k\n}\n" });
    const r = spawnSync("node", [PVBOOT, "run", disk, "--json", "--memory", "128", "--extra", "console=hvc0"], { encoding: "utf8" });
    expect(r.status, r.stderr.slice(-1500)).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    const j = JSON.parse(lines[lines.length - 1]);
    expect(j.entry).toBe("pvboot from (hd0)/boot/xen/pvboot-x86_64.elf");
    expect(j.start_info.cmd_line).toBe("pvboot.chained=(hd0)/boot/xen/pvboot-x86_64.elf console=hvc0");
    expect(Object.values(j.checks).every((c) => c === "ok"), JSON.stringify(j.checks)).toBe(true);
  }, 300_000);

  it("grub.cfg before BLS before menu.lst on one device; an earlier device wins", () => {
    const all = { "boot/grub/menu.lst": "title m\nkernel /k\n", "loader/entries/a.conf": "title b\nlinux /k\n", "grub2/grub.cfg": "menuentry 'g' {\n linux /k\n}\n" };
    expect(pvbootMenu([fsImage(all)]).full.format).toBe("grub.cfg");
    const noCfg = { ...all } as Record<string, string>;
    delete noCfg["grub2/grub.cfg"];
    expect(pvbootMenu([fsImage(noCfg)]).full.format).toBe("bls");
    expect(pvbootMenu([fsImage({ "boot/grub/menu.lst": "title m\nkernel /k\n" }), fsImage(all)]).full.format).toBe("menu.lst");
  });

  it("extra naming a grub.cfg under another name: read as grub.cfg from its content", () => {
    const r = pvbootMenu([fsImage({ "etc/boot.conf": "set timeout=7\nmenuentry 'x' {\n linux /k\n}\n" })], { extra: "(hd0)/etc/boot.conf" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.full).toMatchObject({ format: "grub.cfg", file: "(hd0)/etc/boot.conf", timeout: 7 });
  });
});

describe("booting: a failing entry falls back", () => {
  let kernel: Buffer;
  beforeAll(() => {
    kernel = readFileSync(debianKernel());
  });

  it("the default needs an unknown command: its error names file and line, the fallback boots", () => {
    const cfg = "set default=0\nset fallback=1\nset timeout=0\nmenuentry 'needs wibble' {\n  wibble\n  linux /vmlinuz\n}\nmenuentry 'good' {\n  linux /vmlinuz ro quiet\n}\n";
    const disk = fsImage({ "boot/grub/grub.cfg": cfg, vmlinuz: kernel }, { sizeMiB: 24 });
    const r = spawnSync("node", [PVBOOT, "run", disk, "--json", "--memory", "256"], { encoding: "utf8" });
    expect(r.status, r.stderr.slice(-1500)).toBe(0);
    expect(r.stdout).toContain("Error: grub.cfg:5: unknown command 'wibble'");
    expect(r.stdout).toContain("Falling back to entry 1 ('good')");
    const lines = r.stdout.trimEnd().split("\n");
    const j = JSON.parse(lines[lines.length - 1]);
    expect(j.entry).toBe("good");
    expect(j.start_info.cmd_line).toBe("ro quiet");
  }, 300_000);
});
