#include "png_encoder.h"
#include "render_deflate.h"

#include <isa-l.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A PNG file is the 8-byte signature and chunks (length, type, data, CRC-32 of type and
 * data, all big-endian). We write IHDR, sRGB (8-bit) or gAMA (16-bit, linear), one IDAT
 * holding the zlib stream of the filtered rows, and IEND. A small image is compressed in
 * one call; libdeflate computes the chunk CRCs.
 *
 * The standard effort is libpng's adaptive row filters and libdeflate level 6.
 *
 * The fast effort on 8-bit RGB (every render) is render_deflate.c: the Paeth filter and one
 * deflate block of literals and zero runs in a fixed Huffman code shaped for SIMD lookups,
 * filtered and coded in one pass.
 *
 * Grey images (instance masks, 16-bit depth) use igzip level 1, which builds its own code
 * per image: their statistics (runs of one value) are nothing like a render's residuals.
 */

enum { LEVEL_STANDARD = 6 };

/* Per thread, made on first use and freed when the thread ends: the igzip stream state
 * (80 KB, too large for a worker's stack), igzip level 1's buffer (made when a grey image
 * first needs it), and the libdeflate compressor of the standard effort (allocating one
 * costs more than compressing a 64 x 64 image). */
struct encoder_state {
    struct isal_zstream stream;
    unsigned char *level1_buffer;
    struct libdeflate_compressor *standard;
};

static pthread_key_t state_key;
static int state_key_status = -1;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void free_state(void *value) {
    struct encoder_state *state = (struct encoder_state *)value;
    free(state->level1_buffer);
    if (state->standard) libdeflate_free_compressor(state->standard);
    free(state);
}

static void make_state_key(void) { state_key_status = pthread_key_create(&state_key, free_state); }

static struct encoder_state *thread_state(void) {
    (void)pthread_once(&state_once, make_state_key);
    if (state_key_status != 0) return NULL;
    struct encoder_state *state = (struct encoder_state *)pthread_getspecific(state_key);
    if (state) return state;
    state = (struct encoder_state *)calloc(1, sizeof *state);
    if (!state) return NULL;
    if (pthread_setspecific(state_key, state) != 0) {
        free(state);
        return NULL;
    }
    return state;
}

/* Compresses `size` bytes into a zlib stream at `out` (room for `capacity` bytes) with
 * igzip level 1 (a code per image). Returns the stream's size, or 0 when it does not fit. */
static size_t igzip_compress(struct encoder_state *state, const unsigned char *in, size_t size, unsigned char *out,
                             size_t capacity) {
    struct isal_zstream *stream = &state->stream;
    isal_deflate_stateless_init(stream);
    stream->gzip_flag = IGZIP_ZLIB;
    if (!state->level1_buffer) state->level1_buffer = (unsigned char *)malloc(ISAL_DEF_LVL1_DEFAULT);
    if (!state->level1_buffer) return 0;
    stream->level = 1;
    stream->level_buf = state->level1_buffer;
    stream->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    stream->next_in = (uint8_t *)in;
    stream->avail_in = (uint32_t)size;
    stream->next_out = out;
    stream->avail_out = (uint32_t)capacity;
    stream->end_of_stream = 1;
    stream->flush = NO_FLUSH;
    if (isal_deflate_stateless(stream) != COMP_OK) return 0;
    return stream->total_out;
}

static void put_u32(unsigned char *at, uint32_t value) {
    at[0] = (unsigned char)(value >> 24);
    at[1] = (unsigned char)(value >> 16);
    at[2] = (unsigned char)(value >> 8);
    at[3] = (unsigned char)value;
}

/* Writes a chunk whose `length` data bytes already sit at at + 8; returns the bytes written. */
static size_t finish_chunk(unsigned char *at, const char type[4], size_t length) {
    put_u32(at, (uint32_t)length);
    memcpy(at + 4, type, 4);
    put_u32(at + 8 + length, libdeflate_crc32(0, at + 4, length + 4));
    return length + 12;
}

/* PNG's Paeth predictor (PNG specification, section 9.4). */
static unsigned char paeth(int left, int up, int up_left) {
    int p = left + up - up_left;
    int pa = abs(p - left), pb = abs(p - up), pc = abs(p - up_left);
    if (pa <= pb && pa <= pc) return (unsigned char)left;
    return (unsigned char)(pb <= pc ? up : up_left);
}

