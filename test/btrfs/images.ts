// btrfs test images, made by scripts/images/btrfs.sh (Debian's btrfs-progs and the kernel's
// btrfs driver on a loop mount: needs root) and cached under build/cache/btrfs/ by a hash of
// the scripts that make them. Each comes with the manifest of what the kernel read from it.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./wasm";

export const IMAGE_DIR = join(ROOT, "build/cache/btrfs");

export interface ManifestEntry { t: number; s: number; c?: number; l?: string }
export interface BuiltImage { name: string; path: string; manifest: Record<string, ManifestEntry> }

function scriptsHash(): string {
  const h = createHash("sha256");
  for (const f of ["btrfs.sh", "btrfs-tree.mjs", "btrfs-manifest.mjs"]) h.update(readFileSync(join(ROOT, "scripts/images", f)));
  return h.digest("hex").slice(0, 12);
}

export function buildImage(name: string): BuiltImage {
  mkdirSync(IMAGE_DIR, { recursive: true });
  const path = join(IMAGE_DIR, `${name}-${scriptsHash()}.img`);
  if (!existsSync(path) || !existsSync(path + ".json")) {
    // Older versions of this image are of no use any more.
    for (const f of readdirSync(IMAGE_DIR)) {
      if (f.startsWith(name + "-") && !f.startsWith(`${name}-${scriptsHash()}`) && /^[\w-]+-[0-9a-f]{12}\.img/.test(f)) rmSync(join(IMAGE_DIR, f), { force: true });
    }
    execFileSync(join(ROOT, "scripts/images/btrfs.sh"), [name, path], { stdio: ["ignore", "pipe", "pipe"] });
  }
  return { name, path, manifest: JSON.parse(readFileSync(path + ".json", "utf8")) };
}

// The matrix read back against the kernel's reading of each image.
export const MATRIX: { name: string; expect: RegExp; min?: number }[] = [
  { name: "n4k-single", expect: /nodes of 4096, crc32c, data single, metadata single/ },
  { name: "n16k-dup", expect: /nodes of 16384, crc32c, data single, metadata DUP/ },
  { name: "n64k-dup", expect: /nodes of 65536, crc32c, data single, metadata DUP/ },
  { name: "csum-xxhash", expect: /xxhash64/ },
  { name: "csum-sha256", expect: /sha256/ },
  { name: "csum-blake2", expect: /blake2b/ },
  { name: "zlib", expect: /crc32c/ },
  { name: "lzo", expect: /compress_lzo/ },
  { name: "zstd", expect: /compress_zstd/ },
  { name: "property-zstd", expect: /compress_zstd/, min: 200 }, // /boot and /small only
  { name: "subvol-suse", expect: /default subvolume 2\d\d/ },
];

// The fs trees' extent items as btrfs-progs prints them: how many use each compression.
export function compressionCounts(path: string): Record<string, number> {
  const out = execFileSync("btrfs", ["inspect-internal", "dump-tree", path], { encoding: "utf8", maxBuffer: 1 << 28 });
  const counts: Record<string, number> = {};
  for (const m of out.matchAll(/compression (\d+) \((\w+)\)/g)) counts[m[2]] = (counts[m[2]] ?? 0) + 1;
  return counts;
}
