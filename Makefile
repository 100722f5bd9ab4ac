# pvboot: AssemblyScript core -> build/pvboot.wasm -> wasm2c -> gcc with the shim (boot/)
# -> build/pvboot-$(arch).elf, a Xen PV kernel image for each arch in ARCHS (the same core,
# the same wasm2c output, compiled -m64 and -m32), stripped (the linked file with its symbols,
# for addr2line, is build/$(arch)/pvboot.elf), and build/pvboot-$(arch).elf.gz, the file an xl
# config names as `kernel =` (xl unpacks it).
#
#   make            build everything (installs what is missing first)
#   make test       all tests (unit, emulator, real Xen under QEMU)
#   make demo       boot a sample disk in the emulator
#   make bench      every benchmark under scripts/bench, one line per figure
#   make bench-xen  every benchmark under scripts/bench-xen, on the real Xen test host
#   make bench-xen-memory  the smallest memory each loader boots with (scripts/bench-xen-memory)
#   make deb        build/pvboot_VERSION_all.deb: the compressed images, xl.cfg examples, the man page

# ARCHS: the PV arches `make` builds every image for (pvboot-ARCH.elf, probe-ARCH.elf). ARCH: the
# host's, whose codegen flags the hosted builds (the decompressor benchmark) use.
# PVH (issue 23): build/pvboot-pvh.elf(.gz), the same core with the shim of boot/pvh.
ARCH ?= x86_64
ARCHS := x86_64 x86_32
BUILD := build
WASM := $(BUILD)/pvboot.wasm
IMAGES := $(foreach a,$(ARCHS),$(BUILD)/pvboot-$(a).elf)
PVH_IMAGES := $(BUILD)/pvboot-pvh.elf $(BUILD)/pvboot-pvh.elf.gz
# The compressed images: gzip, the one format xl's libxenguest (4.17) unpacks for a raw
# kernel file; xz, lzma, zstd, lz4, bzip2 and lzo it unpacks only as a Linux bzImage's payload.
# Written by zopfli (Debian's zopfli): the same gzip format, 3.5% smaller than gzip -9 for the
# same bytes, no name and no time in the header. docs/image.md has the figures.
GZ_IMAGES := $(foreach a,$(ARCHS),$(BUILD)/pvboot-$(a).elf.gz)
GZ_COMMAND := zopfli --i15 -c
W2C := $(BUILD)/wasm2c
# The probe (src/probe/, test/xen/probe.test.ts): a second core, the same shim built again
# against its wasm2c output, for the next kernel's view of the handoff; probe-pvh.elf with the
# PVH shim (test/xen/pvh.test.ts).
PROBE_DIR := $(BUILD)/probe
PROBE_WASM := $(BUILD)/probe.wasm
PROBE_W2C := $(PROBE_DIR)/wasm2c
PROBE_IMAGES := $(foreach a,$(ARCHS) pvh,$(BUILD)/probe-$(a).elf)

# wasm2c's generated names and runtime API changed after 1.0.32 (w2c_ prefix): pin it.
WABT_VERSION := 1.0.32

CORE_SRC := $(shell find src -name '*.ts') asconfig.json asconfig-runtime.mjs

CC := gcc
GCC_INCLUDE := $(shell $(CC) -print-file-name=include)
CFLAGS_x86_64 := -m64 -mno-red-zone -mcmodel=small
CFLAGS_x86_32 := -m32 -march=i686
CFLAGS_pvh := $(CFLAGS_x86_64)
LDFLAGS_x86_64 := -m elf_x86_64
LDFLAGS_x86_32 := -m elf_i386
LDFLAGS_pvh := $(LDFLAGS_x86_64)
# The shim's folders per image kind, besides boot/*.c (what every kind shares): boot/pv for
# both PV widths, then the arch's own.
SHIM_DIRS_x86_64 := boot/pv boot/x86_64
SHIM_DIRS_x86_32 := boot/pv boot/x86_32
SHIM_DIRS_pvh := boot/pvh
# x86_32 links libgcc for the 64-bit divisions wasm2c's code makes (gcc-multilib's 32-bit one).
LIBS_x86_32 = $(shell $(CC) -m32 -print-libgcc-file-name)
# How the core (and the shim) is compiled: also what build/bench/decompress compiles its
# wasm2c output with, hosted (system headers instead of boot/include). The core's cold
# functions are compiled for size on top of it (HOT below).
CFLAGS_CODEGEN := -ffreestanding -fno-pic -fno-pie -O2 -fno-stack-protector -fno-asynchronous-unwind-tables \
  -fno-builtin -fno-tree-loop-distribute-patterns -fno-math-errno -mno-sse -mno-mmx -Wall \
  -Wno-unused-value -Wno-unused-function -Wno-unused-variable -Wno-unused-but-set-variable \
  -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DWASM_RT_MAX_CALL_STACK_DEPTH=1000 $(CFLAGS_$(ARCH))
