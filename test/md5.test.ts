// MD5 (src/lib/md5.ts) against RFC 1321's test suite and node's crypto; md5-crypt
// (src/ui/password.ts) against `openssl passwd -1`, the tool GRUB's users made their
// `password --md5` lines with (precomputed vectors when openssl is missing).

import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT } from "./ext/wasm";

const WASM = join(ROOT, "build/md5-test.wasm");
const SOURCES = ["test/md5/entry.ts", "test/md5/asconfig.json", "src/lib/md5.ts", "src/ui/password.ts"].map((f) => join(ROOT, f));

function build(): string {
  if (existsSync(WASM) && statSync(WASM).mtimeMs >= Math.max(...SOURCES.map((f) => statSync(f).mtimeMs))) return WASM;
  mkdirSync(dirname(WASM), { recursive: true });
  const tmp = `${WASM}.${process.pid}.tmp`;
  execFileSync("npx", ["asc", "test/md5/entry.ts", "--config", "test/md5/asconfig.json", "-o", tmp], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, WASM);
  return WASM;
}

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  newString(p: number, n: number): number;
  md5OfBytes(p: number, n: number): number;
  crypt(pw: number, salt: number): number;
  check(entered: number, password: number, md5: number): number;
}

let x: Exports;

beforeAll(() => {
  const module = new WebAssembly.Module(readFileSync(build()));
  // The console's hypercalls are linked in (readPassword) but never called here.
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] = imp.module === "env" && imp.name === "abort"
      ? () => { throw new Error("abort in the md5 test module"); }
      : () => { throw new Error(`${imp.module}.${imp.name} called`); };
  }
  x = new WebAssembly.Instance(module, imports as WebAssembly.Imports).exports as unknown as Exports;
});

function put(bytes: Uint8Array): number {
  const p = x.alloc(Math.max(bytes.length, 1));
  new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
  return p;
}

function str(s: string): number {
  const codes = new Uint16Array([...s].map((c) => c.charCodeAt(0)));
  const p = put(new Uint8Array(codes.buffer));
  return x.newString(p, codes.length);
}

function readStr(p: number): string {
  const bytes = new DataView(x.memory.buffer).getUint32(p - 4, true);
  return String.fromCharCode(...new Uint16Array(x.memory.buffer.slice(p, p + bytes)));
}

const md5 = (b: Uint8Array | string) => readStr(x.md5OfBytes(put(typeof b === "string" ? Buffer.from(b, "latin1") : b), b.length));

describe("md5", () => {
  it("gives RFC 1321's test suite values", () => {
    expect(md5("")).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(md5("a")).toBe("0cc175b9c0f1b6a831c399e269772661");
    expect(md5("abc")).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(md5("message digest")).toBe("f96b697d7cb7938d525a2f31aaf161d0");
    expect(md5("abcdefghijklmnopqrstuvwxyz")).toBe("c3fcd3d76192e4007dfb496cca67e13b");
    expect(md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")).toBe("d174ab98d277d9f5a5611c2c9f419d9f");
    expect(md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")).toBe("57edf4a22be3c955ac49da2e2107b67a");
  });

  it("agrees with node's crypto on every length around the block and padding edges", () => {
    for (let n = 0; n <= 200; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n * 7) & 0xff);
      expect(md5(b), `length ${n}`).toBe(createHash("md5").update(b).digest("hex"));
    }
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 2654435761) >>> 24);
    expect(md5(big)).toBe(createHash("md5").update(big).digest("hex"));
  });
});

const haveOpenssl = spawnSync("openssl", ["version"]).status === 0;
function openssl(pw: string, salt: string): string {
  return execFileSync("openssl", ["passwd", "-1", "-salt", salt, pw], { encoding: "utf8" }).trim();
}

// Made with `openssl passwd -1 -salt SALT PASS` (OpenSSL 3.0).
const PRECOMPUTED: [string, string, string][] = [
  ["hello", "abc", "$1$abc$jWy0FsfCoVBK.I85XpXf30"],
  ["", "salt", "$1$salt$UsdFqFVB.FsuinRDK5eE.."],
  ["x", "12345678", "$1$12345678$7y7mHQRucjgVYVF1mZqKC1"],
  ["pvboot", "", "$1$$8kCO2bA2j.wKvIr0uXCBw/"],
];

describe("md5-crypt", () => {
  const cases: [string, string][] = [
    ["hello", "abc"], ["", "salt"], ["x", "12345678"], ["password", "Zu7.Ke/1"], ["a longer pass phrase, 33 chars!!", "s"],
    ["sixteen chars!!!", "abcdefgh"], ["pvboot", ""],
  ];

  it.runIf(haveOpenssl)("matches openssl passwd -1", () => {
    for (const [pw, salt] of cases) expect(readStr(x.crypt(str(pw), str(salt))), `${pw} / ${salt}`).toBe(openssl(pw, salt));
  });

  it("matches precomputed vectors", () => {
    for (const [pw, salt, want] of PRECOMPUTED) expect(readStr(x.crypt(str(pw), str(salt)))).toBe(want);
  });

  it("checks passwords: md5 against the crypt string, plain by equality", () => {
    const crypted = "$1$abc$jWy0FsfCoVBK.I85XpXf30";
    expect(x.check(str("hello"), str(crypted), 1)).toBe(1);
    expect(x.check(str("hellO"), str(crypted), 1)).toBe(0);
    expect(x.check(str(""), str(crypted), 1)).toBe(0);
    expect(x.check(str("hello"), str("not-a-crypt-string"), 1)).toBe(0);
    expect(x.check(str("secret"), str("secret"), 0)).toBe(1);
    expect(x.check(str("secret "), str("secret"), 0)).toBe(0);
    expect(x.check(str(crypted), str(crypted), 1)).toBe(0);
  });
});
