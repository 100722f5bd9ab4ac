// `make fuzz-report`: the table of fuzz campaigns in docs/fuzzing.md, from the campaigns' logs
// (build/fuzz/logs/campaign-<target>.log, written by `make fuzz-campaign`, one libFuzzer run
// per target). For each: how long it ran, executions, exec/s, the corpus it ended with, the
// edges covered (libFuzzer's `cov:`), and the findings (crashes, timeouts, out-of-memory) the
// run reported. The table replaces what is between the markers in docs/fuzzing.md.
//
//   npx tsx scripts/fuzz/report.ts [LOGDIR]

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOC = join(ROOT, "docs/fuzzing.md");
const BEGIN = "<!-- fuzz-report: begin (make fuzz-report writes this table) -->";
const END = "<!-- fuzz-report: end -->";

export interface Campaign {
  target: string;
  date: string; // the log's time, UTC, to the minute
  seconds: number;
  executions: number;
  execPerSec: number;
  corpus: number;
  edges: number;
  findings: number;
}

export function parseLog(target: string, text: string, mtime: Date): Campaign {
  const num = (re: RegExp) => Number(text.match(re)?.[1] ?? 0);
  let corpus = 0, edges = 0;
  for (const m of text.matchAll(/^#\d+\s+\w+\s+cov: (\d+) ft: \d+ corp: (\d+)\//gm)) {
    edges = Number(m[1]);
    corpus = Number(m[2]);
  }
  const findings = (text.match(/^==\d+== ERROR: libFuzzer:|^ERROR: libFuzzer:|^==\d+==\s*ERROR: libFuzzer/gm) ?? []).length;
  return {
    target,
    date: mtime.toISOString().slice(0, 16).replace("T", " "),
    seconds: num(/^Done \d+ runs in (\d+) second/m),
    executions: num(/stat::number_of_executed_units:\s*(\d+)/),
    execPerSec: num(/stat::average_exec_per_sec:\s*(\d+)/),
    corpus,
    edges,
    findings,
  };
}

function millions(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} k` : String(n);
}

export function table(rows: Campaign[]): string {
  const lines = [
    "| target | campaign (UTC) | seconds | executions | exec/s | corpus | edges | findings |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.target} | ${r.date} | ${r.seconds} | ${millions(r.executions)} (${r.executions}) | ${r.execPerSec} | ${r.corpus} | ${r.edges} | ${r.findings} |`),
  ];
  return lines.join("\n");
}

function main(): void {
  const dir = process.argv[2] ?? join(ROOT, "build/fuzz/logs");
  const logs = existsSync(dir) ? readdirSync(dir).filter((f) => /^campaign-[a-z0-9]+\.log$/.test(f)).sort() : [];
  if (logs.length === 0) {
    console.error(`fuzz-report: no campaign logs in ${dir} (make fuzz-campaign writes them)`);
    process.exit(1);
  }
  const rows = logs.map((f) => parseLog(f.slice(9, -4), readFileSync(join(dir, f), "utf8"), statSync(join(dir, f)).mtime));
  const doc = readFileSync(DOC, "utf8");
  const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC}: the markers of the table are missing`);
  writeFileSync(DOC, doc.slice(0, a + BEGIN.length) + "\n" + table(rows) + "\n" + doc.slice(b));
  console.log(table(rows));
}

if (process.argv[1] && process.argv[1].endsWith("report.ts")) main();
