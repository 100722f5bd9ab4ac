// PLACEHOLDER (scaffolding for the decompressor engineers; must not reach main as is).
import { OutBuf } from "./output";

export function unxz(src: usize, len: usize, out: OutBuf): string | null {
  return "xz: not written yet";
}
