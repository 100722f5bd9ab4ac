// `make fuzz-report` (scripts/fuzz/report.ts): a campaign run in parts adds up, the corpus and
// edges are the last part's, and `--next` says which part comes next and what is left to run.

import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { combine, logName, parseLog, table } from "../scripts/fuzz/report";

// What libFuzzer prints, shortened: status lines, then -print_final_stats's.
function log(execs: number, seconds: number, cov: number, corp: number, crash = false): string {
  return [
    "INFO: Seed: 1",
    `#${execs >> 1}\tNEW    cov: ${cov - 1} ft: 50 corp: ${corp - 1}/10Kb lim: 4096 exec/s: 10 rss: 40Mb`,
    `#${execs}\tREDUCE cov: ${cov} ft: 51 corp: ${corp}/11Kb lim: 4096 exec/s: 10 rss: 40Mb`,
    ...(crash ? ["==12== ERROR: libFuzzer: deadly signal"] : []),
    `Done ${execs} runs in ${seconds} second(s)`,
    `stat::number_of_executed_units: ${execs}`,
    `stat::average_exec_per_sec:     ${Math.round(execs / seconds)}`,
    "",
  ].join("\n");
}

describe("fuzz campaign report", () => {
  it("names parts by their log files", () => {
    expect(logName("campaign-ext.log")).toEqual({ target: "ext", part: 0 });
    expect(logName("campaign-grubcfg-12.log")).toEqual({ target: "grubcfg", part: 12 });
    expect(logName("smoke-ext.log")).toBeNull();
    expect(logName("campaign-ext-1.log.gz")).toBeNull();
  });

  it("adds the parts of a campaign up", () => {
    const when = new Date("2026-12-05T16:00:00Z");
    const a = parseLog("ext", log(4_000_000, 800, 880, 700), when);
    const b = parseLog("ext", log(6_500_000, 1200, 901, 760, true), new Date("2026-12-05T17:00:00Z"));
    expect(a.executions).toBe(4_000_000);
    expect(a.edges).toBe(880);
    const c = combine([a, b]);
    expect(c.parts).toBe(2);
    expect(c.executions).toBe(10_500_000);
    expect(c.seconds).toBe(2000);
    expect(c.execPerSec).toBe(5250);
    expect(c.edges).toBe(901);
    expect(c.corpus).toBe(760);
    expect(c.findings).toBe(1);
    expect(c.date).toBe("2026-12-05 17:00");
    expect(table([c])).toContain("| ext | 2 | 2026-12-05 17:00 | 2000 | 10.5 M (10500000) | 5250 | 760 | 901 | 1 |");
  });

  it("counts a part interrupted with SIGINT by its final stats", () => {
    const text = [
      `#1000000\tREDUCE cov: 300 ft: 900 corp: 50/4Kb lim: 4096 exec/s: 2500 rss: 40Mb`,
      "==7== libFuzzer: run interrupted; exiting",
      "stat::number_of_executed_units: 1000000",
      "stat::average_exec_per_sec:     2500",
      "",
    ].join("\n");
    const p = parseLog("xenbus", text, new Date("2026-12-05T18:00:00Z"));
    expect([p.executions, p.seconds, p.execPerSec, p.edges, p.findings]).toEqual([1_000_000, 400, 2500, 300, 0]);
  });

  it("says the next part and the executions still to run", () => {
    const dir = mkdtempSync(join(tmpdir(), "pvboot-fuzz-report-"));
    writeFileSync(join(dir, "campaign-kernel-1.log"), log(3_000_000, 600, 900, 300));
    writeFileSync(join(dir, "campaign-kernel-2.log"), log(2_000_000, 400, 910, 320));
    writeFileSync(join(dir, "campaign-partitions-1.log"), log(10_000_000, 500, 200, 130));
    const next = (t: string) =>
      execFileSync("npx", ["tsx", "scripts/fuzz/report.ts", "--next", t, "10000000", dir], { encoding: "utf8" }).trim();
    expect(next("kernel")).toBe("3 5000000");
    expect(next("partitions")).toBe("2 0");
    expect(next("xfs")).toBe("1 10000000");
  });
});
