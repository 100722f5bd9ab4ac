// Compiles the cold functions of a wasm2c output for size; the hot ones keep the command line's
// -O2 (CFLAGS_CODEGEN), so their code is what it was before (docs/image.md, "Sizes").
//
//   node scripts/wasm2c-hot.mjs FILE.c FILE.wat
//
// FILE.wat is asc's text output of the module wasm2c translated (the Makefile's `textFile`, or
// `-t`): it names the functions, which the release .wasm does not (wasm2c calls them w2c_fN).
// wasm2c writes one definition per function in index order, as the .wat lists them, so the Nth
// definition in FILE.c is the Nth `(func` of FILE.wat; a count that differs stops the build.
// Each cold definition (not HOT, below) gets `__attribute__((optimize("Oz")))` and calls its
// prologue out of line: wasm2c's FUNC_PROLOGUE (the call-depth count and its EXHAUSTION trap,
// the same check) in one function, func_prologue_cold, a 5-byte call instead of some 29 bytes
// inline in each cold function. The hot ones are left as wasm2c wrote them, but for PAGE's
// alignment (below). (The other way round, -Oz on the command line and optimize("O2") on the
// hot functions, is 7 KB smaller but does not give the hot functions -O2's code: callgrind
// counted 1.9% more instructions in gzip's inflate.) FILE.c is rewritten in place; a second
// run finds its own edits and leaves them.
//
// HOT, the rule: the code a boot spends its time in, found by profiling build/bench/decompress
// with perf on Debian's kernel in every format (lzmaRun, unzstd, inflate, unlzo, lz4's
// decodeBlock, crc32Update, adler32, and bzip2, which asc inlines into the benchmark's bench_run),
// taken whole by module so that their helpers stay with them:
// - src/loader/decompress/: every decompressor and its checks (CRC-32, CRC-64, xxhash, adler32,
//   SHA-256), but not index/ (the dispatcher and format detection: no loop, once per file);
// - ~lib/polyfills/: bswap, a leaf the decompressors call per word (lzo's, through the bench's
//   profile: compiled for size, gcc no longer inlined it into unlzo);
// - src/lib/crc32, src/lib/crc32c: the checksum loops (gzip, ext4 and btrfs metadata);
// - the ext read path, as ext4-read-all runs it: src/fs/ext/{file,extents,blockmap,cache,volume}
//   and blkfront's read path under it (BlkDisk#read, #collect, #oneRequest, #awaitBackend,
//   #push, #inFlightRange);
// - src/bench/: the benchmark programs' own entry points (only in build/bench/*.wasm).
// Everything else (configuration parsers, menu, shell, mount, domain building) runs once per
// boot over small inputs and is compiled for size, -Oz.
import { readFileSync, writeFileSync } from "node:fs";

const HOT = /^(src\/loader\/decompress\/(?!index\/)|~lib\/polyfills\/|src\/lib\/crc32c?\/|src\/fs\/ext\/(file|extents|blockmap|cache|volume)\/|src\/drivers\/blkfront\/BlkDisk#(read|collect|oneRequest|awaitBackend|push|inFlightRange)$|src\/bench\/)/;
const ATTR = '__attribute__((optimize("Oz"))) ';

// PAGE, among the hot ones: the xz decoder's loops (lzmaRun, 4 KB of code; the CRC-32 check),
// each starting a page of its own. Under QEMU's TCG, where the real-Xen tests and benchmarks
// run, a translated block jumps straight to the next only when both start in the same 4 KiB
// page; a jump to another page looks its target up in a hash table first. lzmaRun crossed a
// page boundary wherever the link put it: in build/bench/decompress its literal loops lay on
// both sides, which cost 6% of the decode under TCG (1.38-1.53 s -> 1.29-1.34 s, best of 12
// decodes, the program booted as init under qemu-system-x86_64: docs/loader.md); in the image
// the distance code did. From a page's
// start it fits one page whole. The padding: some KB of the ELF, a few hundred bytes of its gzip.
const PAGE = /^src\/loader\/decompress\/(lzma_dec\/lzmaRun|checks\/crc32Update)$/;
const PAGE_ATTR = "__attribute__((aligned(4096))) ";

const [cFile, watFile] = process.argv.slice(2);
if (!cFile || !watFile) {
  console.error("usage: node scripts/wasm2c-hot.mjs FILE.c FILE.wat");
  process.exit(2);
}

const names = [];
for (const m of readFileSync(watFile, "utf8").matchAll(/^ \(func \$(\S+)/gm)) names.push(m[1]);

// A definition: `static u32 w2c_f367(Z_core_instance_t* instance, u32 w2c_p0) {`, possibly with
// the attribute from an earlier run.
const DEF = /^((?:__attribute__\(\((?:optimize\("Oz"\)|aligned\(4096\))\)\) )?)(static \S+ w2c_\w+\(\w+_instance_t\* instance[^;]*\{)$/;
const PROLOGUE = /^  FUNC_PROLOGUE(_COLD)?;$/;
const COLD_PROLOGUE = `/* scripts/wasm2c-hot.mjs: the cold functions' FUNC_PROLOGUE, out of line */
#if WASM_RT_USE_STACK_DEPTH_COUNT
static __attribute__((noinline, optimize("Oz"))) void func_prologue_cold(void) { FUNC_PROLOGUE; }
#define FUNC_PROLOGUE_COLD func_prologue_cold()
#else
#define FUNC_PROLOGUE_COLD
#endif`;
const lines = readFileSync(cFile, "utf8").split("\n");
let n = 0, hot = 0;
for (let i = 0; i < lines.length; i++) {
  if (lines[i] === "#define UNREACHABLE TRAP(UNREACHABLE)" && !lines[i + 2]?.includes("wasm2c-hot")) {
    lines.splice(i + 1, 0, "", ...COLD_PROLOGUE.split("\n"));
    continue;
  }
  const m = DEF.exec(lines[i]);
  if (!m) continue;
  const name = names[n++];
  const isHot = name !== undefined && HOT.test(name);
  lines[i] = (isHot ? (PAGE.test(name) ? PAGE_ATTR : "") : ATTR) + m[2];
  if (isHot) hot++;
  // The prologue follows the locals' declarations (one line per type).
  let j = i + 1;
  while (j < i + 8 && !PROLOGUE.test(lines[j])) j++;
  if (!PROLOGUE.test(lines[j])) {
    console.error(`${cFile}:${i + 1}: no FUNC_PROLOGUE after the definition`);
    process.exit(1);
  }
  lines[j] = isHot ? "  FUNC_PROLOGUE;" : "  FUNC_PROLOGUE_COLD;";
}
if (n !== names.length) {
  console.error(`${cFile}: ${n} function definitions, ${watFile}: ${names.length} functions`);
  process.exit(1);
}
if (!lines.some((l) => l.includes("void func_prologue_cold(void)"))) {
  console.error(`${cFile}: no "#define UNREACHABLE TRAP(UNREACHABLE)" to put func_prologue_cold after`);
  process.exit(1);
}
writeFileSync(cFile, lines.join("\n"));
console.log(`${cFile}: ${n - hot} of ${n} functions compiled for size, ${hot} hot ones as they were`);
