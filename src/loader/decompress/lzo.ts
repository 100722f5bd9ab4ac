// PLACEHOLDER (scaffolding for the decompressor engineers; must not reach main as is).
import { OutBuf } from "./output";

export function unlzo(src: usize, len: usize, out: OutBuf): string | null {
  return "lzo: not written yet";
}
