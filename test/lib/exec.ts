// A child process, awaited. Tests use this instead of execFileSync/spawnSync for anything that
// may run long: vitest ends a worker whose event loop is blocked for 60 s ("Timeout calling
// onTaskUpdate"), and a synchronous child blocks it for as long as the child runs.

import { spawn } from "node:child_process";

export interface ExecResult { status: number | null; stdout: string; stderr: string; timedOut: boolean }
// stdin: what the child reads, then end of file (nothing by default). holdStdin keeps it open
// instead, for `script`, which hangs up its child when its own stdin ends.
export interface ExecOptions { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; stdin?: string; holdStdin?: boolean; encoding?: BufferEncoding }

export function execAsync(cmd: string, args: string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "", timedOut = false;
    child.stdout.setEncoding(opts.encoding ?? "utf8").on("data", (d) => { stdout += d; });
    // A child that floods stderr (a fuzzer's log) keeps only its last 16 MiB.
    child.stderr.setEncoding("utf8").on("data", (d) => { stderr += d; if (stderr.length > 64 << 20) stderr = stderr.slice(-(16 << 20)); });
    if (!opts.holdStdin) child.stdin.end(opts.stdin ?? "");
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, opts.timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, stdout, stderr, timedOut }); });
  });
}

// As execAsync, but a non-zero exit or a timeout is an error carrying the child's stderr.
export async function execChecked(cmd: string, args: string[], opts: ExecOptions): Promise<string> {
  const r = await execAsync(cmd, args, opts);
  if (r.status !== 0) {
    const why = r.timedOut ? `timed out after ${opts.timeoutMs} ms` : `exit ${r.status}`;
    throw new Error(`${cmd} ${args.join(" ")}: ${why}\n${r.stderr.slice(-4000)}`);
  }
  return r.stdout;
}
