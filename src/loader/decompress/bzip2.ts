// PLACEHOLDER (scaffolding for the decompressor engineers; must not reach main as is).
import { OutBuf } from "./output";

export function bunzip2(src: usize, len: usize, out: OutBuf): string | null {
  return "bzip2: not written yet";
}
