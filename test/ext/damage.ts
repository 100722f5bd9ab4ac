// Helpers for the damage tests: writable copies of test images and the debugfs queries that
// find what to damage (inode numbers, block numbers of indirect and extent blocks).

import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { debugfs, IMAGE_DIR, type BuiltImage } from "./images";

export function damagedCopy(base: BuiltImage, label: string): string {
  const dir = join(IMAGE_DIR, "damage");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${label}.img`);
  copyFileSync(base.path, path);
  return path;
}

export function inodeOf(image: string, path: string): number {
  const m = /Inode: (\d+)/.exec(debugfs(image, `stat "${path}"`, false));
  if (!m) throw new Error(`debugfs: no inode for ${path}`);
  return Number(m[1]);
}

export function bmap(image: string, path: string, lblk: number): number {
  const out = debugfs(image, `bmap "${path}" ${lblk}`, false).trim().split("\n").filter((l) => /^\d+$/.test(l.trim()));
  if (out.length === 0) throw new Error(`debugfs: no block ${lblk} for ${path}`);
  return Number(out[out.length - 1]);
}

// (IND), (DIND), (TIND) blocks from debugfs stat, in the order listed.
export function indirectBlocks(image: string, path: string): { kind: string; block: number }[] {
  const out = debugfs(image, `stat "${path}"`, false);
  return [...out.matchAll(/\((IND|DIND|TIND)\):(\d+)/g)].map((m) => ({ kind: m[1], block: Number(m[2]) }));
}

// Extent tree blocks below the inode (debugfs "ex": rows above the leaf level name them).
export function extentNodeBlocks(image: string, path: string): number[] {
  const out = debugfs(image, `ex "${path}"`, false);
  const blocks: number[] = [];
  for (const line of out.split("\n")) {
    const m = /^\s*(\d+)\/\s*(\d+)\s+\d+\/\s*\d+\s+\d+\s+-\s+\d+\s+(\d+)/.exec(line);
    if (m && Number(m[1]) < Number(m[2])) blocks.push(Number(m[3]));
  }
  return blocks;
}
