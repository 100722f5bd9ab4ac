// One contract, implemented twice: docs/contract.md's tables must match the core's @external
// declarations, the built .wasm, the harness's imports and the native shim's definitions.
// Behaviour: the table of calls (pvboot.debug=contract, src/debug/contract.ts) covers every
// import and runs at both widths here; test/xen/contract.test.ts compares it with real Xen.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { readWasm, type ValType } from "./harness/wasm";
import { makeImports } from "./harness/imports";
import { Domain } from "./harness/domain";
import { runLoader } from "./harness/run";

const root = new URL("../", import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), "utf8");

interface Sig { params: ValType[]; results: ValType[] }
const sigText = (s: Sig) => `(${s.params.join(",")}) -> (${s.results.join(",")})`;

function docsTable(heading: string): Map<string, Sig> {
  const doc = read("docs/contract.md");
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading))!;
  const rows = new Map<string, Sig>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim().replace(/`/g, ""));
    const name = cells[1]?.match(/^(?:xen\.)?(\w+)$/)?.[1];
    if (!name || name === "import" || name === "export") continue;
    const types = (s: string) =>
      s.replace(/^\(|\)$/g, "").split(",").map((p) => p.trim().split(/\s+/).pop()!).filter(Boolean) as ValType[];
    rows.set(name, { params: types(cells[2]), results: types(cells[3]) });
  }
  return rows;
}

function asType(t: string): ValType[] {
  if (t === "void") return [];
  if (/^(u64|i64)$/.test(t)) return ["i64"];
  if (/^(u32|i32|usize|isize|bool|u16|i16|u8|i8)$/.test(t)) return ["i32"];
  throw new Error(`unexpected AssemblyScript type ${t}`);
}

function coreDeclarations(): Map<string, Sig> {
  const src = read("src/xen/hypercall.ts");
  const decls = new Map<string, Sig>();
  const re = /@external\("(\w+)", "(\w+)"\)\s*export declare function (\w+)\(([^)]*)\):\s*(\w+);/g;
  for (const m of src.matchAll(re)) {
    expect(m[1], `${m[2]} is imported from module xen`).toBe("xen");
    const params = m[4].split(",").map((p) => p.trim()).filter(Boolean).flatMap((p) => asType(p.split(":")[1].trim()));
    decls.set(m[2], { params, results: asType(m[5]) });
  }
  return decls;
}

// The imports one kind's shim defines: boot/imports.c (every kind's) and its folder's imports.c.
function shimDefinitions(kind: "pv" | "pvh"): Map<string, Sig> {
  const src = read("boot/imports.c") + read(`boot/${kind}/imports.c`);
  const defs = new Map<string, Sig>();
  const c = (t: string): ValType[] => (t === "void" ? [] : t === "u64" ? ["i64"] : t === "u32" ? ["i32"] : (() => { throw new Error(`C type ${t}`); })());
  for (const m of src.matchAll(/^(u32|u64|void) Z_xenZ_(\w+)\(XEN((?:, (?:u32|u64) \w+)*)\)$/gm)) {
    const params = m[3].split(",").map((p) => p.trim()).filter(Boolean).flatMap((p) => c(p.split(" ")[0]));
    defs.set(m[2], { params, results: c(m[1]) });
  }
  return defs;
}

describe("the core-shim contract", () => {
  const imports = docsTable("Imports");
  const exports = docsTable("Exports");
  const wasm = readWasm(new Uint8Array(readFileSync(new URL("build/pvboot.wasm", root))));

  it("documents the imports", () => {
    expect(imports.size).toBeGreaterThan(5);
  });

  it("matches the core's @external declarations", () => {
    const decls = coreDeclarations();
    expect([...decls.keys()].sort()).toEqual([...imports.keys()].sort());
    for (const [name, sig] of decls) expect(sigText(sig), name).toBe(sigText(imports.get(name)!));
  });

  it("matches what the built .wasm imports and exports", () => {
    for (const imp of wasm.imports) {
      if (imp.kind === "memory") {
        expect(`${imp.module}.${imp.name}`).toBe("env.memory");
        continue;
      }
      expect(imp.module, `${imp.name}`).toBe("xen");
      expect(imports.has(imp.name), `${imp.name} is in docs/contract.md`).toBe(true);
      expect(sigText(imp.sig!), imp.name).toBe(sigText(imports.get(imp.name)!));
    }
    expect(wasm.imports.some((i) => i.kind === "memory")).toBe(true);
    expect(wasm.exports.map((e) => e.name).sort()).toEqual([...exports.keys()].sort());
    for (const e of wasm.exports.filter((x) => x.kind === "func")) {
      expect(sigText(e.sig!), e.name).toBe(sigText(exports.get(e.name)!));
    }
  });

  it("is implemented by the harness", () => {
    const dom = new Domain({ memoryMB: 32 });
    const { xen } = makeImports(dom, new WebAssembly.Memory({ initial: 1 }), { calls: {} });
    expect(Object.keys(xen).sort()).toEqual([...imports.keys()].sort());
    for (const [name, sig] of imports) {
      expect((xen as Record<string, (...a: unknown[]) => unknown>)[name].length, name).toBe(sig.params.length);
    }
  });

  for (const kind of ["pv", "pvh"] as const) {
    it(`is implemented by the native shim (boot/${kind})`, () => {
      const defs = shimDefinitions(kind);
      expect([...defs.keys()].sort()).toEqual([...imports.keys()].sort());
      for (const [name, sig] of defs) expect(sigText(sig), name).toBe(sigText(imports.get(name)!));
    });
  }

  // The table's rows at one width in the emulator: "IMPORT CASE" -> result.
  function table(arch: "x86_64" | "x86_32"): [string, string][] {
    const r = runLoader({ arch, memoryMB: 256, cmdline: "pvboot.debug=contract" });
    expect(r.shutdown).toBe("poweroff");
    const lines = r.console.split(/\r?\n/);
    const start = lines.indexOf(`pvboot: contract: table of ${arch} begins`);
    const end = lines.indexOf("pvboot: contract: table ends");
    expect(start, r.console.slice(-2000)).toBeGreaterThanOrEqual(0);
    expect(end, r.console.slice(-2000)).toBeGreaterThan(start);
    return lines.slice(start + 1, end).map((l) => {
      const m = l.match(/^pvboot: contract: (.+) = (.*)$/);
      expect(m, l).not.toBeNull();
      return [m![1], m![2]];
    });
  }

  it("has a behaviour table that calls every import, at both widths alike but for the ABI's own", () => {
    const t64 = table("x86_64");
    const t32 = table("x86_32");
    const called = new Set(t64.map(([name]) => name.split(" ")[0]));
    expect([...called].sort()).toEqual([...imports.keys()].sort());
    expect(t32.map(([n]) => n)).toEqual(t64.map(([n]) => n));
    const differ = t64.filter(([n, r], i) => t32[i][1] !== r).map(([n], i) => n);
    // guest_kind is the width; a frame of 2^32 and more is no x86_32 frame (the shim's unsigned
    // long); an empty PAE L3 cannot be pinned (Xen's L2 belongs in its slot 3), so the table
    // page stays an ordinary page there
    expect(differ).toEqual(["guest_kind ()", "map_frame mfn 2^32+own", "mmuext_op pin empty table",
      "map_frame pinned table rw", "unmap_frame pinned table"]);
    expect(new Map(t64).get("mmuext_op pin empty table")).toBe("0");
  });

  it("keeps the core free of floating point (the native build has no SSE)", () => {
    expect(wasm.usesFloat).toBe(false);
  });
});
