// The core's Xen I/O end to end in the emulator: xenstore, grant table, event channels and
// blkfront against the harness's xenstored and blkback serving real image files. Every run
// must end with the domain as the next kernel needs it: no live grant, no port but console
// and xenstore, no watch, no transaction, every backend back in InitWait.

import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoader, type RunOptions, type RunResult } from "./harness/run";
import { CONSOLE_EVTCHN, STORE_EVTCHN, type DiskConfig } from "./harness/domain";
import { XS } from "./harness/xenstored";

const MiB = 1024 * 1024;
let dir = "";
const images: Record<string, { path: string; sum: string }> = {};

function checksum(b: Buffer): string {
  const w = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  let h = 0;
  for (let i = 0; i < w.length; i++) h = (((h << 5) | (h >>> 27)) ^ w[i]) >>> 0;
  return "0x" + h.toString(16).padStart(8, "0");
}

function image(name: string, size: number): string {
  if (!images[name]) {
    const path = join(dir, name + ".img");
    const data = randomBytes(size);
    writeFileSync(path, data);
    images[name] = { path, sum: checksum(data) };
  }
  return images[name].path;
}

function boot(disks: (string | DiskConfig)[], opts: RunOptions = {}): RunResult {
  return runLoader({ memoryMB: 128, disks, ...opts });
}

function blkread(disk: DiskConfig | string, opts: RunOptions = {}) {
  const r = boot([disk], { cmdline: "pvboot.debug=blkread", ...opts });
  const m = r.console.match(/pvboot: blkread: hd0 (\d+) bytes, (\d+) requests, (\d+) segments, checksum (0x[0-9a-f]{8})/);
  return { r, m };
}

// What the next kernel must find (the teardown list).
function expectCleanHandover(r: RunResult): void {
  const dom = r.domain;
  expect(r.shutdown, r.console).toBe("poweroff");
  expect(dom.gnttab.liveGrants(), "live grants").toBe(0);
  expect(dom.gnttab.liveMappings(), "backend mappings").toBe(0);
  expect([...dom.evtchn.ports.keys()].sort(), "bound ports").toEqual([STORE_EVTCHN, CONSOLE_EVTCHN]);
  expect(dom.xenstore!.guestWatches(), "watches").toEqual([]);
  expect(dom.xenstore!.openTransactions(), "transactions").toBe(0);
  for (const b of dom.blkbacks) {
    expect(b.state, `${b.backendPath} state`).toBe(2);
    expect(b.stats.writes, "writes").toBe(0);
    const fe = b.frontendPath;
    expect(dom.xenstore!.read(fe + "/state")).toBe("1");
    expect(dom.xenstore!.read(fe + "/ring-ref")).toBeNull();
    expect(dom.xenstore!.read(fe + "/event-channel")).toBeNull();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pvboot-blk-"));
});

describe("disks", () => {
  it("lists every disk by numeric vbd id, with its size, sector size and mode", () => {
    const r = boot([
      { image: image("b", 8 * MiB), vdev: "xvdb" },
      { image: image("a", 4 * MiB), vdev: "xvda", readonly: true },
      { image: image("c", 2 * MiB), vdev: "xvdab", sectorSize: 4096 },
      { image: image("d", MiB), vdev: "xvdc", cdrom: true },
    ]);
    const lines = r.console.split("\r\n").filter((l) => l.startsWith("pvboot: hd"));
    expect(lines).toEqual([
      "pvboot: hd0: vbd 51712 (xvda), 4 MiB (8192 sectors), 512-byte sectors, read-only",
      "pvboot: hd1: vbd 51728 (xvdb), 8 MiB (16384 sectors), 512-byte sectors, read-write",
      "pvboot: hd2: vbd 51744 (xvdc), 1 MiB (2048 sectors), 512-byte sectors, read-only, cdrom",
      "pvboot: hd3: vbd 268442368 (xvdab), 2 MiB (4096 sectors), 4096-byte sectors, read-write",
    ]);
    expectCleanHandover(r);
  });

  it("waits through a backend that stays Closed a while before it is ready again (real blkback does)", () => {
    const { r, m } = blkread({ image: image("reset", 64 * 1024), faults: { resetDelayMs: 300 } });
    expect(m, r.console).not.toBeNull();
    expect(r.console).not.toMatch(/shutdown:/);
    expectCleanHandover(r);
  });

  it("says so when the domain has no disks, and still hands over cleanly", () => {
    const r = boot([]);
    expect(r.console).toContain("pvboot: no disks (device/vbd is empty)\r\n");
    expectCleanHandover(r);
  });
});

