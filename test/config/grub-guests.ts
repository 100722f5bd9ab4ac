// The disks scripts/images/grub-guests.sh makes with Debian's own tools (debootstrap, GRUB 2's
// grub-mkconfig, grub-set-default, grub-reboot, kernel-install in a chroot; root needed),
// cached under build/cache/grub-guests. A cold build takes minutes, so it runs as a child
// process that the test awaits.

import { fileURLToPath } from "node:url";
import { debianKernel } from "../../scripts/kernels/fetch";
import { execChecked } from "../lib/exec";

const SCRIPT = fileURLToPath(new URL("../../scripts/images/grub-guests.sh", import.meta.url));

// The variants test/grubcfg-guests.test.ts reads, and those test/xen/grubcfg.test.ts boots
// (these need INITRD: the busybox initramfs that reports the boot).
export const EMULATED_VARIANTS = ["sub", "flat", "path", "gptboot", "bls", "fedora"];
export const XEN_VARIANTS = ["xen", "xenbls"];

// The image path of each variant asked for, in the same order.
export async function grubGuestDisks(variants: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const out = await execChecked("bash", [SCRIPT, debianKernel(), ...variants], {
    env: { ...process.env, ...env }, timeoutMs: 1_800_000,
  });
  return out.trim().split("\n");
}
