/* The reference libraries' decompressors (scripts/bench/decompress-lib.c). */
#ifndef DECOMPRESS_LIB_H
#define DECOMPRESS_LIB_H
#include <stddef.h>
#include <stdint.h>

/* The library that decodes FORMAT ("zlib", "liblzma", ...), NULL when none does. */
const char *lib_name(const char *format);
/* Decode `len` bytes at `in` as FORMAT (gzip xz lzma zstd lz4 bzip2 lzo) into out[0..cap):
 * 0 and *out_len, or -1 with what went wrong in err. */
int lib_decompress(const char *format, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                   size_t *out_len, char *err, size_t err_len);
#endif
