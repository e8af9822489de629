#ifndef GQN_PNG_ENCODER_H
#define GQN_PNG_ENCODER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How hard the encoder works: 0 = standard (libpng's adaptive row filters, libdeflate
/// level 6), 1 = fast (on 8-bit RGB the Paeth filter and one deflate block of literals and
/// runs in a fixed Huffman code made for renders; on grey images the "sub" filter and ISA-L's
/// igzip level 1).
typedef enum { GQN_PNG_STANDARD = 0, GQN_PNG_FAST = 1 } gqn_png_effort;

/// Encodes rows of pixels as a PNG file in memory: the filtered rows compressed in one call
/// (igzip or libdeflate) into a zlib stream, written as IHDR, sRGB or gAMA, one IDAT and IEND.
///
/// `channels` is 1 (grey) or 3 (RGB); `bit_depth` 8, or 16 for grey (native-endian
/// uint16 samples, stored big-endian as PNG requires, with a linear gAMA chunk). 8-bit
/// images carry an sRGB chunk. Thread-safe: each thread keeps its own compressor state. On
/// success returns 0 and a malloc'ed buffer the caller frees with free(); on failure
/// returns non-zero and a message in `message`.
int gqn_png_encode(const void *pixels, unsigned width, unsigned height, int channels, int bit_depth,
                   gqn_png_effort effort, unsigned char **out, size_t *out_size,
                   char *message, size_t message_size);

/// ``gqn_png_encode`` with a choice of build for the fast effort's loops: `wide` non-zero runs
/// the AVX2 and BMI2 build when the processor has them (what ``gqn_png_encode`` does), zero
/// the baseline build. The bytes are the same either way; tests compare them.
int gqn_png_encode_build(const void *pixels, unsigned width, unsigned height, int channels, int bit_depth,
                         gqn_png_effort effort, int wide, unsigned char **out, size_t *out_size,
                         char *message, size_t message_size);

#ifdef __cplusplus
}
#endif

#endif
