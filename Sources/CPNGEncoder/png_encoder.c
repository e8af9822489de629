#include "png_encoder.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A PNG file is the 8-byte signature and chunks (length, type, data, CRC-32 of type and
 * data, all big-endian). We write IHDR, sRGB (8-bit) or gAMA (16-bit, linear), one IDAT
 * holding the zlib stream of the filtered rows, and IEND. libdeflate compresses a whole
 * buffer at once, which is all a small image needs, and computes the CRCs.
 */

enum { LEVEL_FAST = 1, LEVEL_STANDARD = 6, LEVEL_COUNT = 13 };

/* One compressor per level per thread, made on first use and freed when the thread ends:
 * allocating one costs more than compressing a 64 x 64 image at level 1. */
static pthread_key_t compressors_key;
static pthread_once_t compressors_once = PTHREAD_ONCE_INIT;

static void free_compressors(void *value) {
    struct libdeflate_compressor **compressors = (struct libdeflate_compressor **)value;
    for (int level = 0; level < LEVEL_COUNT; level++) {
        if (compressors[level]) libdeflate_free_compressor(compressors[level]);
    }
    free(compressors);
}

static void make_compressors_key(void) { (void)pthread_key_create(&compressors_key, free_compressors); }

static struct libdeflate_compressor *compressor_for_level(int level) {
    (void)pthread_once(&compressors_once, make_compressors_key);
    struct libdeflate_compressor **compressors = (struct libdeflate_compressor **)pthread_getspecific(compressors_key);
    if (!compressors) {
        compressors = (struct libdeflate_compressor **)calloc(LEVEL_COUNT, sizeof *compressors);
        if (!compressors) return NULL;
        if (pthread_setspecific(compressors_key, compressors) != 0) {
            free(compressors);
            return NULL;
        }
    }
    if (!compressors[level]) compressors[level] = libdeflate_alloc_compressor(level);
    return compressors[level];
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
    if (width == 0 || height == 0 || (channels != 1 && channels != 3) ||
        !(bit_depth == 8 || (bit_depth == 16 && channels == 1))) {
        snprintf(message, message_size, "unsupported layout: %ux%u, %d channels, %d bits", width, height, channels,
                 bit_depth);
        return 1;
    }
    const size_t pixel_bytes = (size_t)channels * (size_t)(bit_depth / 8);
    const size_t row_bytes = (size_t)width * pixel_bytes;
    const size_t filtered_size = (row_bytes + 1) * (size_t)height;
    const int level = effort == GQN_PNG_FAST ? LEVEL_FAST : LEVEL_STANDARD;
    struct libdeflate_compressor *compressor = compressor_for_level(level);
    /* The filtered rows, then two rows for byte-swapped 16-bit samples (this row and the
     * one above, which the up, average and Paeth filters read), then a scratch row for
     * adaptive filtering. */
    unsigned char *filtered = (unsigned char *)malloc(filtered_size + 3 * (row_bytes + 1));
    if (!compressor || !filtered) {
        free(filtered);
        snprintf(message, message_size, "out of memory");
        return 1;
    }
    unsigned char *swapped[2] = {filtered + filtered_size, filtered + filtered_size + row_bytes + 1};
    unsigned char *scratch = swapped[1] + row_bytes + 1;
    const unsigned char *previous = NULL;
    for (unsigned y = 0; y < height; y++) {
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

    const size_t bound = libdeflate_zlib_compress_bound(compressor, filtered_size);
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

    const size_t compressed = libdeflate_zlib_compress(compressor, filtered, filtered_size, file + size + 8, bound);
    free(filtered);
    if (compressed == 0) {
        free(file);
        snprintf(message, message_size, "libdeflate could not compress %zu bytes into %zu", filtered_size, bound);
        return 1;
    }
    size += finish_chunk(file + size, "IDAT", compressed);
    size += finish_chunk(file + size, "IEND", 0);
    *out = file;
    *out_size = size;
    return 0;
}
