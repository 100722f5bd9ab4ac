// The compressions a Linux kernel can be built with besides xz, as the real tools make them
// for CONFIG_KERNEL_<X> (fast levels: the format is what matters): [format, tool, arguments].
export const KERNEL_PACKERS: [string, string, string[]][] = [
  ["gzip", "gzip", ["-1", "-c"]],
  ["zstd", "zstd", ["-3", "-c", "-q"]],
  ["lz4", "lz4", ["-l", "-c", "-q"]],
  ["bzip2", "bzip2", ["-1", "-c"]],
  ["lzma", "xz", ["--format=lzma", "-0", "-c"]],
  ["lzo", "lzop", ["-1", "-c"]],
];
