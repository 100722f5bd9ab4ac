// Child process of the fuzz test: for each job (base image, seed), corrupt the image, mount
// it and exercise every part of the reader. One JSON line per job on stdout, preceded by a
// "start" line, so the parent can tell which job hung if one ever does.
//
//   node --import tsx test/ext/fuzz-run.ts JOBS.json

import { readFileSync } from "node:fs";
import { ExtImage } from "./wasm";
import { mutate, type MetaMap } from "./fuzz";

interface Job { base: string; map: MetaMap; seed: number }

const PATHS = ["/sizes/f-100", "/sizes/f-71680", "/links/rel", "/links/abs", "/links/chain1", "/links/loop1", "/deep/a/b/c/d/e/f/g/h/leaf",
  "/bigdir/entry-00010", "/names/héllo wörld", "/sparse/far", "/sparse/striped", "/hardlink", "/fifo", "/", "/deep/../sizes/./f-1"];

export function exercise(image: Buffer): Record<string, unknown> {
  const img = new ExtImage(image);
  if (!img.mounted) return { mounted: false, error: img.mountInfo.error };
  const walked = img.walk(5000, 1n << 22n, 1n << 26n);
  let found = 0, errors = walked.filter((w) => w.e !== undefined || w.re !== undefined).length;
  for (const p of PATHS) {
    const l = img.lookup(p);
    if (l.error !== null) { errors++; continue; }
    found++;
    const st = img.stat(l.ino);
    if (st.error !== null) continue;
    if (st.type === 1) {
      const r = img.readFile(l.ino);
      if (r.error === null && r.size !== st.size) throw new Error(`${p}: readFile gave ${r.size} bytes of ${st.size}`);
      img.readRange(l.ino, BigInt(st.size), 1); // past the end: refused, never a trap
      if (st.size > 10) img.readRange(l.ino, BigInt(st.size - 10), 10);
    } else if (st.type === 2) {
      img.list(l.ino);
    } else if (st.type === 7) {
      img.readLink(l.ino);
    }
  }
  for (const ino of [1, 2, 3, 7, 11, 12, 13, 50, 100, 0xffffffff]) { img.stat(ino); img.list(ino); img.readLink(ino); img.readFile(ino); }
  return { mounted: true, entries: walked.length, found, errors, warnings: img.stats().warnings.length };
}

if (process.argv[2]) {
  const jobs = JSON.parse(readFileSync(process.argv[2], "utf8")) as Job[];
  const bases = new Map<string, Buffer>();
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    if (!bases.has(job.base)) bases.set(job.base, readFileSync(job.base));
    const { image, changes } = mutate(bases.get(job.base)!, job.map, job.seed);
    process.stdout.write(JSON.stringify({ start: i }) + "\n");
    const t0 = Date.now();
    let result: Record<string, unknown>;
    try {
      result = exercise(image);
    } catch (e) {
      result = { trap: (e as Error).message, changes };
    }
    process.stdout.write(JSON.stringify({ done: i, ms: Date.now() - t0, ...result }) + "\n");
  }
}
