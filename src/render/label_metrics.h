/* Upper bounds of a text's extent without laying it out: the sum of its
 * characters' advances, each measured once per font by Pango. Label
 * placement uses them to know, before measuring a label exactly, which
 * other labels it could ever touch. */
#ifndef COOPMAP_LABEL_METRICS_H
#define COOPMAP_LABEL_METRICS_H

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdint.h>

/* Bounds for text in font at a size of 1 px: the width Pango gives the
 * laid-out text is at most *w_hi and at least *w_lo; *lines is its number
 * of lines. Both negative when the font cannot be measured. cr is any
 * context (for Pango's font map). Thread-safe. */
void label_text_bound(cairo_t *cr, const char *font, const char *text, float *w_hi, float *w_lo,
                      uint8_t *lines);

/* Bounds of the height of one line of font at 1 px, for every character
 * measured so far in that font (ask after the label_text_bound()s that
 * matter). */
void label_line_bound(const char *font, float *hi, float *lo);

/* Lays text out as labels are drawn (no hinting: sizes are exactly
 * proportional to px). The caller unrefs the layout. */
PangoLayout *label_layout(cairo_t *cr, const char *font, double px, const char *text);

#endif
