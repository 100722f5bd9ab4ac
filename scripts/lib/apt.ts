// `apt-get update` as the scripts run it when a package is not in the lists they have.
//
// Debian's mirrors are sometimes caught mid-sync: apt-get then fails one index ("File has
// unexpected size (371952 != 372316). Mirror sync in progress?") and exits 100 with the other
// lists fetched. So it is tried up to three times, 15 s apart; when every try failed, its last
// error goes to stderr as a warning and the caller carries on with the lists there are: the
// apt-get download or install that follows fails with its own message if what it needs is
// missing, and succeeds when the failed index was another one (a security list of another
// arch, say).

import { execFile, execFileSync } from "node:child_process";

const TRIES = 3;
const PAUSE_MS = 15_000;

function warn(err: unknown): void {
  const e = err as { stderr?: Buffer | string; message?: string };
  const text = (e.stderr ? e.stderr.toString() : e.message ?? String(err)).trim();
  process.stderr.write(`apt-get update failed ${TRIES} times; going on with the package lists there are:\n${text}\n`);
}

export function aptUpdateSync(): void {
  for (let i = 1; ; i++) {
    try {
      execFileSync("apt-get", ["update"], { stdio: "pipe", maxBuffer: 64 << 20 });
      return;
    } catch (err) {
      if (i === TRIES) return warn(err);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, PAUSE_MS);
    }
  }
}

export async function aptUpdate(): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await new Promise<void>((done, fail) =>
        execFile("apt-get", ["update"], { maxBuffer: 64 << 20 }, (err, _out, stderr) => (err ? fail(Object.assign(err, { stderr })) : done())));
      return;
    } catch (err) {
      if (i === TRIES) return warn(err);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  }
}
