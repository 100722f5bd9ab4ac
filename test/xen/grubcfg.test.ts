// Issue 18, part 7, on real Xen 4.17 (QEMU TCG): Debian 12 guests whose boot configuration
// Debian's own tools wrote (scripts/images/grub-guests.sh, variants xen and xenbls: Debian's
// kernel, a busybox initramfs as each kernel's initrd, no menu.lst), booted with pvboot as
// `kernel =` and no `extra`:
//   grubcfg  grub.cfg from grub-mkconfig: pvboot finds /boot/grub/grub.cfg itself and boots
//            its default to the initramfs's line
//   pvgrub2  the same disk through pvgrub2 (GRUB 2's Xen platform): the reference
//   bls      kernel-install's Boot Loader Spec entries on a separate /boot, no grub.cfg
// Needs root (the images: loop devices, a chroot) and the Xen test host (make xen-host).

import { beforeAll, describe, expect, it } from "vitest";
import { ensureBusyboxInitrd, ensureHost } from "../../scripts/xen-host/build";
import { ensurePvgrub2 } from "../../scripts/xen-host/pvgrub2";
import { runGuests, type GuestsRun } from "../../scripts/xen-host/guests";
import { XEN_VARIANTS, grubGuestDisks } from "../config/grub-guests";

const MARKER = "initrd: marker-grubcfg";
let run: GuestsRun;

describe("grub.cfg and BLS guests made by Debian's tools boot on real Xen without extra", () => {
  beforeAll(async () => {
    const host = await ensureHost();
    const initrd = await ensureBusyboxInitrd(MARKER);
    const pvgrub2 = await ensurePvgrub2();
    const [xen, xenbls] = await grubGuestDisks(XEN_VARIANTS, { INITRD: initrd });
    const expectLinux = (cmdline: RegExp) => [new RegExp(`^${MARKER}$`), cmdline];
    run = await runGuests([
      { name: "grubcfg", disk: xen, hotplug: "block-quick", memoryMB: 192, timeoutS: 400,
        expect: expectLinux(/^initrd: cmdline: root=\S+ ro console=hvc0 quiet$/) },
      { name: "pvgrub2", kernel: pvgrub2, disk: xen, hotplug: "block-quick", memoryMB: 192, timeoutS: 400,
        expect: expectLinux(/^initrd: cmdline: .*root=\S+ ro console=hvc0 quiet$/) },
      { name: "bls", disk: xenbls, hotplug: "block-quick", memoryMB: 192, timeoutS: 400,
        expect: expectLinux(/^initrd: cmdline: console=hvc0 quiet bls=1 systemd\.machine_id=0123456789abcdef0123456789abcdef$/) },
    ], { host, timeoutMs: 1_500_000, echo: !!process.env.PVBOOT_ECHO, oneAtATime: true });
    if (!run.ok) console.error(run.xen.lines.slice(-60).join("\n"));
  }, 2_400_000);

  it("every guest reaches its initramfs with its entry's command line", () => {
    expect(run.ok, run.reason).toBe(true);
  });

  it("pvboot found grub.cfg and the BLS entries itself, and booted their defaults", () => {
    const text = (n: string) => run.guests.find((g) => g.name === n)!.lines.map((l) => l.text).join("\n");
    expect(text("grubcfg")).toContain(" Booting 'Debian GNU/Linux'");
    expect(text("grubcfg")).not.toContain("pvboot: command line:");
    expect(text("bls")).toContain(" Booting 'Debian GNU/Linux 12 (bookworm)'");
  });
});
