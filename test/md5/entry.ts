// Test entry for src/lib/md5.ts and the md5-crypt in src/ui/password.ts (built by
// test/md5.test.ts to build/md5-test.wasm). Strings cross as UTF-16 AssemblyScript strings.

import { md5Hex } from "../../src/lib/md5";
import { md5Crypt, checkPassword } from "../../src/ui/password";

export function alloc(n: usize): usize {
  return heap.alloc(n);
}

export function newString(p: usize, n: i32): usize {
  return changetype<usize>(String.UTF16.decodeUnsafe(p, <usize>n * 2));
}

export function md5OfBytes(p: usize, n: i32): usize {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = load<u8>(p + i);
  return changetype<usize>(md5Hex(a));
}

export function crypt(pw: usize, salt: usize): usize {
  return changetype<usize>(md5Crypt(changetype<string>(pw), changetype<string>(salt)));
}

export function check(entered: usize, password: usize, md5: i32): i32 {
  return checkPassword(changetype<string>(entered), changetype<string>(password), md5 != 0) ? 1 : 0;
}
