// Deliberate traps, one per kind, so the tests can prove that the drivers (native libFuzzer
// and Node) see each as a finding and say what it was. Reached only through the export
// fuzz_selftest, which the native driver calls when PVBOOT_FUZZ_SELFTEST is set: never from
// fuzz_one, so the fuzzer cannot find these.

export const SELFTEST_KINDS = "oob unreachable abort recursion alloc div0 loop";

function recurse(n: u32): u32 {
  return n == 0xffffffff ? 0 : recurse(n + 1) + 1;
}

export function selftest(kind: u32, arg: u32): u32 {
  if (kind == 1) return load<u32>(0xfffffff0 + <usize>(arg & 0xf)); // out of bounds
  if (kind == 2) unreachable();
  if (kind == 3) { // an AssemblyScript abort: index out of range
    const a: u32[] = [1, 2, 3];
    return a[3 + arg];
  }
  if (kind == 4) return recurse(arg); // call stack exhausted
  if (kind == 5) return <u32>heap.alloc(300 << 20); // past the 256 MiB cap
  if (kind == 6) return 1000 / (arg & 0); // integer divide by zero
  if (kind == 7) { // never returns: a timeout
    let x = arg;
    while (x != 0xffffffff || arg != 0xffffffff) x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  }
  return 0;
}
