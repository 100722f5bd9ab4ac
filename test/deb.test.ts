// Shipping (issue 22, part 6): `make deb` builds build/pvboot_VERSION_all.deb (lintian passes,
// scripts/deb/build.sh), and apt-get installs it into a Debian 12 chroot, where the compressed
// images, the xl.cfg examples and the man page are found, byte for byte what `make` built.
// Also: each compressed image unpacks to its ELF image.
//
// The chroot is debootstrap --variant=minbase bookworm from the mirror this machine's apt
// configuration names (scripts/xen-host/apt-sources.ts), made once and cached as
// build/cache/deb-chroot/bookworm-minbase-v1.tar (a few minutes the first time); each run
// unpacks it into a fresh directory, installs, checks and removes it (about 20 s). Needs root.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { mirrorFor } from "../scripts/xen-host/apt-sources";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILD = join(ROOT, "build");
const CACHE = join(BUILD, "cache", "deb-chroot");
const CHROOT_TAR = join(CACHE, "bookworm-minbase-v1.tar");
const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
const DEB = join(BUILD, `pvboot_${VERSION}_all.deb`);
const IMAGES = readdirSync(BUILD).filter((f) => /^pvboot-[a-z0-9_]+\.elf\.gz$/.test(f)).sort();
const EXAMPLES = readdirSync(join(ROOT, "scripts/deb/examples")).filter((f) => f.endsWith(".cfg")).sort();

async function ensureChrootTar(): Promise<void> {
  if (existsSync(CHROOT_TAR)) return;
  mkdirSync(CACHE, { recursive: true });
  const work = join(CACHE, `tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  try {
    await run("debootstrap", ["--variant=minbase", "bookworm", work, mirrorFor("bookworm").uri], { maxBuffer: 64 << 20 });
    await run("chroot", [work, "apt-get", "clean"]);
    await run("tar", ["-C", work, "-cf", `${CHROOT_TAR}.tmp`, "."]);
    renameSync(`${CHROOT_TAR}.tmp`, CHROOT_TAR);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe("the Debian package", () => {
  let chroot = "";
  let lintian = "";

  beforeAll(async () => {
    expect(IMAGES.length, "no build/pvboot-*.elf.gz: run make").toBeGreaterThan(0);
    rmSync(DEB, { force: true });
    const [made] = await Promise.all([
      run("make", ["-s", "--no-print-directory", "deb"], { cwd: ROOT, maxBuffer: 16 << 20 }),
      ensureChrootTar(),
    ]);
    lintian = made.stdout + made.stderr;
    chroot = mkdtempSync(join(BUILD, "deb-chroot-"));
    await run("tar", ["-C", chroot, "-xf", CHROOT_TAR]);
  }, 900_000);

  afterAll(() => {
    if (chroot) rmSync(chroot, { recursive: true, force: true });
  });

  it("is built as pvboot_VERSION_all.deb, and lintian has nothing to say", async () => {
    expect(existsSync(DEB)).toBe(true);
    const { stdout } = await run("dpkg-deb", ["--field", DEB, "Package", "Version", "Architecture"]);
    expect(stdout).toBe(`Package: pvboot\nVersion: ${VERSION}\nArchitecture: all\n`);
    // build.sh runs lintian --fail-on error,warning: make would have failed; nothing printed.
    expect(lintian).toMatch(/pvboot_.*_all\.deb: \d+ bytes/);
    expect(lintian).not.toMatch(/^[EW]: /m);
  });

  it("installs with apt-get into a Debian 12 chroot, every image, example and the man page", async () => {
    copyFileSync(DEB, join(chroot, "tmp", "pvboot.deb"));
    await run("chroot", [chroot, "apt-get", "install", "-y", "--no-install-recommends", "/tmp/pvboot.deb"],
      { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, maxBuffer: 16 << 20 });
    const { stdout: status } = await run("chroot", [chroot, "dpkg-query", "-W", "-f", "${Status} ${Version}", "pvboot"]);
    expect(status).toBe(`install ok installed ${VERSION}`);
    const { stdout: listed } = await run("chroot", [chroot, "dpkg", "-L", "pvboot"]);
    const files = listed.split("\n");

    for (const img of IMAGES) {
      const at = `/usr/lib/pvboot/${img}`;
      expect(files).toContain(at);
      expect(readFileSync(join(chroot, at)).equals(readFileSync(join(BUILD, img))), at).toBe(true);
    }
    expect(readdirSync(join(chroot, "usr/lib/pvboot")).sort()).toEqual(IMAGES);
    for (const ex of EXAMPLES) {
      const at = `/usr/share/doc/pvboot/examples/${ex}`;
      expect(files).toContain(at);
      const text = readFileSync(join(chroot, at), "utf8");
      // Each example names an image the package installed.
      const kernel = text.match(/^kernel = "([^"]+)"$/m)?.[1];
      expect(kernel, at).toBeDefined();
      expect(existsSync(join(chroot, kernel!)), `${at}: ${kernel}`).toBe(true);
    }
    const man = gunzipSync(readFileSync(join(chroot, "usr/share/man/man1/pvboot.1.gz"))).toString("utf8");
    expect(man).toBe(readFileSync(join(ROOT, "docs/pvboot.1"), "utf8"));
    expect(existsSync(join(chroot, "usr/share/doc/pvboot/copyright"))).toBe(true);
  }, 120_000);

  it("carries compressed images that unpack to the ELF images make built", async () => {
    for (const img of IMAGES) {
      const { stdout } = await run("gzip", ["-dc", join(BUILD, img)], { encoding: "buffer", maxBuffer: 64 << 20 });
      const elf = readFileSync(join(BUILD, img.replace(/\.gz$/, "")));
      expect(stdout.equals(elf), img).toBe(true);
      expect(elf.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    }
  });
});
