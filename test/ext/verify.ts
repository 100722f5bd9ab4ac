// Check a mounted image against the source tree it was made from: every directory listing,
// every file byte for byte, every symlink's target and where it leads, hard links.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ExtImage, T } from "./wasm";
import { scanTree, type TreeManifest } from "./tree";
import { debugfs } from "./images";

const TYPE_OF: Record<string, number> = { file: T.file, dir: T.dir, symlink: T.symlink, fifo: T.fifo };

export interface VerifyReport { files: number; dirs: number; links: number; bytes: number; problems: string[] }

// What debugfs says a file's size is (for images whose sizes mke2fs got wrong).
function debugfsSize(image: string, path: string): number {
  const m = /Size: (\d+)/.exec(debugfs(image, `stat "${path}"`, false));
  return m ? Number(m[1]) : -1;
}

export interface VerifyOptions {
  image?: string; // the image file, for debugfs
  sparseTailQuirk?: boolean; // see ImageSpec.sparseTailQuirk
}

export function verifyImage(img: ExtImage, tree: TreeManifest, opt: VerifyOptions = {}): VerifyReport {
  const problems: string[] = [];
  const report: VerifyReport = { files: 0, dirs: 0, links: 0, bytes: 0, problems };
  const src = scanTree(tree.dir);
  const inoOf = new Map<string, number>();

  for (const [path, ent] of src) {
    const l = img.lookup(path, false);
    if (l.error !== null) {
      problems.push(`${path}: lookup: ${l.error}`);
      continue;
    }
    inoOf.set(path, l.ino);
    const st = img.stat(l.ino);
    if (st.error !== null) {
      problems.push(`${path}: stat: ${st.error}`);
      continue;
    }
    if (st.type !== TYPE_OF[ent.type]) problems.push(`${path}: type ${st.type}, expected ${ent.type}`);

    if (ent.type === "dir") {
      report.dirs++;
      const d = img.list(l.ino);
      if (d.error !== null) {
        problems.push(`${path}: list: ${d.error}`);
        continue;
      }
      const names = d.entries.map((e) => e[0]).filter((n) => n !== "." && n !== ".." && !(path === "/" && n === "lost+found"));
      const want = [...ent.children!];
      if (names.length !== new Set(names).size) problems.push(`${path}: duplicate names in the listing`);
      const got = [...names].sort(), exp = want.sort();
      if (JSON.stringify(got) !== JSON.stringify(exp)) {
        const missing = exp.filter((n) => !got.includes(n)), extra = got.filter((n) => !exp.includes(n));
        problems.push(`${path}: listing differs: missing ${JSON.stringify(missing.slice(0, 5))}, extra ${JSON.stringify(extra.slice(0, 5))}`);
      }
      const dot = d.entries.find((e) => e[0] === ".");
      if (!dot || dot[1] !== l.ino) problems.push(`${path}: "." is not the directory itself`);
      for (const [name, ino, type] of d.entries) {
        if (name === "." || name === ".." || (path === "/" && name === "lost+found")) continue;
        const child = src.get((path === "/" ? "" : path) + "/" + name);
        if (child && type !== TYPE_OF[child.type]) problems.push(`${path}/${name}: entry type ${type}, expected ${child.type}`);
        if (ino === 0) problems.push(`${path}/${name}: inode 0`);
      }
    } else if (ent.type === "file") {
      report.files++;
      let want = readFileSync(join(tree.dir, path));
      if (st.size !== ent.size && opt.sparseTailQuirk && opt.image && st.size === debugfsSize(opt.image, path) &&
          st.size < ent.size && want.subarray(st.size).every((b) => b === 0)) {
        want = want.subarray(0, st.size); // only a trailing hole is missing: the image's own quirk
      }
      if (st.size !== want.length) problems.push(`${path}: size ${st.size}, expected ${ent.size}`);
      const r = img.readFile(l.ino);
      if (r.error !== null) {
        problems.push(`${path}: readFile: ${r.error}`);
        continue;
      }
      report.bytes += r.size;
      if (!r.data!.equals(want)) {
        let at = 0;
        while (at < want.length && r.data![at] === want[at]) at++;
        problems.push(`${path}: content differs from the source (first at byte ${at} of ${want.length})`);
      }
    } else if (ent.type === "symlink") {
      report.links++;
      const t = img.readLink(l.ino);
      if (t.error !== null) problems.push(`${path}: readLink: ${t.error}`);
      else if (t.target !== ent.target) problems.push(`${path}: target ${JSON.stringify(t.target)}, expected ${JSON.stringify(ent.target)}`);
    }
  }

  // Where each symlink leads.
  for (const link of tree.links) {
    const r = img.lookup(link.path, true);
    if (link.resolves !== null) {
      const want = img.lookup(link.resolves, false);
      if (r.error !== null) problems.push(`${link.path}: lookup: ${r.error}`);
      else if (r.ino !== want.ino) problems.push(`${link.path}: leads to inode ${r.ino}, expected ${link.resolves} (inode ${want.ino})`);
    } else {
      const pattern = link.error === "loop" ? /too many levels of symbolic links/ : /not found/;
      if (r.error === null || !pattern.test(r.error)) problems.push(`${link.path}: expected a ${link.error} error, got ${r.error ?? "inode " + r.ino}`);
    }
  }
  for (const [a, b] of tree.hardLinks) {
    if (inoOf.get(a) !== inoOf.get(b)) problems.push(`hard link ${a} and ${b}: inodes ${inoOf.get(a)} and ${inoOf.get(b)}`);
  }

  // The module's own walk (readRange in 1 MiB pieces, crc32c) must agree with the source.
  const walked = img.walk();
  const seen = new Set<string>();
  for (const w of walked) {
    if (w.p === "/lost+found" || w.p.startsWith("/lost+found/")) continue;
    seen.add(w.p);
    const ent = src.get(w.p);
    if (!ent) {
      problems.push(`walk: ${w.p} is not in the source`);
      continue;
    }
    if (ent.type === "file") {
      const data = readFileSync(join(tree.dir, w.p)).subarray(0, w.s);
      if (w.e) problems.push(`walk: ${w.p}: ${w.e}`);
      else if (w.s !== ent.size && !opt.sparseTailQuirk) problems.push(`walk: ${w.p}: size ${w.s}`);
      else if (w.c !== img.crc(data)) problems.push(`walk: ${w.p}: crc32c differs`);
    }
    if (ent.type === "symlink" && w.l !== ent.target) problems.push(`walk: ${w.p}: target ${w.l}`);
  }
  for (const p of src.keys()) if (p !== "/" && !seen.has(p)) problems.push(`walk: ${p} not reached`);
  return report;
}
