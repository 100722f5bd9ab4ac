// `make fuzz-report`: the table of fuzz campaigns in docs/fuzzing.md, from the campaigns' logs
// (build/fuzz/logs/campaign-<target>-<part>.log, written by `make fuzz-campaign`; an older
// campaign-<target>.log counts as part 0). A campaign is one or more libFuzzer runs (parts) of
// a target over the same working corpus, each resuming where the last stopped, so a campaign
// of 10 million executions can be run in pieces. For each target: the parts, when the last
// ended, the seconds and executions of all parts, exec/s over them, the corpus and edges
// covered (libFuzzer's `cov:`) at the end of the last part, and the findings (crashes,
// timeouts, out-of-memory) of all parts. The table replaces what is between the markers in
// docs/fuzzing.md.
//
//   npx tsx scripts/fuzz/report.ts [LOGDIR]
//   npx tsx scripts/fuzz/report.ts --next TARGET GOAL [LOGDIR]

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOC = join(ROOT, "docs/fuzzing.md");
const BEGIN = "<!-- fuzz-report: begin (make fuzz-report writes this table) -->";
const END = "<!-- fuzz-report: end -->";

export interface Campaign {
  target: string;
  parts: number;
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
  // A part stopped by its time or run bound says "Done N runs in S second(s)"; one interrupted
  // (SIGINT, to end a sitting) prints only the final stats: its seconds follow from them.
  const executions = num(/stat::number_of_executed_units:\s*(\d+)/);
  const execPerSec = num(/stat::average_exec_per_sec:\s*(\d+)/);
  const done = text.match(/^Done \d+ runs in (\d+) second/m);
  const seconds = done ? Number(done[1]) : execPerSec > 0 ? Math.round(executions / execPerSec) : 0;
  const findings = (text.match(/^==\d+== ERROR: libFuzzer:|^ERROR: libFuzzer:|^==\d+==\s*ERROR: libFuzzer/gm) ?? []).length;
  return {
    target,
    parts: 1,
    date: mtime.toISOString().slice(0, 16).replace("T", " "),
    seconds,
    executions,
    execPerSec,
    corpus,
    edges,
    findings,
  };
}

// The parts of one target's campaign, in order, as one row: sums of the time, executions and
// findings; the corpus and edges the last part ended with.
export function combine(parts: Campaign[]): Campaign {
  const last = parts[parts.length - 1];
  const seconds = parts.reduce((a, p) => a + p.seconds, 0);
  const executions = parts.reduce((a, p) => a + p.executions, 0);
  return {
    target: last.target,
    parts: parts.length,
    date: last.date,
    seconds,
    executions,
    execPerSec: seconds > 0 ? Math.round(executions / seconds) : last.execPerSec,
    corpus: last.corpus,
    edges: last.edges,
    findings: parts.reduce((a, p) => a + p.findings, 0),
  };
}

// campaign-<target>.log (part 0) or campaign-<target>-<part>.log.
export function logName(f: string): { target: string; part: number } | null {
  const m = /^campaign-([a-z0-9]+)(?:-(\d+))?\.log$/.exec(f);
  return m ? { target: m[1], part: m[2] === undefined ? 0 : Number(m[2]) } : null;
}

function millions(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} k` : String(n);
}

export function table(rows: Campaign[]): string {
  const lines = [
    "| target | parts | last ended (UTC) | seconds | executions | exec/s | corpus | edges | findings |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.target} | ${r.parts} | ${r.date} | ${r.seconds} | ${millions(r.executions)} (${r.executions}) | ${r.execPerSec} | ${r.corpus} | ${r.edges} | ${r.findings} |`),
  ];
  return lines.join("\n");
}

function campaigns(dir: string): Map<string, { part: number; file: string }[]> {
  const byTarget = new Map<string, { part: number; file: string }[]>();
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    const n = logName(f);
    if (!n) continue;
    if (!byTarget.has(n.target)) byTarget.set(n.target, []);
    byTarget.get(n.target)!.push({ part: n.part, file: f });
  }
  return byTarget;
}

function combined(dir: string, t: string, parts: { part: number; file: string }[]): Campaign {
  return combine(parts.sort((a, b) => a.part - b.part).map(({ file }) =>
    parseLog(t, readFileSync(join(dir, file), "utf8"), statSync(join(dir, file)).mtime)));
}

// `--next TARGET GOAL`: the number of the target's next part and the executions it still needs
// to reach GOAL ("PART RUNS"; RUNS 0 when reached), for `make fuzz-campaign`.
function next(dir: string, t: string, goal: number): void {
  const parts = campaigns(dir).get(t) ?? [];
  const done = parts.length ? combined(dir, t, parts).executions : 0;
  const part = parts.reduce((a, p) => Math.max(a, p.part), 0) + 1;
  console.log(`${part} ${Math.max(0, goal - done)}`);
}

function main(): void {
  if (process.argv[2] === "--next") {
    next(process.argv[5] ?? join(ROOT, "build/fuzz/logs"), process.argv[3], Number(process.argv[4]));
    return;
  }
  const dir = process.argv[2] ?? join(ROOT, "build/fuzz/logs");
  const byTarget = campaigns(dir);
  if (byTarget.size === 0) {
    console.error(`fuzz-report: no campaign logs in ${dir} (make fuzz-campaign writes them)`);
    process.exit(1);
  }
  const rows = [...byTarget.keys()].sort().map((t) => combined(dir, t, byTarget.get(t)!));
  const doc = readFileSync(DOC, "utf8");
  const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC}: the markers of the table are missing`);
  writeFileSync(DOC, doc.slice(0, a + BEGIN.length) + "\n" + table(rows) + "\n" + doc.slice(b));
  console.log(table(rows));
}

if (process.argv[1] && process.argv[1].endsWith("report.ts")) main();