# After wasm2c, two rewrites of its C make the image smaller (docs/image.md, "Sizes"):
# - HOT (scripts/wasm2c-hot.mjs), on the core's output and on the benchmarks' programs (so that
#   they measure what ships): every function but the hot ones gets optimize("Oz") and calls its
#   FUNC_PROLOGUE out of line; the hot ones (the decompressors, the checksum loops, the ext read
#   path: found with perf on build/bench/decompress, the rule is in the script) keep -O2.
# - SPARSE_DATA (scripts/wasm2c-sparse-data.mjs), on the images' cores: the data segments
#   without their zero bytes (the memory starts zeroed; the UTF-16 strings are half zeros).
# And one, on the images' core and the benchmarks' programs (not the probe's, which has no hot
# function), makes it faster:
# - FIXED_BASE (scripts/wasm2c-fixed-base.mjs): the hot functions' loads and stores reach the
#   linear memory through a static pointer set at instantiation, not through the instance's
#   memory struct, which gcc must reload after every store (the memory never moves in any
#   runtime pvboot uses).
# Last, on the images' core, one that only the x86_32 image compiles in (PVBOOT_SEGMENT_MEMORY):
# - SEGMENT (scripts/wasm2c-segment.mjs): every load and store a move relative to %gs, unchecked.
# A rewrite that fails removes the C file, so that the next make runs wasm2c again.
HOT := node scripts/wasm2c-hot.mjs
SPARSE_DATA := node scripts/wasm2c-sparse-data.mjs
FIXED_BASE := node scripts/wasm2c-fixed-base.mjs
SEGMENT := node scripts/wasm2c-segment.mjs
W2C_REWRITES := scripts/wasm2c-hot.mjs scripts/wasm2c-sparse-data.mjs scripts/wasm2c-fixed-base.mjs \
  scripts/wasm2c-segment.mjs

# How each image checks the core's linear-memory accesses. x86_64 and pvh: guard pages. wasm2c drops its
# compare and branch before every load and store (core.o's text 838 -> 681 KB) and the shim keeps
# everything from the memory's current end to 8 GiB past its base unmapped, so that an access out
# of bounds page-faults and boot/traps.c reports it as the wasm trap (docs/contract.md, "Faults").
# The call-depth count stays (wasm-rt.h would drop it with the signal handler: the shim has no
# guard below its stack). x86_32 has no room for 8 GiB of guard in 4 GiB: its core reaches the
# memory through %gs, whose segment's limit is the memory's size, so that an access out of bounds
# is a #GP (scripts/wasm2c-segment.mjs, boot/x86_32/segment.c); wasm2c's checks stay for
# memory.fill and memory.copy. gcc 12 crashes on some of those %gs stores after its full
# redundancy elimination (-ftree-fre) has seen them, hence -fno-tree-fre there. The fuzz targets
# and the read-all benchmarks keep wasm2c's explicit checks (build/bench/decompress follows the
# host arch's image: DECOMPRESS_MEMCHECK below).
MEMCHECK_x86_64 := -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1 -DWASM_RT_USE_STACK_DEPTH_COUNT=1
MEMCHECK_x86_32 := -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DPVBOOT_SEGMENT_MEMORY=1 -fno-tree-fre
# pvh: guard pages too. Its page tables map the first 4 GiB 1:1, RAM past the memory's end
# included, so the core reaches its memory through an alias mapped only as far as it has grown
# (boot/pvh/mm.c).
MEMCHECK_pvh := -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1 -DWASM_RT_USE_STACK_DEPTH_COUNT=1
# The probe (test/xen/probe.test.ts) reports Xen's start-of-day mapping as the next kernel finds
# it: its shim must not unmap that mapping's tail, so it keeps the explicit checks on both arches.
MEMCHECK_probe := -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0

