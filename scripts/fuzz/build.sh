#!/usr/bin/env bash
# Builds the fuzz targets: src/fuzz/<target>.ts -> build/fuzz/<target>.wasm (asc, the same
# runtime and optimisation as the core, abort routed to a trap, no import but memory)
# -> wasm2c -> build/fuzz/<target>/ -> clang -fsanitize=fuzzer,address with
# scripts/fuzz/driver.c and scripts/hosted/wasm-rt-hosted.c -> build/fuzz/<target>-fuzz, a
# libFuzzer binary.
#
#   scripts/fuzz/build.sh [--wasm] [--no-install] [TARGET...]
#
# --wasm builds only the .wasm files (what test/fuzz.test.ts runs in Node; needs no clang).
# --no-install fails (exit 3) instead of installing a missing compiler.
# Without targets: every src/fuzz/*.ts that exports fuzz_one. Installs clang and libFuzzer
# (Debian 12: clang + libclang-rt-14-dev; llvm-14 for llvm-symbolizer) when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=build/fuzz
wasm_only=0
no_install=0
targets=()
for a in "$@"; do
  case "$a" in
    --wasm) wasm_only=1 ;;
    --no-install) no_install=1 ;;
    -*) echo "build.sh: unknown option $a" >&2; exit 2 ;;
    *) targets+=("$a") ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for f in src/fuzz/*.ts; do
    grep -q 'export function fuzz_one' "$f" && targets+=("$(basename "$f" .ts)")
  done
fi

have() { command -v "$1" >/dev/null 2>&1; }

# libFuzzer with Debian 12's clang 14 lives in libclang-rt-14-dev (libclang_rt.fuzzer-x86_64.a);
# `clang` alone does not pull it in. llvm-symbolizer (llvm-14) makes the crash stacks readable.
install_clang() {
  local need=()
  have clang || need+=(clang)
  local lib
  lib=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
  [ -f "$lib" ] || need+=(libclang-rt-14-dev)
  have llvm-symbolizer || need+=(llvm-14)
  have wasm2c || need+=(wabt)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ $no_install -eq 1 ]; then
    echo "fuzz: missing ${need[*]} (make fuzz-build installs them)" >&2
    exit 3
  fi
  echo "fuzz: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  bash scripts/lib/apt-update.sh
  $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
}

# Rebuild when anything under src/, this script, the driver or the asc config is newer.
stale() {
  local out=$1
  [ ! -e "$out" ] && return 0
  [ -n "$(find src scripts/fuzz/build.sh scripts/fuzz/driver.c scripts/hosted scripts/fuzz/range-check.h scripts/fuzz/coverage-ignore.txt scripts/fuzz/asconfig.json -newer "$out" -print -quit)" ]
}

build_wasm() {
  local t=$1 wasm=$OUT/$1.wasm
  [ -f "src/fuzz/$t.ts" ] || { echo "fuzz: no src/fuzz/$t.ts" >&2; exit 1; }
  stale "$wasm" || return 0
  mkdir -p "$OUT"
  rm -f "$wasm"
  if ! npx asc "src/fuzz/$t.ts" --config scripts/fuzz/asconfig.json -o "$wasm" -t "$OUT/$t.wat" >"$OUT/$t.asc.log" 2>&1 ||
     [ ! -s "$wasm" ]; then
    grep -v nodedir "$OUT/$t.asc.log" >&2
    echo "fuzz: asc failed for $t" >&2
    exit 1
  fi
  # The entry must be self-contained: linear memory is its only import, besides contract
  # imports `xen.NAME` that it answers itself with an export `fake_NAME` (src/fuzz/fakexen.ts).
  local imports name
  imports=$(grep -E '^ \(import ' "$OUT/$t.wat" | grep -v '(import "env" "memory"' || true)
  local bad=""
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    name=$(sed -n 's/^ (import "xen" "\([a-z0-9_]*\)".*/\1/p' <<<"$line")
    if [ -z "$name" ] || ! grep -q "^ (export \"fake_$name\" (func" "$OUT/$t.wat"; then bad+="$line"$'\n'; fi
  done <<<"$imports"
  if [ -n "$bad" ]; then
    echo "fuzz: $wasm has imports besides env.memory and xen.* answered by fake_* exports:" >&2
    echo -n "$bad" >&2
    rm -f "$wasm"
    exit 1
  fi
  echo "fuzz: $wasm ($(stat -c %s "$wasm") bytes)"
}