/* Filters one row with filter type `type` (0 none, 1 sub, 2 up, 3 average, 4 Paeth) into
 * out[0] (the type byte) and out[1...]. `previous` is the unfiltered row above, or NULL. */
static void filter_row(unsigned char *out, const unsigned char *row, const unsigned char *previous,
                       size_t row_bytes, size_t pixel_bytes, int type) {
    out[0] = (unsigned char)type;
    unsigned char *filtered = out + 1;
    for (size_t i = 0; i < row_bytes; i++) {
        int left = i >= pixel_bytes ? row[i - pixel_bytes] : 0;
        int up = previous ? previous[i] : 0;
        int up_left = previous && i >= pixel_bytes ? previous[i - pixel_bytes] : 0;
        int predicted;
        switch (type) {
        case 1: predicted = left; break;
        case 2: predicted = up; break;
        case 3: predicted = (left + up) / 2; break;
        case 4: predicted = paeth(left, up, up_left); break;
        default: predicted = 0; break;
        }
        filtered[i] = (unsigned char)(row[i] - predicted);
    }
}

/* The "sub" filter alone, the fast effort's choice: no branches per byte. */
static void sub_row(unsigned char *out, const unsigned char *row, size_t row_bytes, size_t pixel_bytes) {
    out[0] = 1;
    memcpy(out + 1, row, pixel_bytes < row_bytes ? pixel_bytes : row_bytes);
    for (size_t i = pixel_bytes; i < row_bytes; i++) out[1 + i] = (unsigned char)(row[i] - row[i - pixel_bytes]);
}

/* libpng's adaptive heuristic: the filter whose output has the least sum of |signed bytes|. */
static void adaptive_row(unsigned char *out, unsigned char *scratch, const unsigned char *row,
                         const unsigned char *previous, size_t row_bytes, size_t pixel_bytes) {
    uint64_t best_sum = UINT64_MAX;
    for (int type = 0; type < 5; type++) {
        filter_row(scratch, row, previous, row_bytes, pixel_bytes, type);
        uint64_t sum = 0;
        for (size_t i = 1; i <= row_bytes; i++) sum += (uint64_t)abs((int)(signed char)scratch[i]);
        if (sum < best_sum) {
            best_sum = sum;
            memcpy(out, scratch, row_bytes + 1);
        }
    }
}

int gqn_png_encode(const void *pixels, unsigned width, unsigned height, int channels, int bit_depth,
                   gqn_png_effort effort, unsigned char **out, size_t *out_size,
                   char *message, size_t message_size) {
    return gqn_png_encode_build(pixels, width, height, channels, bit_depth, effort, 1, out, out_size, message,
                                message_size);
}