.PHONY: all setup test test-unit test-xen demo bench bench-xen bench-xen-memory clean xen-host fixtures deb
all: setup $(IMAGES) $(GZ_IMAGES) $(PROBE_IMAGES) $(PVH_IMAGES)

setup:
	@bash scripts/setup.sh
	@v=$$(wasm2c --version); [ "$$v" = "$(WABT_VERSION)" ] || \
	  { echo "wasm2c $$v found; pvboot is built against Debian's wabt $(WABT_VERSION)"; exit 1; }

$(WASM): $(CORE_SRC) package.json scripts/wasm-pack-data.mjs
	@mkdir -p $(BUILD)
	npx asc --config asconfig.json --target release
	@# Zeros need no data segment in a memory that starts zeroed (scripts/wasm-pack-data.mjs;
	@# build/pvboot.wat shows asc's segments, before packing).
	node scripts/wasm-pack-data.mjs $@ $@
	@# The core is integer-only: a float would make the -mno-sse build fail far from its cause.
	@if wasm-objdump -d $@ | grep -qE '\bf(32|64)\.'; then \
	  echo "$@: the core uses floating point"; rm -f $@; exit 1; fi

# One run makes all three (a grouped target: make -j would otherwise run it once per file,
# and two wasm2c runs writing core.h at once corrupt it).
$(W2C)/core.c $(W2C)/core.h $(W2C)/core-memory.h &: $(WASM) $(W2C_REWRITES)
	@mkdir -p $(W2C)
	wasm2c -n core $(WASM) -o $(W2C)/core.c
	$(HOT) $(W2C)/core.c $(BUILD)/pvboot.wat && $(SPARSE_DATA) $(W2C)/core.c && $(FIXED_BASE) $(W2C)/core.c && \
	  $(SEGMENT) $(W2C)/core.c || { rm -f $(W2C)/core.c; exit 1; }
	cp /usr/include/wasm-rt.h $(W2C)/
	@pages=$$(wasm-objdump -x -j Import $(WASM) | sed -n 's/.*memory\[0\] pages: initial=\([0-9]*\).*/\1/p'); \
	  [ -n "$$pages" ] || { echo "no imported memory in $(WASM)"; exit 1; }; \
	  echo "#define CORE_MIN_PAGES $$pages" > $(W2C)/core-memory.h
	@hole=$$(sed -n 's/^#define SEGMENT_HOLE \([0-9]*\)$$/\1/p' $(W2C)/core.c); \
	  [ -n "$$hole" ] || { echo "no SEGMENT_HOLE in $(W2C)/core.c"; exit 1; }; \
	  echo "#define CORE_SEGMENT_HOLE $$hole" >> $(W2C)/core-memory.h

# One image per arch and core: the shim's common files and its arch folder, with one core.c.
# $(1) arch, $(2) image name (pvboot, probe), $(3) the core's wasm2c dir, $(4) object dir.
define IMAGE_RULES
$(2)_$(1)_CFLAGS := -nostdlib -nostdinc -isystem $$(GCC_INCLUDE) -Iboot/include -Iboot -Iboot/$(1) \
  $$(filter-out $$(CFLAGS_$$(ARCH)) -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0,$$(CFLAGS_CODEGEN)) $$(CFLAGS_$(1)) \
  $$(if $$(MEMCHECK_$(2)),$$(MEMCHECK_$(2)),$$(MEMCHECK_$(1))) -I$(3)
