// The real Xen test host's pieces that need no QEMU: the xl config a guest gets, and that
// dom0's /init and the block-quick hotplug script are valid sh. (test/xen/ boots them.)

import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { xlConfig } from "../scripts/xen-host/guests";
import { BLOCK_QUICK, DOM0_INIT } from "../scripts/xen-host/dom0-init";

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
});