describe("reading through blkfront", () => {
  const variants: [string, Partial<DiskConfig>][] = [
    ["indirect segments on a multi-page ring", {}],
    ["11-segment requests when no indirect segments are offered", { maxIndirectSegments: 0 }],
    ["a one-page ring", { maxRingPageOrder: 0 }],
    ["4096-byte sectors", { sectorSize: 4096 }],
    ["answers out of order", { faults: { outOfOrder: true } }],
    ["a slow backend", { faults: { delayMs: 3 } }],
  ];
  for (const [name, cfg] of variants) {
    it(`reads every byte right with ${name}`, () => {
      const { r, m } = blkread({ image: image("data", 6 * MiB + 4096), ...cfg });
      expect(m, r.console).not.toBeNull();
      expect(m![1]).toBe(String(6 * MiB + 4096));
      expect(m![4]).toBe(images.data.sum);
      expect(Number(m![3])).toBe((6 * MiB + 4096) / 4096); // one segment per page, none wasted
      const b = r.domain.blkbacks[0];
      expect(b.stats.requests).toBe(Number(m![2]));
      if (cfg.maxIndirectSegments === 0) {
        expect(b.stats.indirectRequests).toBe(0);
        expect(Number(m![2])).toBeGreaterThanOrEqual(Math.ceil((6 * MiB + 4096) / (11 * 4096)));
      } else {
        expect(b.stats.indirectRequests).toBeGreaterThan(0);
        expect(Number(m![2])).toBeLessThan((6 * MiB) / (11 * 4096));
      }
      expect(b.stats.maxInFlight).toBeGreaterThan(1);
      if (cfg.maxRingPageOrder === undefined) expect(b.stats.ringEntries).toBe(128); // a 4-page ring
      // a read past the end is refused before anything is sent
      expect(r.console).toMatch(/pvboot: blkread: past the end: hd0: read of sectors (\d+)\.\.\1 past the end of the disk \(\d+ sectors\)/);
      expectCleanHandover(r);
    });
  }

  it("never modifies the image", () => {
    const path = image("ro", 2 * MiB);
    const before = readFileSync(path);
    blkread(path);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe("backend faults end in a clear error, then a clean handover", () => {
  const cases: [string, DiskConfig["faults"], RegExp][] = [
    ["an I/O error", { errorSectors: [[3000, 3000]] }, /hd0: I\/O error reading sectors (\d+)\.\.(\d+) \(backend status -1\)/],
    ["EOPNOTSUPP", { eopnotsupp: true }, /hd0: the backend does not support this read \(sectors 0\.\.\d+\)/],
    ["a backend that stops answering", { dropAfter: 2 }, /hd0: no answer from the backend within 30 s for sectors \d+\.\.\d+/],
    ["a backend that closes mid-read", { closeAfter: 2 }, /hd0: the backend closed the device \(state [56]\) during a read of sectors \d+\.\.\d+/],
    ["an answer to a request never sent", { badResponseId: true }, /hd0: the backend answered a request it was never sent/],
  ];
  for (const [name, faults, re] of cases) {
    it(name, () => {
      const { r } = blkread({ image: image("data2", 4 * MiB), faults });
      const m = r.console.match(re);
      expect(m, r.console).not.toBeNull();
      if (name === "an I/O error") expect(Number(m![1]) <= 3000 && Number(m![2]) >= 3000).toBe(true);
      if (name.includes("stops")) expect(r.domain.clock.now).toBeGreaterThan(30_000_000_000n);
      expect(r.console).toContain("powering off");
      expectCleanHandover(r);
    });
  }
});

describe("the xenstore client", () => {
  it("does every operation right against xenstored, and leaves nothing behind", () => {
    const r = boot([image("small", MiB)], { cmdline: "pvboot.debug=xenstore" });
    const checks = r.console.split("\r\n").filter((l) => l.startsWith("pvboot: xs-test: "));
    expect(checks.length).toBeGreaterThanOrEqual(19);
    expect(checks.filter((l) => !l.endsWith(" ok")), r.console).toEqual([]);
    expect(r.domain.xenstore!.read("/local/domain/1/data/pvboot-test")).toBeNull();
    expectCleanHandover(r);
  });
});

describe("xenstore faults end in a clear error, never a hang", () => {
  const disk = () => image("small", MiB);
  it("EACCES on device/vbd", () => {
    const r = boot([disk()], { xenstoreFaults: { failPaths: [{ prefix: "device/vbd", error: "EACCES", ops: [XS.DIRECTORY] }] } });
    expect(r.console).toContain("pvboot: cannot list device/vbd: EACCES\r\n");
    expect(r.shutdown).toBe("poweroff");
  });

  it("ENOENT on the backend's state", () => {
    const r = boot([disk()], { xenstoreFaults: { failPaths: [{ prefix: "/local/domain/0/backend/vbd/1/51712/state", error: "ENOENT", ops: [XS.READ] }] } });
    expect(r.console).toMatch(/pvboot: hd0 \(vbd 51712\): cannot read the backend's state: ENOENT\r\n/);
    expectCleanHandover(r);
  });

  it("a lost transaction race (EAGAIN) is retried", () => {
    const r = boot([disk()], { xenstoreFaults: { failPaths: [{ prefix: "/", error: "EAGAIN", ops: [XS.TRANSACTION_END], times: 1 }] } });
    expect(r.console).toContain("pvboot: hd0: vbd 51712 (xvda), 1 MiB");
    expectCleanHandover(r);
  });

  it("slow replies and replies split into small pieces", () => {
    for (const faults of [{ delayMs: 20 }, { chunkBytes: 5 }]) {
      const r = boot([disk()], { xenstoreFaults: faults });
      expect(r.console, JSON.stringify(faults)).toContain("pvboot: hd0: vbd 51712 (xvda)");
      expectCleanHandover(r);
    }
  });

  for (const [garbage, err] of [["bad-length", "EPROTO"], ["bad-type", "EPROTO"], ["bad-req-id", "ETIMEDOUT"]] as const) {
    it(`a malformed reply (${garbage})`, () => {
      const r = boot([disk()], { xenstoreFaults: { garbage } });
      expect(r.console).toContain(`pvboot: cannot list device/vbd: ${err}`);
      expect(r.shutdown).toBe("poweroff");
    });
  }

  it("a xenstored that never answers", () => {
    const r = boot([disk()], { xenstoreFaults: { stuck: true } });
    expect(r.console).toContain("pvboot: cannot list device/vbd: ETIMEDOUT (no reply from xenstored)");
    expect(r.shutdown).toBe("poweroff");
  });
});

describe("console faults", () => {
  it("garbage in the ring's indexes: output is dropped, never a hang or a trap", () => {
    const r = boot([], { consoleFaults: { brokenIndexes: true } });
    expect(r.shutdown).toBe("poweroff");
    expect(r.trap).toBeUndefined();
  });

  it("garbage typed at the console decodes to keys, never a trap", () => {
    const junk = Uint8Array.from(randomBytes(600).filter((c) => c !== 0x0d && c !== 0x0a));
    const keys = new Uint8Array([...junk, 0x0d]);
    const r = boot([], { cmdline: "pvboot.debug=keys", keys });
    expect(r.trap).toBeUndefined();
    expect(r.console).toContain("pvboot: key enter\r\n");
  });

  it("names the keys a terminal sends", () => {
    const r = boot([], { cmdline: "pvboot.debug=keys", keys: "q\x1b[A\x1b[B\x1b[C\x1b[D\x1bOH\x1b[3~\x7f\x03\x1b\r" });
    const names = r.console.split("\r\n").filter((l) => l.startsWith("pvboot: key ")).map((l) => l.slice(12));
    expect(names).toEqual(["'q'", "up", "down", "right", "left", "home", "delete", "backspace", "ctrl-c", "esc", "enter"]);
  });
});