$(2)_$(1)_SRC := $$(wildcard boot/*.c boot/*.h boot/include/*.h $$(addsuffix /*,$$(SHIM_DIRS_$(1))))
$(2)_$(1)_OBJ := $$(patsubst boot/%.c,$(4)/%.o,$$(wildcard boot/*.c $$(addsuffix /*.c,$$(SHIM_DIRS_$(1))))) \
  $$(patsubst boot/%.S,$(4)/%.o,$$(wildcard $$(addsuffix /*.S,$$(SHIM_DIRS_$(1)))))

$(4)/%.o: boot/%.c $$($(2)_$(1)_SRC) $(3)/core.h $(3)/core-memory.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(2)_$(1)_CFLAGS) -include $(3)/core-memory.h -c $$< -o $$@

$(4)/%.o: boot/%.S $$($(2)_$(1)_SRC)
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(2)_$(1)_CFLAGS) -D__ASSEMBLY__ -c $$< -o $$@

$(4)/core.o: $(3)/core.c $(3)/core.h boot/include/*.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(2)_$(1)_CFLAGS) -c $$< -o $$@

$(4)/$(2).elf: $$($(2)_$(1)_OBJ) $(4)/core.o boot/$(1)/pvboot.lds
	ld -nostdlib -static -z noexecstack --no-warn-rwx-segments --build-id=none $$(LDFLAGS_$(1)) \
	  -T boot/$(1)/pvboot.lds -o $$@ $$($(2)_$(1)_OBJ) $(4)/core.o $$(LIBS_$(1))

# Xen's ELF loader reads the program headers and the Xen notes only: the symbols stay behind.
$$(BUILD)/$(2)-$(1).elf: $(4)/$(2).elf
	objcopy --strip-all $$< $$@
	@echo "$$@: $$$$(stat -c %s $$@) bytes"
endef
$(foreach a,$(ARCHS) pvh,$(eval $(call IMAGE_RULES,$(a),pvboot,$(W2C),$(BUILD)/$(a))))

$(BUILD)/pvboot-%.elf.gz: $(BUILD)/pvboot-%.elf
	$(GZ_COMMAND) $< > $@.tmp && mv $@.tmp $@
	@echo "$@: $$(stat -c %s $@) bytes"

# For scripts/bench/image-size.ts, which compresses pvgrub2's image the same way.
.PHONY: gz-command
gz-command:
	@echo $(GZ_COMMAND)

# The probe: its own core, the same shim sources compiled against it (core.h differs).
$(PROBE_WASM): $(CORE_SRC) asconfig-probe.json package.json
	@mkdir -p $(BUILD)
	npx asc --config asconfig-probe.json --target release
	@if wasm-objdump -d $@ | grep -qE '\bf(32|64)\.'; then \
	  echo "$@: the probe uses floating point"; rm -f $@; exit 1; fi

$(PROBE_W2C)/core.c $(PROBE_W2C)/core.h $(PROBE_W2C)/core-memory.h &: $(PROBE_WASM) scripts/wasm2c-hot.mjs scripts/wasm2c-sparse-data.mjs
	@mkdir -p $(PROBE_W2C)
	wasm2c -n core $(PROBE_WASM) -o $(PROBE_W2C)/core.c
	$(HOT) $(PROBE_W2C)/core.c $(BUILD)/probe.wat && $(SPARSE_DATA) $(PROBE_W2C)/core.c || { rm -f $(PROBE_W2C)/core.c; exit 1; }
	cp /usr/include/wasm-rt.h $(PROBE_W2C)/
	@pages=$$(wasm-objdump -x -j Import $(PROBE_WASM) | sed -n 's/.*memory\[0\] pages: initial=\([0-9]*\).*/\1/p'); \
	  [ -n "$$pages" ] || { echo "no imported memory in $(PROBE_WASM)"; exit 1; }; \
	  echo "#define CORE_MIN_PAGES $$pages" > $(PROBE_W2C)/core-memory.h

$(foreach a,$(ARCHS) pvh,$(eval $(call IMAGE_RULES,$(a),probe,$(PROBE_W2C),$(PROBE_DIR)/$(a))))

# The real-Xen files one after another (each takes the machine's one QEMU slot; a file waiting
# for it would spend its test timeouts waiting), the rest in parallel before them.
test: all xen-host fuzz-build fixtures
	npx vitest run --exclude 'test/xen/**'
	npx vitest run --no-file-parallelism test/xen/

test-unit: all fixtures
	npx vitest run --exclude 'test/xen/**'

test-xen: all xen-host
	npx vitest run --no-file-parallelism test/xen/

# The cached inputs test files would otherwise build on first use (test/fixtures.ts says why).
fixtures: all
	npx tsx test/fixtures.ts

# The real Xen test host (scripts/xen-host/README.md): Debian's Xen, a dom0 kernel and root
# with xl, built from Debian's packages into build/cache/xen-host/ (cached; needs root).
xen-host:
	@npx tsx scripts/xen-host/build.ts >/dev/null

demo: all
	bash scripts/demo.sh

# Every benchmark runs; make fails at the end if one did (scripts/run-benches.sh).
bench: all
	@bash scripts/run-benches.sh scripts/bench

# The decompressor benchmark's program (scripts/bench/decompress.ts runs it): the decompressors
# compiled as the core is (src/bench/asconfig.json has the release target's options), wasm2c,
# gcc with the core's flags and the shim's string functions (boot/string.c), over the hosted
# runtime the fuzz driver uses (scripts/hosted/).
BENCH := $(BUILD)/bench
BENCH_HOST_CFLAGS := -O2 -Wall -Iscripts/hosted -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DWASM_RT_MAX_CALL_STACK_DEPTH=1000
$(BENCH)/decompress.wasm: $(CORE_SRC) src/bench/asconfig.json package.json
	@mkdir -p $(BENCH)
	npx asc src/bench/decompress.ts --config src/bench/asconfig.json -o $@ -t $(BENCH)/decompress.wat
	@if wasm-objdump -d $@ | grep -qE '\bf(32|64)\.'; then echo "$@: uses floating point"; rm -f $@; exit 1; fi

# Which way the program was last built: a change of DECOMPRESS_MEMCHECK rebuilds it.
$(BENCH)/decompress-c/memcheck-%:
	@mkdir -p $(dir $@)
	@rm -f $(dir $@)memcheck-*
	@touch $@

$(BENCH)/decompress-c/bench.c: $(BENCH)/decompress.wasm scripts/wasm2c-hot.mjs scripts/wasm2c-fixed-base.mjs
	@mkdir -p $(dir $@)
	wasm2c -n bench $< -o $@
	$(HOT) $@ $(BENCH)/decompress.wat && $(FIXED_BASE) $@ || { rm -f $@; exit 1; }
	@pages=$$(wasm-objdump -x -j Import $< | sed -n 's/.*memory\[0\] pages: initial=\([0-9]*\).*/\1/p'); \
	  [ -n "$$pages" ] || { echo "no imported memory in $<"; exit 1; }; \
	  echo "#define BENCH_MIN_PAGES $$pages" > $(dir $@)bench-memory.h

# The reference libraries it runs in the same process (scripts/bench/decompress-lib.c) are
# Debian's: zlib1g-dev, liblzma-dev, libzstd-dev, liblz4-dev, libbz2-dev, liblzo2-dev.
# It checks the linear memory as the image of the host's arch does (MEMCHECK_$(ARCH): on x86_64
# guard pages, the hosted runtime's SIGSEGV handler standing in for the shim's #PF handler).
# DECOMPRESS_MEMCHECK=0 builds it with wasm2c's explicit checks instead (the fuzz targets' way).
BENCH_LIBS := -lz -llzma -lzstd -llz4 -lbz2 -llzo2
DECOMPRESS_MEMCHECK ?= $(if $(findstring WASM_RT_MEMCHECK_SIGNAL_HANDLER=1,$(MEMCHECK_$(ARCH))),1,0)
BENCH_MEMCHECK := -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=$(DECOMPRESS_MEMCHECK) -DWASM_RT_USE_STACK_DEPTH_COUNT=1
BENCH_HOST_MEMCHECK_CFLAGS := $(filter-out -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0,$(BENCH_HOST_CFLAGS)) $(BENCH_MEMCHECK)
$(BENCH)/decompress: $(BENCH)/decompress-c/bench.c boot/string.c scripts/bench/decompress.c \
    scripts/bench/decompress-lib.c scripts/bench/decompress-lib.h \
    scripts/hosted/wasm-rt-hosted.c scripts/hosted/wasm-rt-hosted.h $(BENCH)/decompress-c/memcheck-$(DECOMPRESS_MEMCHECK)
	$(CC) $(filter-out -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0,$(CFLAGS_CODEGEN)) $(BENCH_MEMCHECK) -c $(BENCH)/decompress-c/bench.c -o $(BENCH)/decompress-c/bench.o
	$(CC) $(CFLAGS_CODEGEN) -c boot/string.c -o $(BENCH)/decompress-c/string.o
	$(CC) $(BENCH_HOST_MEMCHECK_CFLAGS) -I$(BENCH)/decompress-c -c scripts/bench/decompress.c -o $(BENCH)/decompress-c/main.o
	$(CC) $(BENCH_HOST_CFLAGS) -c scripts/bench/decompress-lib.c -o $(BENCH)/decompress-c/lib.o
	$(CC) $(BENCH_HOST_MEMCHECK_CFLAGS) -c scripts/hosted/wasm-rt-hosted.c -o $(BENCH)/decompress-c/wasm-rt-hosted.o
	$(CC) -no-pie -o $@ $(BENCH)/decompress-c/string.o $(BENCH)/decompress-c/bench.o \
	  $(BENCH)/decompress-c/main.o $(BENCH)/decompress-c/lib.o $(BENCH)/decompress-c/wasm-rt-hosted.o $(BENCH_LIBS)

# The read-all benchmarks' programs (scripts/bench/ext4-read-all.ts, xfs-read-all.ts,
# btrfs-read-all.ts run them): one reader (src/bench/$(1).ts, the walk in src/bench/read-all.ts)
# built the same way as build/bench/decompress but with wasm2c's explicit checks (the fuzz
# targets' way, not the x86_64 image's guard pages), over scripts/bench/fs-read-all.c. $(1): ext,
# xfs or btrfs.
define FS_BENCH_RULES
$$(BENCH)/$(1).wasm: $$(CORE_SRC) src/bench/asconfig.json package.json
	@mkdir -p $$(BENCH)
	npx asc src/bench/$(1).ts --config src/bench/asconfig.json -o $$@ -t $$(BENCH)/$(1).wat
	@if wasm-objdump -d $$@ | grep -qE '\bf(32|64)\.'; then echo "$$@: uses floating point"; rm -f $$@; exit 1; fi

$$(BENCH)/$(1)-c/bench.c: $$(BENCH)/$(1).wasm scripts/wasm2c-hot.mjs scripts/wasm2c-fixed-base.mjs
	@mkdir -p $$(dir $$@)
	wasm2c -n bench $$< -o $$@
	$$(HOT) $$@ $$(BENCH)/$(1).wat && $$(FIXED_BASE) $$@ || { rm -f $$@; exit 1; }
	@pages=$$$$(wasm-objdump -x -j Import $$< | sed -n 's/.*memory\[0\] pages: initial=\([0-9]*\).*/\1/p'); \
	  [ -n "$$$$pages" ] || { echo "no imported memory in $$<"; exit 1; }; \
	  echo "#define BENCH_MIN_PAGES $$$$pages" > $$(dir $$@)bench-memory.h

$$(BENCH)/$(1)-read-all: $$(BENCH)/$(1)-c/bench.c boot/string.c scripts/bench/fs-read-all.c \
    scripts/hosted/wasm-rt-hosted.c scripts/hosted/wasm-rt-hosted.h
	$$(CC) $$(CFLAGS_CODEGEN) -c $$(BENCH)/$(1)-c/bench.c -o $$(BENCH)/$(1)-c/bench.o
	$$(CC) $$(CFLAGS_CODEGEN) -c boot/string.c -o $$(BENCH)/$(1)-c/string.o
	$$(CC) $$(BENCH_HOST_CFLAGS) -I$$(BENCH)/$(1)-c -c scripts/bench/fs-read-all.c -o $$(BENCH)/$(1)-c/main.o
	$$(CC) $$(BENCH_HOST_CFLAGS) -c scripts/hosted/wasm-rt-hosted.c -o $$(BENCH)/$(1)-c/wasm-rt-hosted.o
	$$(CC) -no-pie -o $$@ $$(BENCH)/$(1)-c/string.o $$(BENCH)/$(1)-c/bench.o \
	  $$(BENCH)/$(1)-c/main.o $$(BENCH)/$(1)-c/wasm-rt-hosted.o
endef
$(foreach f,ext xfs btrfs,$(eval $(call FS_BENCH_RULES,$(f))))

# Every real-Xen benchmark (scripts/bench-xen/*.ts: PV and PVH boot times, dom0's figures, GNU
# Mach; their shared code in scripts/bench-xen/lib/ is not one) runs; make fails at the end if
# one did (gnumach32.ts fails, saying why, until build/pvboot-x86_32.elf is built).
bench-xen: all xen-host
	@bash scripts/run-benches.sh scripts/bench-xen

# The smallest memory each loader boots with (scripts/bench-xen-memory/): 18 guest boots, longer
# than the rest of bench-xen together, so not part of it.
bench-xen-memory: all xen-host
	@bash scripts/run-benches.sh scripts/bench-xen-memory

# The Debian package (scripts/deb/build.sh): every compressed image, checked with lintian.
deb: setup $(GZ_IMAGES)
	@bash scripts/deb/build.sh

clean:
	rm -rf $(foreach a,$(ARCHS) pvh,$(BUILD)/$(a)) $(W2C) $(WASM) $(BUILD)/pvboot.wat $(BUILD)/pvboot-*.elf $(BUILD)/pvboot-*.elf.gz \
	  $(PROBE_DIR) $(PROBE_WASM) $(BUILD)/probe.wat $(BUILD)/probe-*.elf \
	  $(BUILD)/deb $(BUILD)/pvboot_*.deb

# ---- Fuzzing (scripts/fuzz/README.md, docs/fuzzing.md): the parsers under libFuzzer ----------
#   make fuzz-build       build every target (installs clang + libFuzzer when missing)
#   make fuzz             a bounded smoke run of each target (FUZZ_SECONDS, default 60)
#   make fuzz-campaign    the next part of each target's campaign: one libFuzzer run over the
#                         target's working corpus until the campaign (all its parts) reaches
#                         FUZZ_CAMPAIGN_RUNS executions (default 10 M) or the part has run
#                         FUZZ_CAMPAIGN_SECONDS (default 3600); FUZZ_TARGETS= to choose; logged to
#                         build/fuzz/logs/campaign-<target>-<part>.log
#   make fuzz-report      the table of docs/fuzzing.md, from those logs
.PHONY: fuzz fuzz-build fuzz-campaign fuzz-report
FUZZ_TARGETS := $(basename $(notdir $(shell grep -l 'export function fuzz_one' src/fuzz/*.ts 2>/dev/null)))
FUZZ_SECONDS ?= 60

fuzz-build: setup
	@bash scripts/fuzz/build.sh $(FUZZ_TARGETS)

fuzz: fuzz-build
	@mkdir -p $(BUILD)/fuzz/logs; for t in $(FUZZ_TARGETS); do echo "== fuzz $$t: $(FUZZ_SECONDS) s"; \
	  log=$(BUILD)/fuzz/logs/smoke-$$t.log; st=0; bash scripts/fuzz/run $$t $(FUZZ_SECONDS) >$$log 2>&1 || st=$$?; \
	  grep -E '^(stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|pvboot-fuzz|==[0-9]+==|SUMMARY|Test unit)' $$log; \
	  [ $$st -eq 0 ] || { echo "fuzz $$t: FOUND SOMETHING (exit $$st): $$log, $(BUILD)/fuzz/crashes/$$t/"; exit 1; }; done

FUZZ_CAMPAIGN_SECONDS ?= 3600
FUZZ_CAMPAIGN_RUNS ?= 10000000
fuzz-campaign: fuzz-build
	@mkdir -p $(BUILD)/fuzz/logs; for t in $(FUZZ_TARGETS); do \
	  set -- $$(npx tsx scripts/fuzz/report.ts --next $$t $(FUZZ_CAMPAIGN_RUNS) $(BUILD)/fuzz/logs); \
	  if [ "$$2" = 0 ]; then echo "== fuzz campaign $$t: $(FUZZ_CAMPAIGN_RUNS) executions reached"; continue; fi; \
	  log=$(BUILD)/fuzz/logs/campaign-$$t-$$1.log; \
	  echo "== fuzz campaign $$t, part $$1: $$2 executions to go, at most $(FUZZ_CAMPAIGN_SECONDS) s"; \
	  bash scripts/fuzz/run $$t -runs=$$2 -max_total_time=$(FUZZ_CAMPAIGN_SECONDS) >$$log 2>&1 || \
	  echo "fuzz campaign $$t: FOUND SOMETHING: $$log, $(BUILD)/fuzz/crashes/$$t/"; done

fuzz-report:
	@npx tsx scripts/fuzz/report.ts

# The test suite's libFuzzer part (test/fuzz.test.ts) needs the compiler: build it first.
test test-unit: fuzz-build
