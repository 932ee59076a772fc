#include "render/png.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Appends a chunk: length, type, data, CRC over type and data. */
static unsigned char *chunk(unsigned char *p, const char *type, const unsigned char *data,
                            size_t len)
{
    put32(p, (uint32_t)len);
    memcpy(p + 4, type, 4);
    if (len) memcpy(p + 8, data, len);
    put32(p + 8 + len, (uint32_t)crc32(crc32(0, NULL, 0), p + 4, (uInt)(len + 4)));
    return p + 12 + len;
}

static bool opaque(const unsigned char *px, int w, int h, int stride)
{
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(px + (size_t)y * stride);
        for (int x = 0; x < w; x++)
            if ((row[x] >> 24) != 255) return false;
    }
    return true;
}

/* One scanline into PNG bytes: RGB, or RGBA un-premultiplied. */
static void convert_row(const uint32_t *src, int w, bool rgb, unsigned char *dst)
{
    for (int x = 0; x < w; x++) {
        uint32_t p = src[x];
        unsigned a = p >> 24, r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
        if (rgb) {
            *dst++ = (unsigned char)r, *dst++ = (unsigned char)g, *dst++ = (unsigned char)b;
            continue;
        }
        if (a != 0 && a != 255) {
            r = (r * 255 + a / 2) / a, g = (g * 255 + a / 2) / a, b = (b * 255 + a / 2) / a;
        }
        *dst++ = (unsigned char)r, *dst++ = (unsigned char)g, *dst++ = (unsigned char)b;
        *dst++ = (unsigned char)a;
    }
}

/* The filtered image: each row prefixed by its filter byte; Up (2) for
 * every row but the first, which has nothing above it. */
static unsigned char *filtered(cairo_surface_t *s, bool rgb, size_t *size)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s), bpp = rgb ? 3 : 4;
    const unsigned char *px = cairo_image_surface_get_data(s);
    size_t rowlen = (size_t)w * bpp;
    unsigned char *raw = malloc(rowlen * 2), *out = malloc((rowlen + 1) * h);
    if (raw == NULL || out == NULL) {
        free(raw);
        free(out);
        return NULL;
    }
    unsigned char *prev = raw, *cur = raw + rowlen;
    for (int y = 0; y < h; y++) {
        unsigned char *dst = out + (rowlen + 1) * y;
        convert_row((const uint32_t *)(px + (size_t)y * stride), w, rgb, cur);
        dst[0] = y ? 2 : 0;
        for (size_t i = 0; i < rowlen; i++)
            dst[1 + i] = y ? (unsigned char)(cur[i] - prev[i]) : cur[i];
        unsigned char *t = prev;
        prev = cur, cur = t;
    }
    free(raw);
    *size = (rowlen + 1) * h;
    return out;
}

int png_encode(cairo_surface_t *s, unsigned char **out, size_t *len)
{
    cairo_surface_flush(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    bool rgb = opaque(cairo_image_surface_get_data(s), w, h, cairo_image_surface_get_stride(s));
    size_t rawlen = 0;
    unsigned char *raw = filtered(s, rgb, &rawlen);
    uLong zcap = raw ? compressBound((uLong)rawlen) : 0;
    unsigned char *png = raw ? malloc(zcap + 64) : NULL;
    unsigned char *z = raw ? malloc(zcap) : NULL;
    int rc = -1;
    z_stream zs = {0};
    /* Level 1 with run-length matching: flat map colours compress almost
     * as well as at level 6, several times faster. */
    if (png && z && deflateInit2(&zs, 1, Z_DEFLATED, 15, 9, Z_RLE) == Z_OK) {
        zs.next_in = raw, zs.avail_in = (uInt)rawlen;
        zs.next_out = z, zs.avail_out = (uInt)zcap;
        if (deflate(&zs, Z_FINISH) == Z_STREAM_END) {
            static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
            unsigned char ihdr[13];
            put32(ihdr, (uint32_t)w);
            put32(ihdr + 4, (uint32_t)h);
            ihdr[8] = 8, ihdr[9] = rgb ? 2 : 6, ihdr[10] = ihdr[11] = ihdr[12] = 0;
            memcpy(png, sig, 8);
            unsigned char *p = chunk(png + 8, "IHDR", ihdr, 13);
            p = chunk(p, "IDAT", z, zs.total_out);
            p = chunk(p, "IEND", NULL, 0);
            /* Cached tiles live long: keep exactly the PNG's bytes, not
             * the deflate bound (about the raw image's size). */
            *len = (size_t)(p - png);
            *out = malloc(*len);
            if (*out) {
                memcpy(*out, png, *len);
                rc = 0;
            }
        }
        deflateEnd(&zs);
    }
    free(png);
    free(z);
    free(raw);
    return rc;
}
