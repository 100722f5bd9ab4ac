// AssemblyScript's abort in the fuzz builds (routed here with --use abort=): note what and
// where in a fixed record, then trap. The drivers (scripts/fuzz/driver.c natively,
// test/fuzz.test.ts in Node) read the record after the trap to print the message; the wasm
// needs no import for it.

// magic, msg, file, line, col (u32 each); msg and file are AssemblyScript strings (UTF-16,
// byte length at ptr - 4), or 0.
const record: usize = memory.data(32, 16);
export const ABORT_MAGIC: u32 = 0x54524241; // "ABRT"

export function abortRecord(): usize {
  return record;
}

export function fuzzAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  store<u32>(record, ABORT_MAGIC);
  store<u32>(record + 4, changetype<usize>(msg));
  store<u32>(record + 8, changetype<usize>(file));
  store<u32>(record + 12, line);
  store<u32>(record + 16, col);
  unreachable();
}

// A broken invariant the fuzz entry checks itself (not a trap of the code under test): the
// same record, with the message as the file so the drivers need no second format.
export function fuzzFail(msg: string): void {
  fuzzAbort(msg, "fuzz invariant", 0, 0);
}