int gqn_png_encode_build(const void *pixels, unsigned width, unsigned height, int channels, int bit_depth,
                         gqn_png_effort effort, int wide, unsigned char **out, size_t *out_size,
                         char *message, size_t message_size) {
    if (width == 0 || height == 0 || (channels != 1 && channels != 3) ||
        !(bit_depth == 8 || (bit_depth == 16 && channels == 1))) {
        snprintf(message, message_size, "unsupported layout: %ux%u, %d channels, %d bits", width, height, channels,
                 bit_depth);
        return 1;
    }
    const size_t pixel_bytes = (size_t)channels * (size_t)(bit_depth / 8);
    const size_t row_bytes = (size_t)width * pixel_bytes;
    const size_t filtered_size = (row_bytes + 1) * (size_t)height;
    const int render = effort == GQN_PNG_FAST && bit_depth == 8 && channels == 3;
    /* igzip counts bytes in 32 bits: its input and its output bound must both fit. */
    if (effort == GQN_PNG_FAST && !render && filtered_size > (UINT32_MAX - 1024) / 17 * 16) {
        snprintf(message, message_size, "image too large for one igzip call: %zu filtered bytes", filtered_size);
        return 1;
    }
    struct encoder_state *state = thread_state();
    if (state && effort != GQN_PNG_FAST && !state->standard) state->standard = libdeflate_alloc_compressor(LEVEL_STANDARD);
    const int render_status = render ? render_deflate_status() : 0;
    if (render_status != 0) {
        snprintf(message, message_size, "the render Huffman code does not have the shape its loops need (%d)",
                 render_status);
        return 1;
    }
    /* The filtered rows (and 32 bytes the render loops may write past them), then two rows
     * for byte-swapped 16-bit samples (this row and the one above, which the up, average and
     * Paeth filters read), then a scratch row for adaptive filtering; or three padded rows
     * for the render loops. */
    unsigned char *filtered = (unsigned char *)malloc(filtered_size + 32 + 3 * (row_bytes + 64));
    if (!state || (effort != GQN_PNG_FAST && !state->standard) || !filtered) {
        free(filtered);
        snprintf(message, message_size, "out of memory");
        return 1;
    }
    unsigned char *swapped[2] = {filtered + filtered_size + 32, filtered + filtered_size + 32 + row_bytes + 1};
    unsigned char *scratch = swapped[1] + row_bytes + 1;
    const unsigned char *previous = NULL;
    /* Renders are filtered while they are compressed, below. */
    for (unsigned y = 0; !render && y < height; y++) {
        const unsigned char *row = (const unsigned char *)pixels + (size_t)y * row_bytes;
        if (bit_depth == 16) {
            /* PNG stores 16-bit samples big-endian; callers pass native (little-endian) ones. */
            unsigned char *target = swapped[y % 2];
            for (size_t i = 0; i < row_bytes; i += 2) {
                uint16_t sample;
                memcpy(&sample, row + i, 2);
                target[i] = (unsigned char)(sample >> 8);
                target[i + 1] = (unsigned char)sample;
            }
            row = target;
        }
        unsigned char *destination = filtered + (size_t)y * (row_bytes + 1);
        if (effort == GQN_PNG_FAST) {
            sub_row(destination, row, row_bytes, pixel_bytes);
        } else {
            adaptive_row(destination, scratch, row, previous, row_bytes, pixel_bytes);
        }
        previous = row;
    }

    /* igzip falls back to stored blocks, so its stream is at most the input plus headers. */
    const size_t bound = render                   ? render_deflate_bound(filtered_size)
                         : effort == GQN_PNG_FAST ? filtered_size + filtered_size / 16 + 1024
                                                  : libdeflate_zlib_compress_bound(state->standard, filtered_size);
    const size_t header_size = 8 + (12 + 13) + (12 + 4); /* signature, IHDR, sRGB or gAMA */
    unsigned char *file = (unsigned char *)malloc(header_size + 12 + bound + 12);
    if (!file) {
        free(filtered);
        snprintf(message, message_size, "out of memory");
        return 1;
    }
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t size = 0;
    memcpy(file, signature, 8);
    size += 8;

    unsigned char *ihdr = file + size + 8;
    put_u32(ihdr, width);
    put_u32(ihdr + 4, height);
    ihdr[8] = (unsigned char)bit_depth;
    ihdr[9] = channels == 3 ? 2 : 0; /* colour type: truecolour or greyscale */
    ihdr[10] = 0;                    /* compression: deflate */
    ihdr[11] = 0;                    /* filter method: adaptive (per-row type byte) */
    ihdr[12] = 0;                    /* no interlace */
    size += finish_chunk(file + size, "IHDR", 13);

    if (bit_depth == 16) {
        put_u32(file + size + 8, 100000); /* gAMA 1.0: the values are linear */
        size += finish_chunk(file + size, "gAMA", 4);
    } else {
        file[size + 8] = 0; /* sRGB, perceptual intent */
        size += finish_chunk(file + size, "sRGB", 1);
    }

    const size_t compressed =
        render ? render_deflate((const unsigned char *)pixels, width, height, filtered, filtered + filtered_size + 32,
                                file + size + 8, wide)
        : effort == GQN_PNG_FAST ? igzip_compress(state, filtered, filtered_size, file + size + 8, bound)
                                 : libdeflate_zlib_compress(state->standard, filtered, filtered_size, file + size + 8, bound);
    free(filtered);
    if (compressed > 0x7fffffff) {
        free(file);
        snprintf(message, message_size, "image too large: its compressed data (%zu bytes) exceeds one PNG chunk", compressed);
        return 1;
    }
    if (compressed == 0) {
        free(file);
        snprintf(message, message_size, "%s could not compress %zu bytes into %zu",
                 effort == GQN_PNG_FAST ? "igzip" : "libdeflate", filtered_size, bound);
        return 1;
    }
    size += finish_chunk(file + size, "IDAT", compressed);
    size += finish_chunk(file + size, "IEND", 0);
    *out = file;
    *out_size = size;
    return 0;
}
