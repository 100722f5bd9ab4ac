// Stores the core's data segments without their zero bytes, in the image's wasm2c output.
//
//   node scripts/wasm2c-sparse-data.mjs FILE.c
//
// After scripts/wasm-pack-data.mjs the segments are disjoint runs of the memory's initial image,
// but still about two thirds zeros: AssemblyScript's strings are UTF-16, so an ASCII message
// has a zero after every character, and tables hold small numbers in wide fields. wasm2c writes
// each segment as a C array copied in by LOAD_DATA, zeros included (120 KiB of the x86_64
// image's 186 KiB .rodata). The linear memory starts zero-filled on every platform
// (docs/contract.md), and the packed segments do not overlap, so only the non-zero bytes need
// writing: this rewrites each segment that gets smaller as one mask byte per 8 bytes (bit b set:
// byte b of the group is not zero), then the non-zero bytes in order (masks and bytes apart, so
// that the text stays together: gzip -9 makes the x86_64 core's data 33 KB this way, 36 KB as
// wasm2c wrote it, 40 KB with each mask before its group's bytes), and its LOAD_DATA as
// LOAD_DATA_SPARSE, which makes the same bounds check over the segment's whole length and then
// writes the non-zero bytes where they belong. The memory after instantiation is the same, byte
// for byte. FILE.c is rewritten in place; a file already rewritten is left as it is.
import { readFileSync, writeFileSync } from "node:fs";

const [cFile] = process.argv.slice(2);
if (!cFile) {
  console.error("usage: node scripts/wasm2c-sparse-data.mjs FILE.c");
  process.exit(2);
}
let text = readFileSync(cFile, "utf8");
if (text.includes("LOAD_DATA_SPARSE")) process.exit(0);

const fail = (msg) => {
  console.error(`${cFile}: ${msg}`);
  process.exit(1);
};

// static const u8 data_segment_data_w2c_d7[] = {\n  0x00, 0x01, \n ...};
const ARRAY = /^static const u8 (data_segment_data_\w+)\[\] = \{\n([^}]*)\};\n/gm;
const arrays = new Map();
for (const m of text.matchAll(ARRAY)) {
  const bytes = m[2].split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => Number(s));
  if (bytes.some((b) => !(b >= 0 && b <= 255))) fail(`${m[1]}: not a byte array`);
  arrays.set(m[1], { bytes, source: m[0] });
}

// LOAD_DATA((*instance->Z_envZ_memory), 343276u, data_segment_data_w2c_d7, 77152);
const LOAD = /^  LOAD_DATA\(\((\*instance->\w+)\), (\d+)u, (data_segment_data_\w+), (\d+)\);$/gm;
const loads = [...text.matchAll(LOAD)].map((m) => ({ line: m[0], mem: m[1], at: Number(m[2]), name: m[3], len: Number(m[4]) }));
if (loads.length !== arrays.size) fail(`${arrays.size} data arrays, ${loads.length} LOAD_DATA lines`);
if (new Set(loads.map((l) => l.mem)).size > 1) fail("segments in more than one memory");
// Disjoint, so that no segment's zero is meant to overwrite an earlier segment's byte.
const sorted = [...loads].sort((a, b) => a.at - b.at);
for (let i = 1; i < sorted.length; i++) {
  if (sorted[i].at < sorted[i - 1].at + sorted[i - 1].len) fail(`${sorted[i].name} overlaps ${sorted[i - 1].name}`);
}

function sparse(bytes) {
  const masks = [], kept = [];
  for (let i = 0; i < bytes.length; i += 8) {
    let mask = 0;
    for (let b = 0; b < 8 && i + b < bytes.length; b++) {
      if (bytes[i + b] !== 0) {
        mask |= 1 << b;
        kept.push(bytes[i + b]);
      }
    }
    masks.push(mask);
  }
  return [...masks, ...kept];
}

function cArray(name, bytes) {
  let s = `static const u8 ${name}[] = {\n`;
  for (let i = 0; i < bytes.length; i += 16) {
    s += "  " + bytes.slice(i, i + 16).map((b) => `0x${b.toString(16).padStart(2, "0")}, `).join("") + "\n";
  }
  return s + "};\n";
}

let before = 0, after = 0, rewritten = 0;
for (const l of loads) {
  const a = arrays.get(l.name);
  if (!a || a.bytes.length !== l.len) fail(`${l.name}: LOAD_DATA of ${l.len} bytes, array of ${a?.bytes.length}`);
  const s = sparse(a.bytes);
  before += a.bytes.length;
  if (s.length >= a.bytes.length) {
    after += a.bytes.length;
    continue;
  }
  after += s.length;
  rewritten++;
  const sparseName = l.name.replace("data_segment_data_", "data_segment_sparse_");
  text = text.replace(a.source, cArray(sparseName, s));
  text = text.replace(l.line, `  LOAD_DATA_SPARSE((${l.mem}), ${l.at}u, ${sparseName}, ${l.len});`);
}

const DECODER = `
/* scripts/wasm2c-sparse-data.mjs: a data segment of n bytes without its zero bytes (the memory
 * starts zeroed): a mask per 8 bytes, bit b set when byte b of the group is not zero, then the
 * non-zero bytes in order. */
#if WABT_BIG_ENDIAN
#error "LOAD_DATA_SPARSE: little-endian memory layout only"
#endif
static __attribute__((optimize("Oz"))) void load_data_sparse(u8* dest, const u8* src, size_t n) {
  const u8* bytes = src + (n + 7) / 8;
  for (size_t i = 0; i < n; i++)
    if (src[i / 8] & (1u << (i % 8)))
      dest[i] = *bytes++;
}
#define LOAD_DATA_SPARSE(m, o, i, s)      \\
  do {                                    \\
    RANGE_CHECK((&m), o, s);              \\
    load_data_sparse(&(m.data[o]), i, s); \\
  } while (0)
`;
const anchor = "static void init_memories(";
if (!text.includes(anchor)) fail(`no ${anchor}`);
text = text.replace(anchor, DECODER + "\n" + anchor);
writeFileSync(cFile, text);
console.log(`${cFile}: ${rewritten} of ${loads.length} data segments sparse, ${before} -> ${after} bytes`);
