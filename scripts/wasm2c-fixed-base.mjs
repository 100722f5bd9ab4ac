// Makes the hot functions of a wasm2c output reach the imported linear memory through one static
// pointer.
//
//   node scripts/wasm2c-fixed-base.mjs FILE.c
//
// wasm2c (1.0.32) writes every load and store as a copy to or from `&mem->data[addr]`, where
// `mem` is the instance's pointer to the imported memory. A store writes bytes (char), which C
// lets alias anything, so after every store gcc must load `instance->memory` and then
// `mem->data` again before the next access: two dependent loads in front of the next load or
// store of a hot loop (perf on the decompressors, docs/loader.md). Every runtime pvboot links the
// core into keeps the memory where it first put it (the shim maps growth in place above
// arch_linear_va, scripts/hosted/ reserves its range once), so the base can be read once.
//
// This adds `linear_memory_base`, a static of the file whose address is never taken (so no store
// through a pointer can change it, and gcc keeps it in a register across a loop), set by the
// instantiation from the memory it was given; and beside each of wasm2c's load and store
// functions a `_fixed` one that is the same but for the base. The hot functions (those
// scripts/wasm2c-hot.mjs left without optimize("Oz"), so it runs first; in a file it has not
// seen, every function) call the `_fixed` ones. The cold ones keep wasm2c's: in them the static
// would be a RIP-relative load per access, each with its own displacement, which gzip packs
// worse (the x86_64 image's .gz grew by 6 KB that way). The bounds checks (explicit in the
// benchmarks and fuzz targets, guard pages on x86_64 and PVH) and memory.size/grow/copy/fill are
// as wasm2c wrote them; the x86_32 image points both kinds of accessor at its %gs ones
// (scripts/wasm2c-segment.mjs, which runs after this).
// FILE.c is rewritten in place; a file already rewritten is left as it is.
import { readFileSync, writeFileSync } from "node:fs";

const [cFile] = process.argv.slice(2);
if (!cFile) {
  console.error("usage: node scripts/wasm2c-fixed-base.mjs FILE.c");
  process.exit(2);
}
const text = readFileSync(cFile, "utf8");
if (text.includes("linear_memory_base")) process.exit(0);

const fail = (msg) => {
  console.error(`${cFile}: ${msg}`);
  process.exit(1);
};

const lines = text.split("\n");

// DEFINE_LOAD(i32_load, u32, u32, u32) ... DEFINE_STORE(i64_store32, u32, u64): the _fixed twins
// go after the last of them.
const DEFINE = /^DEFINE_(LOAD|STORE)\((\w+), [^)]*\)$/;
const accessors = [];
const twins = [];
let last = -1;
lines.forEach((l, i) => {
  const m = DEFINE.exec(l);
  if (m) {
    accessors.push(m[2]);
    twins.push(`DEFINE_${m[1]}_FIXED(${l.slice(l.indexOf("(") + 1)}`);
    last = i;
  }
});
if (accessors.length < 20) fail(`${accessors.length} DEFINE_LOAD/DEFINE_STORE lines, not wasm2c 1.0.32's 23`);
lines.splice(last + 1, 0, "",
  "/* scripts/wasm2c-fixed-base.mjs: the hot functions' loads and stores, through the imported",
  " * memory's data pointer, read once at instantiation (the memory never moves) */",
  "#if WABT_BIG_ENDIAN",
  '#error "scripts/wasm2c-fixed-base.mjs writes the little-endian accessors only"',
  "#endif",
  "static u8 *linear_memory_base;",
  "#define DEFINE_LOAD_FIXED(name, t1, t2, t3)                          \\",
  "  static inline t3 name##_fixed(wasm_rt_memory_t* mem, u64 addr) {   \\",
  "    MEMCHECK(mem, addr, t1);                                         \\",
  "    t1 result;                                                       \\",
  "    wasm_rt_memcpy(&result, &linear_memory_base[addr], sizeof(t1));  \\",
  '    wasm_asm("" ::"r"(result));                                      \\',
  "    return (t3)(t2)result;                                           \\",
  "  }",
  "#define DEFINE_STORE_FIXED(name, t1, t2)                                     \\",
  "  static inline void name##_fixed(wasm_rt_memory_t* mem, u64 addr, t2 value) { \\",
  "    MEMCHECK(mem, addr, t1);                                                 \\",
  "    t1 wrapped = (t1)value;                                                  \\",
  "    wasm_rt_memcpy(&linear_memory_base[addr], &wrapped, sizeof(t1));         \\",
  "  }",
  ...twins);

// static void init_instance_import(Z_core_instance_t* instance, ...){
//   ...
//   instance->Z_envZ_memory = Z_envZ_memory(Z_env_instance);
// }
const field = new RegExp(`\\b(?:${accessors.join("|")})\\(instance->(\\w+), `).exec(text)?.[1];
if (!field) fail("no load or store through the instance's memory");
const init = lines.findIndex((l) => l.startsWith("static void init_instance_import("));
let assigned = false;
for (let i = init + 1; init >= 0 && i < lines.length && lines[i] !== "}"; i++) {
  if (lines[i].startsWith(`  instance->${field} = `)) {
    lines.splice(i + 1, 0, `  linear_memory_base = instance->${field}->data;`);
    assigned = true;
    break;
  }
}
if (!assigned) fail(`no assignment of instance->${field} in init_instance_import`);

// A definition: `static u32 w2c_f367(Z_core_instance_t* instance, u32 w2c_p0) {`, or a hot
// one that starts a page (wasm2c-hot.mjs's PAGE) with `__attribute__((aligned(4096)))` in
// front; a cold one has wasm2c-hot.mjs's optimize("Oz") in front. The body ends at the first
// "}" line.
const DEF = /^(?:__attribute__\(\(aligned\(4096\)\)\) )?static \S+ w2c_\w+\(\w+_instance_t\* instance[^;]*\{$/;
const CALL = new RegExp(`\\b(${accessors.join("|")})\\(instance->${field}, `, "g");
let hot = 0, calls = 0;
for (let i = 0; i < lines.length; i++) {
  if (!DEF.test(lines[i])) continue;
  hot++;
  for (i++; i < lines.length && lines[i] !== "}"; i++) {
    lines[i] = lines[i].replace(CALL, (_, name) => {
      calls++;
      return `${name}_fixed(instance->${field}, `;
    });
  }
}
if (hot === 0) fail("no hot function definitions");
writeFileSync(cFile, lines.join("\n"));
console.log(`${cFile}: ${calls} loads and stores in ${hot} hot functions through linear_memory_base`);
