// The images' sizes in bytes against pvgrub2's, made in the same run (issue 22, part 2):
//
//   image-size-gz pvboot B pvgrub2 B ratio R         the compressed file a user names in
//                                                     `kernel =`: build/pvboot-x86_64.elf.gz
//                                                     against pvgrub2's image compressed by the
//                                                     same command (the Makefile's GZ_COMMAND)
//   image-size-elf pvboot B pvgrub2 B ratio R        the uncompressed ELF images
//   image-size-gz-x86_32 / image-size-elf-x86_32      the same for the 32-bit PAE image, against
//                                                     GRUB's i386-xen image
//   image-size-gz-pvh / image-size-elf-pvh            the same for the PVH image, against GRUB's
//                                                     i386-xen_pvh image
//
// pvgrub2 is grub-mkimage's image with the modules bench-xen boots it with
// (scripts/xen-host/pvgrub2.ts, cached in build/cache/xen-host/). Bounds (issue 22), for every
// image: the compressed file at most 256 KiB (262144 bytes), the ELF at most 600 KB (600000
// bytes). After the lines, each image over a bound is named and the benchmark exits 1 (make
// bench fails). docs/image.md has today's figures against them.

import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ensurePvgrub2, type GrubXenPlatform } from "../xen-host/pvgrub2.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const [GZ, ...GZ_ARGS] = execFileSync("make", ["-s", "--no-print-directory", "gz-command"], { cwd: ROOT, encoding: "utf8" }).trim().split(/\s+/);
const ratio = (a: number, b: number) => (a / b).toFixed(2);

const GZ_BOUND = 262144, ELF_BOUND = 600000;
let failed = false;
const over: string[] = [];
const IMAGES: [string, GrubXenPlatform, string][] = [["x86_64", "x86_64-xen", ""], ["x86_32", "i386-xen", "-x86_32"], ["pvh", "i386-xen_pvh", "-pvh"]];
for (const [arch, platform, suffix] of IMAGES) {
  const elf = `${ROOT}build/pvboot-${arch}.elf`;
  if (!existsSync(elf) || !existsSync(`${elf}.gz`)) {
    console.error(`bench image-size: FAILED: no ${elf} or ${elf}.gz: run make first`);
    failed = true;
    continue;
  }
  const pvgrub2 = await ensurePvgrub2(undefined, { platform });
  const grubGz = execFileSync(GZ, [...GZ_ARGS, pvgrub2], { maxBuffer: 64 << 20 }).length;
  const pg = statSync(`${elf}.gz`).size, pe = statSync(elf).size, ge = statSync(pvgrub2).size;
  console.log(`image-size-gz${suffix} pvboot ${pg} pvgrub2 ${grubGz} ratio ${ratio(pg, grubGz)}`);
  console.log(`image-size-elf${suffix} pvboot ${pe} pvgrub2 ${ge} ratio ${ratio(pe, ge)}`);
  if (pg > GZ_BOUND) over.push(`${elf}.gz is ${pg} bytes, over ${GZ_BOUND}`);
  if (pe > ELF_BOUND) over.push(`${elf} is ${pe} bytes, over ${ELF_BOUND}`);
}
for (const o of over) console.error(`bench image-size: FAILED: ${o}`);
if (failed || over.length) process.exit(1);
