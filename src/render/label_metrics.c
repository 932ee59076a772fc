#include "render/label_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/text.h"

#define REF_PX    64.0 /* measuring size; advances scale exactly (no hinting) */
#define MAX_FONTS 32
/* Kerning and shaping move a laid-out text's width away from the sum of
 * its characters' advances by far less than this, in either direction. */
#define SLACK_FACTOR 1.1f
#define SLACK_EM     0.5f
/* The lower bounds leave marks out (alone they show a dotted circle; in a
 * text they take no room) and allow far more than kerning could take. */
#define LOW_FACTOR 0.8f

typedef struct font_table {
    char *font;
    uint32_t *cp; /* open addressing; 0 marks a free slot (NUL never occurs) */
    float *adv;   /* advance per px of size */
    size_t n, cap;
    float line_em;  /* largest line height seen, per px */
    float line_min; /* smallest */
} font_table_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static font_table_t fonts[MAX_FONTS];
static size_t nfonts;

/* Same font options when measuring and when drawing: no hinting, so a
 * layout's size is exactly proportional to its font size. */
static void configure(PangoContext *pc)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(pc, fo);
    cairo_font_options_destroy(fo);
}

PangoLayout *label_layout(cairo_t *cr, const char *font, double px, const char *text)
{
    PangoLayout *layout = pango_cairo_create_layout(cr);
    configure(pango_layout_get_context(layout));
    pango_layout_context_changed(layout);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_font_description_set_absolute_size(fd, px * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, text, -1);
    return layout;
}

/* The table of font; NULL when there are MAX_FONTS already (then every
 * bound is "unknown", which callers treat as no label). Under lock. */
static font_table_t *table(const char *font)
{
    for (size_t i = 0; i < nfonts; i++)
        if (strcmp(fonts[i].font, font) == 0) return &fonts[i];
    if (nfonts == MAX_FONTS) return NULL;
    font_table_t *t = &fonts[nfonts];
    if ((t->font = strdup(font)) == NULL) return NULL;
    nfonts++;
    return t;
}

static bool grow(font_table_t *t)
{
    size_t cap = t->cap ? 2 * t->cap : 256;
    uint32_t *cp = calloc(cap, sizeof(*cp));
    float *adv = malloc(cap * sizeof(*adv));
    if (cp == NULL || adv == NULL) {
        free(cp), free(adv);
        return false;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (t->cp[i] == 0) continue;
        size_t h = hash_fnv1a(HASH_FNV_START, &t->cp[i], sizeof(uint32_t)) & (cap - 1);
        while (cp[h])
            h = (h + 1) & (cap - 1);
        cp[h] = t->cp[i], adv[h] = t->adv[i];
    }
    free(t->cp), free(t->adv);
    t->cp = cp, t->adv = adv, t->cap = cap;
    return true;
}

/* The advance of one character (its UTF-8 bytes s[0..len-1]); negative
 * when it cannot be had. Under lock. */
static float advance(cairo_t *cr, font_table_t *t, const char *s, size_t len)
{
    uint32_t key = 0;
    memcpy(&key, s, len < 4 ? len : 4);
    if (2 * (t->n + 1) > t->cap && !grow(t)) return -1;
    size_t h = hash_fnv1a(HASH_FNV_START, &key, sizeof(key)) & (t->cap - 1);
    while (t->cp[h] && t->cp[h] != key)
        h = (h + 1) & (t->cap - 1);
    if (t->cp[h]) return t->adv[h];
    char one[5] = {0};
    memcpy(one, s, len);
    PangoLayout *layout = label_layout(cr, t->font, REF_PX, one);
    int w, hgt;
    pango_layout_get_size(layout, &w, &hgt);
    g_object_unref(layout);
    float line = (float)hgt / PANGO_SCALE / (float)REF_PX;
    if (line > t->line_em) t->line_em = line;
    if (line < t->line_min || t->line_min == 0) t->line_min = line;
    t->cp[h] = key, t->adv[h] = (float)w / PANGO_SCALE / (float)REF_PX, t->n++;
    return t->adv[h];
}

void label_text_bound(cairo_t *cr, const char *font, const char *text, float *w_hi, float *w_lo,
                      uint8_t *lines)
{
    *w_hi = *w_lo = -1, *lines = 1;
    pthread_mutex_lock(&lock);
    font_table_t *t = table(font);
    float sum = 0, unmarked = 0;
    size_t n = strlen(text);
    for (size_t i = 0; t && i < n;) {
        size_t len = text_utf8_seq((const unsigned char *)text + i, n - i);
        if (len == 0) len = 1; /* cannot happen: texts are repaired on load */
        if (text[i] == '\n') {
            *lines += *lines < 255;
        } else {
            float a = advance(cr, t, text + i, len);
            if (a < 0) t = NULL;
            sum += a;
            if (!g_unichar_ismark(g_utf8_get_char_validated(text + i, (gssize)len))) unmarked += a;
        }
        i += len;
    }
    if (t) {
        *w_hi = sum * SLACK_FACTOR + SLACK_EM;
        *w_lo = fmaxf(0, unmarked * LOW_FACTOR - SLACK_EM);
    }
    pthread_mutex_unlock(&lock);
}

void label_line_bound(const char *font, float *hi, float *lo)
{
    pthread_mutex_lock(&lock);
    font_table_t *t = table(font);
    *hi = t ? t->line_em * SLACK_FACTOR : 0;
    *lo = t ? t->line_min * LOW_FACTOR : 0;
    pthread_mutex_unlock(&lock);
}
