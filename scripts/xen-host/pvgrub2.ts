// pvgrub2, the peer to compare pvboot against on the same disks: GRUB 2's x86_64-xen
// platform (or i386-xen, for 32-bit PV guests such as GNU Mach: its `linux` module also gives
// `multiboot` and `module`, which hand GNU Mach a multiboot module list), or i386-xen_pvh, GRUB's
// loader for PVH guests (the peer of pvboot-pvh.elf: it too reads the disk through blkfront, as
// (xen/xvda,...)), made with grub-mkimage from Debian's grub-xen-bin and grub-common (unpacked
// with dpkg -x, nothing installed), with an embedded config. Cached in build/cache/xen-host/ by
// the package versions, the platform and the config.
//
//   tsx scripts/xen-host/pvgrub2.ts [--i386 | --pvh] [CONFIG_FILE]     prints the path of the image
//
// The embedded config runs under GRUB's rescue parser: no if/else and no comments (an
// apostrophe in a comment swallows the rest of the file). The default one reads
// /boot/grub/grub.cfg from the first partition of xvda.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { defaultCacheDir } from "./fetch.js";
import { BUILD_VERSION, candidateVersion, downloadDeb, log } from "./build.js";

const run = promisify(execFile);

export const PVGRUB2_DEFAULT_CONFIG = "set root=(xen/xvda,msdos1)\nconfigfile /boot/grub/grub.cfg\n";
// What a Debian-style grub.cfg or a menu.lst needs, plus a few commands to look around.
const MODULES = [
  "part_msdos", "part_gpt", "ext2", "normal", "configfile", "legacycfg", "linux", "echo", "ls", "cat",
  "search", "search_fs_file", "search_label", "gzio", "xzio", "lzopio", "minicmd", "test", "sleep",
];

export type GrubXenPlatform = "x86_64-xen" | "i386-xen" | "i386-xen_pvh";

export async function ensurePvgrub2(config = PVGRUB2_DEFAULT_CONFIG, opts: { cacheDir?: string; platform?: GrubXenPlatform } = {}): Promise<string> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir;
  const platform = opts.platform ?? "x86_64-xen";
  mkdirSync(cacheDir, { recursive: true });
  const versions = { bin: await candidateVersion("grub-xen-bin"), common: await candidateVersion("grub-common") };
  // The x86_64 key is the one it always had (its cached images stay valid).
  const keyed = platform === "x86_64-xen" ? { BUILD_VERSION, versions, config, MODULES } : { BUILD_VERSION, versions, config, MODULES, platform };
  const hash = createHash("sha256").update(JSON.stringify(keyed)).digest("hex").slice(0, 16);
  const out = join(cacheDir, `pvgrub2-${platform === "x86_64-xen" ? "" : `${platform}-`}${hash}.bin`);
  if (existsSync(out)) return out;

  log(`pvgrub2: grub-xen-bin ${versions.bin}`);
  const work = join(cacheDir, `tmp-pvgrub2-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const root = join(work, "root");
    // grub-common's tools are usable in place: same Debian release, libraries already here.
    const grubBin = join(cacheDir, "grub", versions.bin.replace(/[^0-9A-Za-z.+~-]/g, "_"));
    if (!existsSync(join(grubBin, "usr", "bin", "grub-mkimage"))) {
      for (const pkg of ["grub-xen-bin", "grub-common"]) await run("dpkg", ["-x", await downloadDeb(pkg, work), root]);
      mkdirSync(join(cacheDir, "grub"), { recursive: true });
      rmSync(grubBin, { recursive: true, force: true });
      renameSync(root, grubBin);
    }
    writeFileSync(join(work, "embedded.cfg"), config);
    const tmp = `${out}.tmp-${process.pid}`;
    await run(join(grubBin, "usr", "bin", "grub-mkimage"), [
      "-O", platform, "-d", join(grubBin, "usr", "lib", "grub", platform),
      "-c", join(work, "embedded.cfg"), "-p", "(xen/xvda,msdos1)/boot/grub", "-o", tmp, ...MODULES,
    ]);
    renameSync(tmp, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const platform = args.includes("--i386") ? "i386-xen" : args.includes("--pvh") ? "i386-xen_pvh" : "x86_64-xen";
  const file = args.find((a) => a !== "--i386" && a !== "--pvh");
  const cfg = file ? readFileSync(file, "utf8") : undefined;
  ensurePvgrub2(cfg, { platform }).then(
    (p) => console.log(p),
    (err) => {
      console.error(`pvgrub2: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}
