#ifndef GQN_RENDER_DEFLATE_H
#define GQN_RENDER_DEFLATE_H

#include <stddef.h>

/* The fast effort's zlib stream for 8-bit RGB: see render_deflate.c. */

/* Whether the render code was built and checked (0), or why not (non-zero). Thread-safe. */
int render_deflate_status(void);

/* The most bytes render_deflate can write for an image of `filtered_size` filtered bytes
 * (rows plus their filter-type bytes). */
size_t render_deflate_bound(size_t filtered_size);

/* Filters `height` rows of `width` RGB pixels with Paeth into `filtered` (room for
 * (3 * width + 1) * height + 32 bytes) and writes their zlib stream to `out` (room for
 * render_deflate_bound bytes). `scratch` holds 3 * (3 * width + 64) bytes. `wide` non-zero
 * runs the AVX2 build when the processor has it; the bytes are the same. Returns the
 * stream's size. */
size_t render_deflate(const unsigned char *pixels, size_t width, size_t height, unsigned char *filtered,
                      unsigned char *scratch, unsigned char *out, int wide);

#endif
