#include "render/glyphs.h"

#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <glyphs.pb-c.h> /* generated from glyphs.proto at build time */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FONT_PX 24
#define BORDER  3
#define RADIUS  8.0
#define CUTOFF  0.25
#define INF     1e20

/* --- finding the font ---------------------------------------------------------- */

static pthread_mutex_t fc_lock = PTHREAD_MUTEX_INITIALIZER; /* fontconfig is not thread-safe */

/* The file of the installed font whose full name (or family, for a plain
 * family name) is name, in a malloc'd string; NULL if there is none. */
static char *font_file(const char *name)
{
    char *file = NULL;
    pthread_mutex_lock(&fc_lock);
    FcPattern *pat = FcPatternCreate();
    FcObjectSet *os = FcObjectSetBuild(FC_FULLNAME, FC_FAMILY, FC_STYLE, FC_FILE, NULL);
    FcFontSet *set = pat && os ? FcFontList(NULL, pat, os) : NULL;
    for (int i = 0; set && i < set->nfont && file == NULL; i++) {
        FcChar8 *full = NULL, *family = NULL, *style = NULL, *path = NULL;
        FcPatternGetString(set->fonts[i], FC_FILE, 0, &path);
        bool hit = FcPatternGetString(set->fonts[i], FC_FULLNAME, 0, &full) == FcResultMatch &&
                   strcasecmp((const char *)full, name) == 0;
        if (!hit && FcPatternGetString(set->fonts[i], FC_FAMILY, 0, &family) == FcResultMatch &&
            FcPatternGetString(set->fonts[i], FC_STYLE, 0, &style) == FcResultMatch)
            hit = strcasecmp((const char *)family, name) == 0 &&
                  (strcasecmp((const char *)style, "Book") == 0 ||
                   strcasecmp((const char *)style, "Regular") == 0);
        if (hit && path) file = strdup((const char *)path);
    }
    if (set) FcFontSetDestroy(set);
    if (os) FcObjectSetDestroy(os);
    if (pat) FcPatternDestroy(pat);
    pthread_mutex_unlock(&fc_lock);
    return file;
}

/* The first font of the stack that is installed, else DejaVu Sans. */
static char *stack_file(const char *stack)
{
    char name[256];
    for (const char *p = stack; *p;) {
        size_t n = strcspn(p, ",");
        while (n && (*p == ' '))
            p++, n--;
        snprintf(name, sizeof(name), "%.*s", (int)(n < 255 ? n : 255), p);
        for (size_t k = strlen(name); k && name[k - 1] == ' '; k--)
            name[k - 1] = '\0';
        char *file = name[0] ? font_file(name) : NULL;
        if (file) return file;
        p += n;
        if (*p == ',') p++;
    }
    return font_file("DejaVu Sans");
}

/* --- distance fields --------------------------------------------------------------- */

/* One-dimensional squared distance transform of f (n values, stride
 * apart) in place (Felzenszwalb and Huttenlocher); v, z, d scratch. */
static void edt_1d(double *f, size_t start, size_t stride, size_t n, int *v, double *z, double *d)
{
    int k = 0;
    v[0] = 0;
    z[0] = -INF;
    z[1] = INF;
    for (int q = 1; q < (int)n; q++) {
        double fq = f[start + (size_t)q * stride], s;
        for (;;) { /* z[0] is -INF: this stops at k = 0 at the latest */
            int r = v[k];
            s = (fq - f[start + (size_t)r * stride] + (double)q * q - (double)r * r) /
                (2.0 * (q - r));
            if (s > z[k]) break;
            k--;
        }
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = INF;
    }
    for (int q = 0, j = 0; q < (int)n; q++) {
        while (z[j + 1] < q)
            j++;
        int r = v[j];
        d[q] = (double)(q - r) * (q - r) + f[start + (size_t)r * stride];
    }
    for (size_t q = 0; q < n; q++)
        f[start + q * stride] = d[q];
}

static void edt(double *grid, size_t w, size_t h, int *v, double *z, double *d)
{
    for (size_t x = 0; x < w; x++)
        edt_1d(grid, x, w, h, v, z, d);
    for (size_t y = 0; y < h; y++)
        edt_1d(grid, y * w, 1, w, v, z, d);
}

/* The SDF of a coverage bitmap (bw x bh, pitch bytes a row) into out,
 * (bw + 2 BORDER) x (bh + 2 BORDER) bytes. */
