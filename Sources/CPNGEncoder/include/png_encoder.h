#ifndef GQN_PNG_ENCODER_H
#define GQN_PNG_ENCODER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How hard zlib works: 0 = standard (level 6, adaptive filters), 1 = fast (the "sub"
/// filter, zlib level 1 with the run-length strategy: about 3x faster than level 6 on
/// 64 x 64 renders, and smaller files than libpng's own fast setting).
typedef enum { GQN_PNG_STANDARD = 0, GQN_PNG_FAST = 1 } gqn_png_effort;

/// Encodes rows of pixels as a PNG file in memory with libpng's full API (the part the
/// simplified API does not expose: the zlib level, strategy and window).
///
/// `channels` is 1 (grey) or 3 (RGB); `bit_depth` 8, or 16 for grey (native-endian
/// uint16 samples, stored big-endian as PNG requires, with a linear gAMA chunk). 8-bit
/// images carry an sRGB chunk. On success returns 0 and a malloc'ed buffer the caller
/// frees with free(); on failure returns non-zero and libpng's message in `message`.
int gqn_png_encode(const void *pixels, unsigned width, unsigned height, int channels, int bit_depth,
                   gqn_png_effort effort, unsigned char **out, size_t *out_size,
                   char *message, size_t message_size);

#ifdef __cplusplus
}
#endif

#endif
