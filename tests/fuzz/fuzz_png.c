/* fuzz_png: png_encode() on ARGB32 surfaces of 1..64 x 1..64 pixels (the
 * first two bytes) with any valid premultiplied pixels (each channel <=
 * alpha; the third byte's low bit forces them opaque). The PNG is read
 * back with cairo's own decoder: same size, RGB24 when opaque with exactly
 * the same pixels, ARGB32 otherwise with alpha exact and each colour
 * channel within 1. */
#include <cairo.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "render/png.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct reader {
    const unsigned char *p;
    size_t left;
} reader_t;

static cairo_status_t read_png(void *closure, unsigned char *out, unsigned int length)
{
    reader_t *r = closure;
    if (length > r->left) return CAIRO_STATUS_READ_ERROR;
    memcpy(out, r->p, length);
    r->p += length, r->left -= length;
    return CAIRO_STATUS_SUCCESS;
}

/* Fills the surface from the bytes (cycled; zeros when there are none). */
static bool fill(cairo_surface_t *s, const uint8_t *data, size_t size, bool force_opaque)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    unsigned char *px = cairo_image_surface_get_data(s);
    bool opaque = true;
    size_t at = 0;
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(px + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            unsigned c[4];
            for (int i = 0; i < 4; i++)
                c[i] = size ? data[at++ % size] : 0;
            unsigned a = force_opaque ? 255 : c[0];
            for (int i = 1; i < 4; i++)
                c[i] %= a + 1; /* premultiplied: never above alpha */
            row[x] = (uint32_t)a << 24 | c[1] << 16 | c[2] << 8 | c[3];
            opaque = opaque && a == 255;
        }
    }
    cairo_surface_mark_dirty(s);
    return opaque;
}

static void compare(cairo_surface_t *in, cairo_surface_t *out, bool opaque)
{
    int w = cairo_image_surface_get_width(in), h = cairo_image_surface_get_height(in);
    cairo_surface_flush(out);
    const unsigned char *a = cairo_image_surface_get_data(in),
                        *b = cairo_image_surface_get_data(out);
    int sa = cairo_image_surface_get_stride(in), sb = cairo_image_surface_get_stride(out);
    for (int y = 0; y < h; y++) {
        const uint32_t *ra = (const uint32_t *)(a + (size_t)y * sa);
        const uint32_t *rb = (const uint32_t *)(b + (size_t)y * sb);
        for (int x = 0; x < w; x++) {
            uint32_t p = ra[x], q = rb[x];
            if (opaque) {
                if ((p & 0xffffff) != (q & 0xffffff))
                    fuzz_fail("%dx%d: pixel %d,%d is %08x, decoded %08x", w, h, x, y, p, q);
                continue;
            }
            for (int shift = 0; shift < 32; shift += 8) {
                int d = (int)((p >> shift) & 255) - (int)((q >> shift) & 255);
                if (shift == 24 ? d != 0 : abs(d) > 1)
                    fuzz_fail("%dx%d: pixel %d,%d is %08x, decoded %08x", w, h, x, y, p, q);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    int w = 1 + data[0] % 64, h = 1 + data[1] % 64;
    bool force_opaque = data[2] & 1;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) fuzz_fail("cannot make a surface");
    bool opaque = fill(s, data + 3, size - 3, force_opaque);
    unsigned char *png = NULL;
    size_t len = 0;
    if (png_encode(s, &png, &len) != 0) fuzz_fail("png_encode failed");
    reader_t r = {png, len};
    cairo_surface_t *back = cairo_image_surface_create_from_png_stream(read_png, &r);
    if (cairo_surface_status(back) != CAIRO_STATUS_SUCCESS)
        fuzz_fail("%dx%d: cairo cannot read the PNG: %s", w, h,
                  cairo_status_to_string(cairo_surface_status(back)));
    if (cairo_image_surface_get_width(back) != w || cairo_image_surface_get_height(back) != h)
        fuzz_fail("%dx%d decoded as %dx%d", w, h, cairo_image_surface_get_width(back),
                  cairo_image_surface_get_height(back));
    cairo_format_t want = opaque ? CAIRO_FORMAT_RGB24 : CAIRO_FORMAT_ARGB32;
    if (cairo_image_surface_get_format(back) != want)
        fuzz_fail("%dx%d: decoded format %d, expected %d", w, h,
                  (int)cairo_image_surface_get_format(back), (int)want);
    compare(s, back, opaque);
    cairo_surface_destroy(back);
    cairo_surface_destroy(s);
    free(png);
    return 0;
}
