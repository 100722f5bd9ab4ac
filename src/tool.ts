// Tool mode: `pvboot.tool=CMD pvboot.path=ARG` on the domain's command line makes the loader
// run one command and power off; the pvboot CLI (ls, cat, ...) drives the very same core this
// way. Results travel on the console in frames the CLI takes apart:
//   "\x02pvboot-out N\r\n" followed by N raw bytes  (the command's output)
//   "pvboot: error: ..." / "pvboot: warning: ..."   (lines for stderr)
//   "\x02pvboot-exit CODE\r\n"                       (last)
// Path arguments are percent-encoded by the CLI (%20 for a space, %25 for '%').

import { console } from "./xen/console";
import { Text } from "./lib/text";
import { disks } from "./drivers/blkfront";
import { partitionTable } from "./disk/volumes";

export function toolOut(t: Text): void {
  const h = new Text().ch(2).str("pvboot-out ").u(t.len).str("\r\n");
  console.write(h.buf, h.len);
  console.write(t.buf, t.len);
}

export function toolOutBytes(p: usize, n: u32): void {
  const h = new Text().ch(2).str("pvboot-out ").u(n).str("\r\n");
  console.write(h.buf, h.len);
  console.write(p, n);
}

export function toolError(msg: string): void {
  console.line(new Text().str("pvboot: error: ").str(msg));
}

export function toolWarning(msg: string): void {
  console.line(new Text().str("pvboot: warning: ").str(msg));
}

function exitWith(code: u32): void {
  const t = new Text().ch(2).str("pvboot-exit ").u(code).str("\r\n");
  console.write(t.buf, t.len);
}

export function percentDecode(s: string): string {
  if (s.indexOf("%") < 0) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c == "%" && i + 2 < s.length) {
      const v = <i32>I32.parseInt(s.substring(i + 1, i + 3), 16);
      out += String.fromCharCode(v);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Run one command; returns when done (the caller tears down and powers off).
export function runTool(cmd: string, arg: string): void {
  let code: u32 = 0;
  if (cmd == "parts") code = parts();
  else {
    toolError("unknown tool command '" + cmd + "'");
    code = 2;
  }
  exitWith(code);
}

// Every disk and its partitions: "hd0 mbr", "(hd0,0) 1048576 66060288 0x83".
function parts(): u32 {
  const t = new Text();
  for (let i = 0; i < disks.list.length; i++) {
    const d = disks.list[i];
    if (!d.connected) continue;
    const pt = partitionTable(<u32>i)!;
    t.str(d.name).str(" ").u(d.bytes).str(" ").str(pt.scheme).str("\n");
    for (let w = 0; w < pt.warnings.length; w++) toolWarning(d.name + ": " + pt.warnings[w]);
    if (pt.error != null) toolError(pt.error!);
    for (let j = 0; j < pt.parts.length; j++) {
      const p = pt.parts[j];
      t.str("(hd").u(<u64>i).str(",").u(p.number).str(") ").u(p.start).str(" ").u(p.size).str(" ").str(p.kind).str("\n");
    }
  }
  toolOut(t);
  return 0;
}