build_native() {
  local t=$1 wasm=$OUT/$1.wasm dir=$OUT/$1 bin=$OUT/$1-fuzz
  local flavor="asan=${FUZZ_ASAN:-0} asan_module=${FUZZ_ASAN_MODULE:-0}"
  if ! stale "$bin" && [ "$(cat "$dir/flavor" 2>/dev/null)" = "$flavor" ]; then
    echo "fuzz: $bin is up to date"
    return 0
  fi
  mkdir -p "$dir"
  wasm2c -n "$t" "$wasm" -o "$dir/$t.c"
  # Bounds checks as an asm goto: the same check, but invisible to -fsanitize-coverage's
  # trace-cmp, which otherwise spends a third of the time logging address-vs-size compares
  # that teach the fuzzer nothing (the magic numbers and sizes in the parsers still count).
  # The call-depth check at every function entry, likewise.
  perl -0pi -e 's/#define FUNC_PROLOGUE\s*\\\n\s*if \(\+\+wasm_rt_call_stack_depth > WASM_RT_MAX_CALL_STACK_DEPTH\) \\\n\s*TRAP\(EXHAUSTION\);\n/#define FUNC_PROLOGUE \\\n  if (fuzz_out_of_range(++wasm_rt_call_stack_depth, WASM_RT_MAX_CALL_STACK_DEPTH)) \\\n    TRAP(EXHAUSTION);\n/ or die "FUNC_PROLOGUE not found\n"' "$dir/$t.c"
  perl -0pi -e 's/#define RANGE_CHECK\(mem, offset, len\)\s*\\\n\s*if \(UNLIKELY\(offset \+ \(uint64_t\)len > mem->size\)\) \\\n\s*TRAP\(OOB\);\n/#define RANGE_CHECK(mem, offset, len) \\\n  if (fuzz_out_of_range((uint64_t)(offset) + (uint64_t)(len), (mem)->size)) \\\n    TRAP(OOB);\n/ or die "RANGE_CHECK not found\n"' "$dir/$t.c"
  local pages
  pages=$(sed -n 's/^ (import "env" "memory" (memory \$[0-9a-z]* \([0-9]*\).*/\1/p' "$OUT/$t.wat")
  [ -n "$pages" ] || { echo "fuzz: no imported memory in $wasm" >&2; exit 1; }
  local cflags=(-g -O2 -fsanitize=fuzzer,address -fno-omit-frame-pointer -I "$dir"
    -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DWASM_RT_MAX_CALL_STACK_DEPTH=1000
    -Wno-unused-value -Wno-unused-function -Wno-unused-variable -Wno-unused-but-set-variable)
  # By default nothing has ASan. The generated module's every access to the linear memory is
  # already bounds checked by wasm2c (ASan costs it ~25% for nothing); and ASan's allocator
  # maps every large block afresh, so libFuzzer's copy of each input (its `new[]` of up to
  # -max_len bytes) page-faulted on every execution: a third of ext's time
  # (docs/fuzzing.md). FUZZ_ASAN=1 puts ASan on the driver and the hosted runtime (the only
  # hand-written C here), FUZZ_ASAN_MODULE=1 on the generated module too.
  local modflags=("${cflags[@]/-fsanitize=fuzzer,address/-fsanitize=fuzzer}")
  local linkflag=-fsanitize=fuzzer
  if [ "${FUZZ_ASAN:-0}" != 1 ] && [ "${FUZZ_ASAN_MODULE:-0}" != 1 ]; then
    cflags=("${cflags[@]/-fsanitize=fuzzer,address/-fsanitize=fuzzer}")
  else
    linkflag=-fsanitize=fuzzer,address
  fi
  [ "${FUZZ_ASAN_MODULE:-0}" = 1 ] && modflags=("${cflags[@]}")
  clang "${modflags[@]}" -fsanitize-coverage-ignorelist=scripts/fuzz/coverage-ignore.txt \
    -include scripts/fuzz/range-check.h -c "$dir/$t.c" -o "$dir/$t.o"
  # Contract imports: each xen.NAME calls the module's own export fake_NAME (src/fuzz/fakexen.ts)
  # on the driver's instance. Generated from the header wasm2c wrote.
  local xen=0
  {
    echo "/* generated by scripts/fuzz/build.sh: xen.NAME -> the module's fake_NAME */"
    echo "#include \"$t.h\""
    echo "extern Z_${t}_instance_t *fuzz_instance;"
    perl -ne 'if (/^(\w+) Z_xenZ_(\w+)\(struct Z_xen_instance_t\*((?:, \w+)*)\);$/) {
        my ($ret, $name, $ps) = ($1, $2, $3); my @p = grep { length } split /, /, $ps;
        my $i = 0; my $decl = join "", map { ", $_ a" . $i++ } @p; $i = 0;
        my $args = join "", map { ", a" . $i++ } @p;
        print "$ret Z_xenZ_$name(struct Z_xen_instance_t *x$decl) { (void)x; " . ($ret eq "void" ? "" : "return ") . "Z_'"$t"'Z_fake_$name(fuzz_instance$args); }\n"; }' "$dir/$t.h"
  } >"$dir/xen-imports.c"
  grep -q 'struct Z_xen_instance_t\*);' "$dir/$t.h" && xen=1
  clang "${cflags[@]}" -I scripts/hosted -DFUZZ_MODULE="$t" -DFUZZ_HEADER="\"$t.h\"" -DFUZZ_MIN_PAGES="$pages" \
    -DFUZZ_XEN="$xen" -c scripts/fuzz/driver.c -o "$dir/driver.o"
  clang "${modflags[@]}" -I scripts/hosted -I "$dir" -c "$dir/xen-imports.c" -o "$dir/xen-imports.o"
  clang "${cflags[@]}" -I scripts/hosted -c scripts/hosted/wasm-rt-hosted.c -o "$dir/wasm-rt-hosted.o"
  clang "$linkflag" "$dir/$t.o" "$dir/driver.o" "$dir/xen-imports.o" "$dir/wasm-rt-hosted.o" -o "$bin"
  echo "$flavor" >"$dir/flavor"
  echo "fuzz: $bin"
}

[ $wasm_only -eq 1 ] || install_clang
for t in "${targets[@]}"; do
  build_wasm "$t"
  [ $wasm_only -eq 1 ] || build_native "$t"
done
