/* The reference C libraries' decompressors, for build/bench/decompress (scripts/bench/decompress.c
 * times them in the same process as pvboot's, on the same input, runs interleaved): Debian's
 * zlib (inflate), liblzma (xz and the legacy .lzma), libzstd, liblz4, libbz2 and liblzo2.
 *
 * Each decodes the whole input into one caller-given buffer, the way pvboot's loader does, and
 * checks what the file format carries, as the tools do and as pvboot does: gzip's CRC-32 and
 * size (zlib), xz's check (liblzma), zstd's content checksum (libzstd), bzip2's block and stream
 * CRCs (libbz2), lzop's header and block checksums (adler32 or CRC-32, by its flags; checked
 * here with liblzo2's lzo_adler32 and lzo_crc32). The lz4 and lzop containers have no library
 * of their own: their framing is parsed here, the blocks decoded by LZ4_decompress_safe and
 * lzo1x_decompress_safe. Only what the benchmark's inputs use is parsed: lz4's legacy format
 * (`lz4 -l`, the kernel's) and lzop's LZO1X methods without filters or extra fields. */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress-lib.h"

static char *lib_err;
static size_t lib_err_len;

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lib_err, lib_err_len, fmt, ap);
    va_end(ap);
    return -1;
}

static int gzip_lib(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    z_stream s;
    int rc;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 16 + 15) != Z_OK) /* 16: a gzip wrapper, its CRC-32 and size checked */
        return fail("inflateInit2 failed");
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)len;
    s.next_out = out;
    s.avail_out = cap > UINT32_MAX ? UINT32_MAX : (uInt)cap;
    rc = inflate(&s, Z_FINISH);
    *out_len = s.total_out;
    inflateEnd(&s);
    if (rc != Z_STREAM_END)
        return fail("inflate: rc %ld after %ld bytes", (long)rc, (long)*out_len);
    return 0;
}

/* xz (one stream: the kernel's payload has its size appended after it) and .lzma. */
static int lzma_lib(int alone, const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret rc = alone ? lzma_alone_decoder(&s, UINT64_MAX) : lzma_stream_decoder(&s, UINT64_MAX, 0);
    if (rc != LZMA_OK)
        return fail("liblzma: decoder init rc %ld", (long)rc);
    s.next_in = in;
    s.avail_in = len;
    s.next_out = out;
    s.avail_out = cap;
    do
        rc = lzma_code(&s, LZMA_RUN);
    while (rc == LZMA_OK && s.avail_out > 0 && s.avail_in > 0);
    if (rc == LZMA_OK) /* all input given: let the decoder finish (.lzma's end marker) */
        rc = lzma_code(&s, LZMA_FINISH);
    *out_len = s.total_out;
    lzma_end(&s);
    if (rc != LZMA_STREAM_END)
        return fail("liblzma: rc %ld after %ld bytes", (long)rc, (long)*out_len);
    return 0;
}

static ZSTD_DCtx *zstd_ctx;

