// PLACEHOLDER (scaffolding for the decompressor engineers; must not reach main as is).
import { OutBuf } from "./output";

export function unlzma(src: usize, len: usize, out: OutBuf): string | null {
  return "lzma: not written yet";
}
