// A small reader for the parts of a .wasm binary the harness and the tests need:
// function types, imports (with their signatures and memory limits) and exports.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";
export interface FuncSig { params: ValType[]; results: ValType[] }
export interface WasmImport { module: string; name: string; kind: "func" | "table" | "memory" | "global"; sig?: FuncSig; min?: number; max?: number }
export interface WasmExport { name: string; kind: "func" | "table" | "memory" | "global"; sig?: FuncSig }
export interface WasmInfo { types: FuncSig[]; imports: WasmImport[]; exports: WasmExport[]; usesFloat: boolean }

const VALTYPES: Record<number, ValType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };
const KINDS = ["func", "table", "memory", "global"] as const;

class Reader {
  constructor(private b: Uint8Array, public pos = 0) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new Error("wasm: unexpected end");
    return this.b[this.pos++];
  }
  u32(): number {
    let result = 0, shift = 0;
    for (;;) {
      const byte = this.byte();
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 28) throw new Error("wasm: LEB128 too long");
    }
  }
  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  valtype(): ValType {
    const t = VALTYPES[this.byte()];
    if (!t) throw new Error("wasm: unknown value type");
    return t;
  }
  limits(): { min: number; max?: number } {
    const flags = this.byte();
    const min = this.u32();
    return flags & 1 ? { min, max: this.u32() } : { min };
  }
}

export function readWasm(bytes: Uint8Array): WasmInfo {
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error("not a wasm binary");
  const r = new Reader(bytes, 8);
  const info: WasmInfo = { types: [], imports: [], exports: [], usesFloat: false };
  const funcTypeIndex: number[] = []; // every function, imported first
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) throw new Error("wasm: bad function type");
        const params = Array.from({ length: r.u32() }, () => r.valtype());
        const results = Array.from({ length: r.u32() }, () => r.valtype());
        info.types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name(), name = r.name(), kind = KINDS[r.byte()];
        const imp: WasmImport = { module, name, kind };
        if (kind === "func") {
          const t = r.u32();
          imp.sig = info.types[t];
          funcTypeIndex.push(t);
        } else if (kind === "memory") Object.assign(imp, r.limits());
        else if (kind === "table") { r.byte(); r.limits(); }
        else { r.valtype(); r.byte(); }
        info.imports.push(imp);
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypeIndex.push(r.u32());
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name(), kind = KINDS[r.byte()], index = r.u32();
        info.exports.push({ name, kind, sig: kind === "func" ? info.types[funcTypeIndex[index]] : undefined });
      }
    }
    r.pos = end;
  }
  const all = info.types.flatMap((t) => [...t.params, ...t.results]);
  info.usesFloat = all.some((t) => t === "f32" || t === "f64");
  return info;
}
