// Shipping (issue 22, part 6): `npm pack` makes a package whose `npm install -g` gives a
// working `pvboot` command. The tarball is installed into a temporary prefix (its one runtime
// dependency, tsx, comes from the npm registry), then the installed command prints its help,
// lists a small ext2 image made here by mke2fs -d, and its man page is where man looks.
// About 30 s (npm install).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("the npm package", () => {
  let dir = "";
  let tarball = "";
  let files: string[] = [];
  let bin = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pvboot-npm-"));
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: ROOT, maxBuffer: 16 << 20 });
    const packed = JSON.parse(stdout)[0];
    tarball = join(dir, packed.filename);
    files = packed.files.map((f: { path: string }) => f.path);
    const prefix = join(dir, "prefix");
    // A fresh cache, so the install fetches what the package declares and nothing from this tree.
    await run("npm", ["install", "-g", "--prefix", prefix, "--cache", join(dir, "npm-cache"), "--no-audit", "--no-fund", tarball],
      { cwd: dir, maxBuffer: 16 << 20 });
    bin = join(prefix, "bin", "pvboot");
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("packs the command, the core, the compressed images and the man page, and no tests", () => {
    for (const f of ["scripts/pvboot.mjs", "scripts/cli/main.ts", "test/harness/run.ts", "build/pvboot.wasm",
      "build/pvboot-x86_64.elf.gz", "docs/pvboot.1", "package.json", "LICENSE", "README.md"]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.endsWith(".test.ts"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("build/cache/"))).toEqual([]);
  });

  it("installs a pvboot command that prints its help", async () => {
    expect(existsSync(bin)).toBe(true);
    const { stdout } = await run(bin, ["--help"], { cwd: dir });
    expect(stdout).toContain("usage: pvboot <command> [options]");
    expect(stdout).toContain("ls DISK [PATH]");
    expect(readFileSync(join(dir, "prefix", "share", "man", "man1", "pvboot.1"), "utf8"))
      .toBe(readFileSync(join(ROOT, "docs/pvboot.1"), "utf8"));
  });

  it("lists a directory of a small ext2 image with the installed command", async () => {
    const tree = join(dir, "tree");
    mkdirSync(join(tree, "boot", "grub"), { recursive: true });
    writeFileSync(join(tree, "boot", "grub", "menu.lst"), "title packed\nkernel /boot/vmlinuz\n");
    writeFileSync(join(tree, "boot", "hello.txt"), "hello from the packed pvboot\n");
    const img = join(dir, "small.img");
    await run("mke2fs", ["-q", "-F", "-t", "ext2", "-d", tree, img, "4M"]);
    const { stdout } = await run(bin, ["ls", img, "(hd0)/boot"], { cwd: dir });
    const names = stdout.trimEnd().split("\n").map((l) => l.split(/\s+/).pop());
    expect(names).toEqual(expect.arrayContaining(["grub/", "hello.txt"]));
    expect(stdout).toMatch(/ 29 hello\.txt$/m);
    const cat = await run(bin, ["cat", img, "(hd0)/boot/hello.txt"], { cwd: dir });
    expect(cat.stdout).toBe("hello from the packed pvboot\n");
  }, 60_000);
});