static int sdf(const unsigned char *bits, int pitch, size_t bw, size_t bh, unsigned char *out)
{
    size_t w = bw + 2 * BORDER, h = bh + 2 * BORDER, n = w * h, m = w > h ? w : h;
    double *outer = malloc(n * sizeof(double)), *inner = malloc(n * sizeof(double));
    double *z = malloc((m + 1) * sizeof(double)), *d = malloc(m * sizeof(double));
    int *v = malloc(m * sizeof(int));
    int rc = outer && inner && z && d && v ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t x = i % w, y = i / w;
        double a = 0;
        if (x >= BORDER && y >= BORDER && x < bw + BORDER && y < bh + BORDER)
            a = bits[(y - BORDER) * (size_t)pitch + (x - BORDER)] / 255.0;
        if (a >= 1) {
            outer[i] = 0, inner[i] = INF;
        } else if (a <= 0) {
            outer[i] = INF, inner[i] = 0;
        } else { /* the edge runs through the pixel: half a pixel from its centre at 50 % */
            double e = 0.5 - a;
            outer[i] = e > 0 ? e * e : 0;
            inner[i] = e < 0 ? e * e : 0;
        }
    }
    if (rc == 0) {
        edt(outer, w, h, v, z, d);
        edt(inner, w, h, v, z, d);
        for (size_t i = 0; i < n; i++) {
            double dist = sqrt(outer[i]) - sqrt(inner[i]);
            double val = round(255 - 255 * (dist / RADIUS + CUTOFF));
            out[i] = (unsigned char)(val < 0 ? 0 : val > 255 ? 255 : val);
        }
    }
    free(outer);
    free(inner);
    free(z);
    free(d);
    free(v);
    return rc;
}

/* --- the range ------------------------------------------------------------------------- */

static int add_glyph(FT_Face face, unsigned code, Glyphs__Glyph *g, unsigned char **bitmap)
{
    *g = (Glyphs__Glyph)GLYPHS__GLYPH__INIT;
    FT_UInt index = FT_Get_Char_Index(face, code);
    if (index == 0 || FT_Load_Glyph(face, index, FT_LOAD_RENDER | FT_LOAD_NO_HINTING) != 0)
        return 0; /* not in the font */
    FT_GlyphSlot s = face->glyph;
    const FT_Bitmap *b = &s->bitmap;
    g->id = code;
    g->width = b->width;
    g->height = b->rows;
    g->left = s->bitmap_left;
    /* MapLibre's top is counted from an origin above the em box, not from
     * the baseline; it aligns its own local glyphs with a shift of 27.5 px
     * at 24 px, which coopmap follows. */
    g->top = s->bitmap_top - 27;
    g->advance = (uint32_t)((s->advance.x + 32) >> 6);
    if (b->width > 0 && b->rows > 0) {
        size_t size = (b->width + 2 * BORDER) * (b->rows + 2 * BORDER);
        *bitmap = malloc(size);
        if (*bitmap == NULL || sdf(b->buffer, b->pitch, b->width, b->rows, *bitmap) != 0) return -1;
        g->has_bitmap = 1;
        g->bitmap.data = *bitmap;
        g->bitmap.len = size;
    }
    return 1;
}

static int encode(FT_Face face, const char *stack, unsigned start, unsigned char **data,
                  size_t *len)
{
    Glyphs__Glyph glyphs[256], *ptrs[256];
    unsigned char *bitmaps[256] = {0};
    char range[32];
    snprintf(range, sizeof(range), "%u-%u", start, start + 255);
    Glyphs__Fontstack fs = GLYPHS__FONTSTACK__INIT;
    fs.name = (char *)stack;
    fs.range = range;
    fs.glyphs = ptrs;
    int rc = 0;
    for (unsigned c = 0; c < 256 && rc == 0; c++) {
        int got = add_glyph(face, start + c, &glyphs[fs.n_glyphs], &bitmaps[c]);
        if (got < 0) rc = -1;
        if (got > 0) {
            ptrs[fs.n_glyphs] = &glyphs[fs.n_glyphs];
            fs.n_glyphs++;
        }
    }
    Glyphs__Fontstack *stacks[1] = {&fs};
    Glyphs__Glyphs msg = GLYPHS__GLYPHS__INIT;
    msg.n_stacks = 1;
    msg.stacks = stacks;
    if (rc == 0) {
        *len = glyphs__glyphs__get_packed_size(&msg);
        *data = malloc(*len ? *len : 1);
        if (*data == NULL)
            rc = -1;
        else
            glyphs__glyphs__pack(&msg, *data);
    }
    for (unsigned c = 0; c < 256; c++)
        free(bitmaps[c]);
    return rc;
}

int glyphs_range(const char *stack, unsigned start, unsigned char **data, size_t *len, error_t *err)
{
    *data = NULL;
    *len = 0;
    if (start % 256 != 0 || start > 65280)
        return error_set(err, ERR_INVALID,
                         "a glyph range is N-(N+255) with N a multiple of "
                         "256 below 65536");
    char *file = stack_file(stack);
    if (file == NULL) return error_set(err, ERR_NOTFOUND, "no font for '%.100s'", stack);
    FT_Library lib = NULL;
    FT_Face face = NULL;
    int rc = ERR_OK;
    if (FT_Init_FreeType(&lib) != 0 || FT_New_Face(lib, file, 0, &face) != 0 ||
        FT_Set_Pixel_Sizes(face, 0, FONT_PX) != 0)
        rc = error_set(err, ERR_IO, "cannot read the font %s", file);
    else if (encode(face, stack, start, data, len) != 0)
        rc = error_set(err, ERR_NOMEM, "out of memory drawing glyphs");
    if (face) FT_Done_Face(face);
    if (lib) FT_Done_FreeType(lib);
    free(file);
    return rc;
}