static int zstd_lib(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t n;
    if (!zstd_ctx && !(zstd_ctx = ZSTD_createDCtx()))
        return fail("ZSTD_createDCtx failed");
    n = ZSTD_decompressDCtx(zstd_ctx, out, cap, in, len);
    if (ZSTD_isError(n)) {
        snprintf(lib_err, lib_err_len, "zstd: %s", ZSTD_getErrorName(n));
        return -1;
    }
    *out_len = n;
    return 0;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* lz4's legacy format: magic 0x184c2102, then blocks, each a little-endian compressed size and
 * an independent LZ4 block of at most 8 MiB; it ends at the input's end or at a size that is a
 * magic number (another frame) or would run past the end (the kernel's appended size). */
static int lz4_lib(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t pos = 4, o = 0;
    if (len < 4 || le32(in) != 0x184c2102)
        return fail("lz4: not the legacy format");
    while (len - pos >= 4) {
        uint32_t c = le32(in + pos);
        size_t room = cap - o;
        int n;
        if (c == 0x184c2102 || c > len - pos - 4)
            break;
        n = LZ4_decompress_safe((const char *)in + pos + 4, (char *)out + o, (int)c,
                                (int)(room > (8u << 20) ? (8u << 20) : room));
        if (n < 0)
            return fail("lz4: block at byte %ld: rc %ld", (long)pos, (long)n);
        o += (size_t)n;
        pos += 4 + c;
    }
    *out_len = o;
    return 0;
}

static int bzip2_lib(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    unsigned int n = cap > UINT32_MAX ? UINT32_MAX : (unsigned int)cap;
    int rc = BZ2_bzBuffToBuffDecompress((char *)out, &n, (char *)in, (unsigned int)len, 0, 0);
    if (rc != BZ_OK)
        return fail("bzip2: rc %ld", (long)rc);
    *out_len = n;
    return 0;
}

/* lzop's format (as lzop 1.04 writes it): magic, version, library version, version needed
 * (0x0940 and later), method, level (0x0940 and later), flags, mode, mtime (two words from
 * 0x0940), name, then the header's adler32 (CRC-32 with F_H_CRC32); then blocks: uncompressed
 * size (0 ends), compressed size, the checksums the flags ask for, the data (stored when the
 * sizes are equal). */
#define F_ADLER32_D 0x1u
#define F_ADLER32_C 0x2u
#define F_H_EXTRA_FIELD 0x40u
#define F_CRC32_D 0x100u
#define F_CRC32_C 0x200u
#define F_H_FILTER 0x800u
#define F_H_CRC32 0x1000u

static int lzo_lib(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    static const uint8_t magic[9] = {0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a};
    size_t pos = 9, h0 = 9, o = 0;
    uint32_t version, flags, hsum;
    static int inited;
    if (!inited) {
        if (lzo_init() != LZO_E_OK)
            return fail("lzo_init failed");
        inited = 1;
    }
    if (len < 64 || memcmp(in, magic, 9) != 0)
        return fail("lzo: no lzop magic");
    version = (uint32_t)in[pos] << 8 | in[pos + 1];
    pos += 4;                          /* version, library version */
    if (version >= 0x0940) pos += 2;   /* version needed */
    pos += 1;                          /* method */
    if (version >= 0x0940) pos += 1;   /* level */
    flags = be32(in + pos);
    pos += 4;
    if (flags & (F_H_FILTER | F_H_EXTRA_FIELD))
        return fail("lzo: filters and extra fields are not parsed here (flags %lx)", (unsigned long)flags);
    pos += 8;                          /* mode, mtime */
    if (version >= 0x0940) pos += 4;   /* mtime high */
    pos += 1 + in[pos];                /* name */
    if (pos + 4 > len)
        return fail("lzo: truncated header");
    hsum = flags & F_H_CRC32 ? lzo_crc32(0, in + h0, pos - h0) : lzo_adler32(1, in + h0, pos - h0);
    if (hsum != be32(in + pos))
        return fail("lzo: header checksum mismatch at byte %ld", (long)pos);
    pos += 4;
    for (;;) {
        uint32_t dlen, clen, dsum = 0, csum = 0;
        lzo_uint n;
        if (len - pos < 4)
            return fail("lzo: truncated at byte %ld", (long)pos);
        dlen = be32(in + pos);
        pos += 4;
        if (dlen == 0)
            break;
        if (len - pos < 4)
            return fail("lzo: truncated at byte %ld", (long)pos);
        clen = be32(in + pos);
        pos += 4;
        if (flags & (F_ADLER32_D | F_CRC32_D)) {
            dsum = be32(in + pos);
            pos += 4;
        }
        if (clen < dlen && (flags & (F_ADLER32_C | F_CRC32_C))) {
            csum = be32(in + pos);
            pos += 4;
        }
        if (clen > len - pos || dlen > cap - o)
            return fail("lzo: block at byte %ld: sizes out of range", (long)pos);
        if (clen < dlen) {
            if (flags & F_ADLER32_C && lzo_adler32(1, in + pos, clen) != csum)
                return fail("lzo: compressed checksum mismatch at byte %ld", (long)pos);
            if (flags & F_CRC32_C && lzo_crc32(0, in + pos, clen) != csum)
                return fail("lzo: compressed checksum mismatch at byte %ld", (long)pos);
            n = dlen;
            if (lzo1x_decompress_safe(in + pos, clen, out + o, &n, NULL) != LZO_E_OK || n != dlen)
                return fail("lzo: block at byte %ld does not decode to %ld bytes", (long)pos, (long)dlen);
        } else {
            memcpy(out + o, in + pos, dlen);
        }
        if (flags & F_ADLER32_D && lzo_adler32(1, out + o, dlen) != dsum)
            return fail("lzo: checksum mismatch at byte %ld", (long)pos);
        if (flags & F_CRC32_D && lzo_crc32(0, out + o, dlen) != dsum)
            return fail("lzo: checksum mismatch at byte %ld", (long)pos);
        o += dlen;
        pos += clen;
    }
    *out_len = o;
    return 0;
}

const char *lib_name(const char *format)
{
    if (!strcmp(format, "gzip")) return "zlib";
    if (!strcmp(format, "xz") || !strcmp(format, "lzma")) return "liblzma";
    if (!strcmp(format, "zstd")) return "libzstd";
    if (!strcmp(format, "lz4")) return "liblz4";
    if (!strcmp(format, "bzip2")) return "libbz2";
    if (!strcmp(format, "lzo")) return "liblzo2";
    return NULL;
}

int lib_decompress(const char *format, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                   size_t *out_len, char *err, size_t err_len)
{
    lib_err = err;
    lib_err_len = err_len;
    *out_len = 0;
    if (!strcmp(format, "gzip")) return gzip_lib(in, len, out, cap, out_len);
    if (!strcmp(format, "xz")) return lzma_lib(0, in, len, out, cap, out_len);
    if (!strcmp(format, "lzma")) return lzma_lib(1, in, len, out, cap, out_len);
    if (!strcmp(format, "zstd")) return zstd_lib(in, len, out, cap, out_len);
    if (!strcmp(format, "lz4")) return lz4_lib(in, len, out, cap, out_len);
    if (!strcmp(format, "bzip2")) return bzip2_lib(in, len, out, cap, out_len);
    if (!strcmp(format, "lzo")) return lzo_lib(in, len, out, cap, out_len);
    return fail("unknown format");
}
