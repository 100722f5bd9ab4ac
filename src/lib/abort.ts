// AssemblyScript's abort (failed assert, out-of-range access in the standard library):
// say what and where on the console, then trap so that the shim crashes the domain.

import { Text } from "./text";
import { console } from "../xen/console";

export function pvbootAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  const t = new Text();
  t.str("pvboot: abort: ").str(msg != null ? msg : "(no message)");
  if (file != null) t.str(" at ").str(file).ch(0x3a).u(line).ch(0x3a).u(col);
  console.line(t);
  unreachable();
}
