// The real Xen test host's pieces that need no QEMU: the xl config a guest gets, and that
// dom0's /init and the block-quick hotplug script are valid sh. (test/xen/ boots them.)

import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { xlConfig } from "../scripts/xen-host/guests";
import { BLOCK_QUICK, DOM0_INIT } from "../scripts/xen-host/dom0-init";
import { mirrorFor, parseDeb822, parseOneLine, readAptSources } from "../scripts/xen-host/apt-sources";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("xen-host", () => {
  it("writes the xl config the reference host runs with", () => {
    expect(xlConfig({ name: "g1", disk: "x.img", extra: 'pvboot.tool=ls pvboot.path="/"', hotplug: "block-quick" }, "k0-pvboot.elf"))
      .toBe([
        'name = "g1"',
        'type = "pv"',
        'kernel = "/guest/k0-pvboot.elf"',
        "memory = 256",
        "vcpus = 1",
        "disk = [ 'format=raw,vdev=xvda,access=rw,script=block-quick,target=/guest/g1.img' ]",
        'extra = "pvboot.tool=ls pvboot.path=\\"/\\""',
        'on_poweroff = "destroy"',
        'on_reboot = "destroy"',
        'on_crash = "destroy"',
        "",
      ].join("\n"));
    const plain = xlConfig({ name: "g2", memoryMB: 64 }, "k1", "g2.ramdisk");
    expect(plain).toContain('ramdisk = "/guest/g2.ramdisk"\nmemory = 64\n');
    expect(plain).not.toContain("\ndisk =");
    expect(plain).not.toContain("extra =");
  });

  it("has dom0 scripts that sh accepts", () => {
    for (const script of [DOM0_INIT, BLOCK_QUICK]) {
      expect(script.startsWith("#!/bin/sh\n")).toBe(true);
      execFileSync("sh", ["-n"], { input: script });
    }
    // The things the reference host needs, in order: /dev links before xl, xenstored before
    // xen-init-dom0, xenconsoled logging guests.
    const at = (s: string) => DOM0_INIT.indexOf(s);
    expect(at("ln -sf /proc/self/fd /dev/fd")).toBeGreaterThan(0);
    expect(at("xenstored")).toBeLessThan(at("xen-init-dom0"));
    expect(at("xenconsoled --log=guest")).toBeGreaterThan(at("xen-init-dom0"));
  });

  it("reads apt's one-line and deb822 sources as apt does, and picks the mirror for a suite", () => {
    const one = parseOneLine([
      "# a comment",
      "deb [arch=amd64 signed-by=/k/one.gpg] http://mirror.example/debian/ bookworm main contrib # trailing",
      "deb-src http://mirror.example/debian bookworm main",
      "deb cdrom:[Debian]/ bookworm main",
      "",
    ].join("\n"), "sources.list");
    expect(one.map((s) => [s.type, s.uri, s.suite, s.components.join(","), s.signedBy ?? "", (s.archs ?? []).join(",")])).toEqual([
      ["deb", "http://mirror.example/debian", "bookworm", "main,contrib", "/k/one.gpg", "amd64"],
      ["deb-src", "http://mirror.example/debian", "bookworm", "main", "", ""],
      ["deb", "cdrom:[Debian]", "bookworm", "main", "", ""],
    ]);
    const d = parseDeb822([
      "Types: deb deb-src",
      "# http://snapshot.example/ (a comment inside the stanza)",
      "URIs: http://a.example/debian",
      "Suites: bookworm bookworm-updates",
      "Components: main",
      "Signed-By:",
      " -----BEGIN PGP PUBLIC KEY BLOCK-----",
      " .",
      " xyz",
      "",
      "Enabled: no",
      "Types: deb",
      "URIs: http://disabled.example/debian",
      "Suites: bookworm",
      "Components: main",
      "",
      "Types: deb",
      "URIs: http://sec.example/debian-security",
      "Suites: bookworm-security",
      "Components: main",
    ].join("\n"), "x.sources");
    expect(d.map((s) => `${s.type} ${s.uri} ${s.suite}`)).toEqual([
      "deb http://a.example/debian bookworm", "deb http://a.example/debian bookworm-updates",
      "deb-src http://a.example/debian bookworm", "deb-src http://a.example/debian bookworm-updates",
      "deb http://sec.example/debian-security bookworm-security",
    ]);
    expect(d[0].signedBy).toBe("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxyz");
    expect(mirrorFor("bookworm", "main", d).uri).toBe("http://a.example/debian");
    expect(mirrorFor("bookworm-security", "main", d).uri).toBe("http://sec.example/debian-security");
    expect(() => mirrorFor("trixie", "main", d)).toThrow(/no apt source serves 'trixie'/);

    // A list file and a parts directory: only *.list and *.sources count, as in apt.
    const dir = mkdtempSync(join(tmpdir(), "pvboot-apt-"));
    try {
      mkdirSync(join(dir, "parts"));
      writeFileSync(join(dir, "sources.list"), "deb http://l.example/debian bookworm main\n");
      writeFileSync(join(dir, "parts", "b.sources"), "Types: deb\nURIs: http://s.example/d\nSuites: bookworm-security\nComponents: main\n");
      writeFileSync(join(dir, "parts", "c.list.disabled"), "deb http://off.example/debian bookworm main\n");
      const all = readAptSources({ list: join(dir, "sources.list"), parts: join(dir, "parts") });
      expect(all.map((s) => s.uri)).toEqual(["http://l.example/debian", "http://s.example/d"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names no mirror host in the scripts: the mirror comes from the machine's apt sources", () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (/\.(ts|sh|mjs|c)$/.test(e.name)) files.push(join(d, e.name));
      }
    };
    walk(join(__dirname, "..", "scripts"));
    const hits = files.filter((f) => /https?:\/\/[^\s"'`]*(debian|ubuntu|mirror)/i.test(readFileSync(f, "utf8")));
    expect(hits).toEqual([]);
  });
});
