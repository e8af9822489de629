#include "png_encoder.h"

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
 * The fast effort on 8-bit RGB (every render) filters every row with Paeth and writes one
 * deflate block by hand: literals and runs, no other matches. A render's Paeth residuals
 * are near zero and nearly independent, so a literal code alone comes within 2 % of
 * LZ77 on the rooms; flat backgrounds (shepard_metzler) are runs of one residual, written
 * as matches at distance 1. The block's Huffman code is fixed (`paeth_run_code`, from the
 * symbol counts below) and written into every stream's dynamic-block header, so the files
 * are ordinary PNGs. Compared with the previous fast path (the sub filter and igzip level 0
 * with a fixed code), rooms_ring_camera and rooms_free_camera datasets are within 1 % of
 * the size, shepard_metzler's 11 % larger, and encoding takes about half the time
 * (ImageCodec's documentation has the figures). The filter and the writer are compiled
 * twice, for the baseline and for AVX2 with BMI2, and the processor's best build runs.
 *
 * Grey images (instance masks, 16-bit depth) use igzip level 1, which builds its own code
 * per image: their statistics (runs of one value) are nothing like a render's residuals.
 */

enum { LEVEL_STANDARD = 6 };

/* The longest deflate match. */
enum { MAX_MATCH = 258 };

/*
 * Literal/length (286) and distance (30) symbol counts of this encoder's parse of the
 * Paeth-filtered rows of 1,100 64 x 64 renders (600 rooms_ring_camera, 200
 * rooms_free_camera, 300 shepard_metzler views; filter-type bytes included): residuals
 * near 0 (literals 0-20 and 236-255) dominate; runs are mostly short (lengths 3-10) or
 * whole rows of background (258). Only distance 1 occurs.
 */
static const uint32_t paeth_run_literal_counts[ISAL_DEF_LIT_LEN_SYMBOLS] = {
    3394104, 955297, 218560, 144457, 196284, 97728, 78986, 70376, 59370, 50529, 41138, 33496, 28734, 27518, 22908, 20146,
    17130, 15568, 14004, 12900, 11540, 10066, 8648, 7656, 7161, 6564, 6123, 5618, 5212, 4982, 4656, 3965,
    3604, 3453, 3206, 3060, 2961, 2786, 2769, 2583, 2388, 2375, 2154, 2033, 2078, 1871, 1896, 1760,
    1658, 1528, 1619, 1555, 1517, 1527, 1441, 1294, 1249, 1220, 1216, 1085, 1094, 1077, 1010, 1071,
    1044, 957, 944, 815, 745, 791, 794, 764, 717, 731, 678, 605, 662, 616, 669, 574,
    585, 521, 576, 493, 522, 528, 492, 500, 448, 526, 451, 461, 524, 470, 475, 431,
    454, 387, 406, 384, 430, 358, 331, 318, 353, 313, 331, 354, 349, 310, 353, 315,
    318, 293, 293, 348, 275, 330, 251, 354, 267, 251, 244, 255, 290, 291, 258, 271,
    284, 298, 272, 264, 294, 262, 286, 294, 289, 337, 264, 326, 258, 314, 314, 258,
    302, 324, 360, 313, 368, 364, 373, 305, 389, 317, 324, 370, 428, 376, 390, 404,
    417, 461, 410, 438, 495, 442, 464, 559, 426, 528, 455, 503, 448, 513, 511, 478,
    586, 602, 677, 567, 617, 627, 671, 693, 681, 702, 718, 797, 709, 864, 983, 941,
    897, 978, 945, 1011, 1057, 1076, 1220, 1174, 1079, 1164, 1274, 1363, 1403, 1457, 1408, 1330,
    1532, 1579, 1773, 1773, 1909, 1914, 2013, 2191, 2197, 2369, 2497, 2706, 2670, 2813, 3022, 3202,
    3485, 3710, 4239, 4495, 4745, 5070, 5431, 5942, 6507, 7003, 8014, 9145, 10916, 12130, 13029, 14308,
    16334, 18895, 22232, 24739, 27902, 34048, 43026, 51203, 59793, 71515, 85524, 113310, 139757, 175620, 307704, 1524499,
    1100, 0, 0, 0, 0, 0, 10695, 11936, 8384, 12319, 7764, 7573, 5210, 7753, 4548, 3872,
    2713, 4113, 4076, 4503, 3610, 6558, 3043, 1789, 821, 194, 10031, 0, 0, 0};
static const uint32_t paeth_run_distance_counts[ISAL_DEF_DIST_SYMBOLS] = {
    121505, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static struct isal_hufftables paeth_run_code;
static int paeth_run_code_status = -1;
/* Whether the processor runs AVX2 and BMI2 (asked once, with the code). */
static int paeth_run_code_avx2 = 0;
static pthread_once_t paeth_run_code_once = PTHREAD_ONCE_INIT;

/* Every symbol gets a count of at least 1, so any residual and any run has a code (as
 * isal_create_hufftables would also ensure). ISA-L keeps the code ready to write: literal
 * codes bit-reversed with their lengths, length codes packed with their extra bits, and
 * the block header (whose first bit, BFINAL, the writer sets). */
static void make_paeth_run_code(void) {
    struct isal_huff_histogram histogram;
    memset(&histogram, 0, sizeof histogram);
    for (int i = 0; i < ISAL_DEF_LIT_LEN_SYMBOLS; i++)
        histogram.lit_len_histogram[i] = paeth_run_literal_counts[i] + 1;
    for (int i = 0; i < ISAL_DEF_DIST_SYMBOLS; i++)
        histogram.dist_histogram[i] = paeth_run_distance_counts[i] + 1;
    paeth_run_code_status = isal_create_hufftables(&paeth_run_code, &histogram);
#if defined(__x86_64__)
    paeth_run_code_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
#endif
    /* The header must open a dynamic block (BTYPE 10); the writer makes it final. */
    if (paeth_run_code_status == 0 && (paeth_run_code.deflate_hdr[0] & 6) != 4) paeth_run_code_status = -2;
}

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

/* Bits written least significant first (deflate's order) through a 64-bit buffer. */
struct bit_writer {
    uint64_t bits;
    unsigned count; /* bits in `bits`, at most 63 */
    unsigned char *out;
};

static inline void put_bits(struct bit_writer *writer, uint64_t value, unsigned count) {
    writer->bits |= value << writer->count;
    writer->count += count;
}

/* Writes the whole bytes of the buffer (8 bytes stored, so `out` needs 8 bytes of room).
 * Callers flush before the buffer holds 64 bits, so at most 7 whole bytes leave it. */
static inline void flush_bits(struct bit_writer *writer) {
    memcpy(writer->out, &writer->bits, 8);
    const unsigned bytes = writer->count >> 3;
    writer->out += bytes;
    writer->bits >>= bytes * 8;
    writer->count &= 7;
}

/* The most a Paeth-run stream of `size` bytes can take while it is written (header, every
 * byte a literal of at most 15 bits, end of block, Adler-32, 8 bytes of slack for the
 * 8-byte stores), which is also more than its stored-block fallback takes. */
static size_t paeth_run_bound(size_t size) { return 2 + ISAL_DEF_MAX_HDR_SIZE + 1 + size / 8 * 15 + 15 + 2 + 4 + 8; }

/* The size of `size` bytes as a zlib stream of stored blocks (at most 65,535 bytes each). */
static size_t stored_size(size_t size) { return 2 + size + 5 * (size / 65535 + 1) + 4; }

/* Writes `size` bytes as a zlib stream of stored blocks: what a code that does not fit
 * the data (noise, say) falls back to, as igzip does. Returns the stream's size. */
static size_t stored_compress(const unsigned char *in, size_t size, unsigned char *out) {
    unsigned char *at = out;
    *at++ = 0x78;
    *at++ = 0x01;
    size_t offset = 0;
    do {
        const size_t length = size - offset < 65535 ? size - offset : 65535;
        *at++ = offset + length == size ? 1 : 0; /* BFINAL, BTYPE 00, padding */
        at[0] = (unsigned char)length;
        at[1] = (unsigned char)(length >> 8);
        at[2] = (unsigned char)~length;
        at[3] = (unsigned char)(~length >> 8);
        memcpy(at + 4, in + offset, length);
        at += 4 + length;
        offset += length;
    } while (offset < size);
    const uint32_t adler = isal_adler32(1, in, size);
    for (int shift = 24; shift >= 0; shift -= 8) *at++ = (unsigned char)(adler >> shift);
    return (size_t)(at - out);
}

/* Writes `size` filtered bytes as a zlib stream of one final dynamic block in the fixed
 * Paeth-run code: the bytes as literals, three at a time (at most 45 bits, so one flush
 * per three), and after each three, if the next 8 bytes repeat the last one, the run as
 * matches at distance 1 (a run is found within three bytes of its start: renders have
 * few runs, and this way finding them costs one compare per three bytes). Where that would
 * be larger than stored blocks (data unlike a render), writes stored blocks instead.
 * Returns the stream's size. */
static inline __attribute__((always_inline)) size_t paeth_run_compress_body(const unsigned char *in, size_t size,
                                                                            unsigned char *out) {
    const struct isal_hufftables *code = &paeth_run_code;
    out[0] = 0x78; /* deflate, 32 KiB window */
    out[1] = 0x01; /* fastest; (0x78 * 256 + 0x01) % 31 == 0 */
    struct bit_writer writer = {0, 0, out + 2};
    for (uint32_t i = 0; i < code->deflate_hdr_count; i++) {
        put_bits(&writer, i == 0 ? code->deflate_hdr[0] | 1u : code->deflate_hdr[i], 8); /* BFINAL */
        flush_bits(&writer);
    }
    if (code->deflate_hdr_extra_bits) {
        put_bits(&writer, code->deflate_hdr[code->deflate_hdr_count] & ((1u << code->deflate_hdr_extra_bits) - 1),
                 code->deflate_hdr_extra_bits);
        flush_bits(&writer);
    }
    /* Distance 1: the distance table's first entry, its code length in bits 4:0. */
    const uint32_t distance = code->dist_table[0];
    size_t i = 0;
    while (i + 3 + 8 <= size) {
        /* The three codes joined first, then added to the buffer once: only the last step
         * waits on the buffer's bit count. */
        const uint32_t a = code->lit_table[in[i]], b = code->lit_table[in[i + 1]], c = code->lit_table[in[i + 2]];
        const unsigned a_length = code->lit_table_sizes[in[i]], b_length = code->lit_table_sizes[in[i + 1]];
        const unsigned c_length = code->lit_table_sizes[in[i + 2]];
        put_bits(&writer, a | (uint64_t)b << a_length | (uint64_t)c << (a_length + b_length),
                 a_length + b_length + c_length);
        flush_bits(&writer);
        const unsigned char last = in[i + 2];
        i += 3;
        uint64_t next;
        memcpy(&next, in + i, 8);
        if (next != last * 0x0101010101010101ull) continue;
        size_t run = 8;
        while (i + run < size && in[i + run] == last) run++;
        while (run >= 3) {
            const size_t length = run < MAX_MATCH ? run : MAX_MATCH;
            /* The length table is indexed by length - 3: code and extra bits packed above bit 5. */
            const uint32_t packed = code->len_table[length - 3];
            put_bits(&writer, packed >> 5, packed & 31);
            put_bits(&writer, distance >> 5, distance & 31);
            flush_bits(&writer);
            i += length;
            run -= length;
        }
    }
    for (; i < size; i++) {
        put_bits(&writer, code->lit_table[in[i]], code->lit_table_sizes[in[i]]);
        flush_bits(&writer);
    }
    put_bits(&writer, code->lit_table[256], code->lit_table_sizes[256]); /* end of block */
    flush_bits(&writer);
    if (writer.count) *writer.out++ = (unsigned char)writer.bits;
    const uint32_t adler = isal_adler32(1, in, size);
    for (int shift = 24; shift >= 0; shift -= 8) *writer.out++ = (unsigned char)(adler >> shift);
    const size_t written = (size_t)(writer.out - out);
    return written <= stored_size(size) ? written : stored_compress(in, size, out);
}

static size_t paeth_run_compress_baseline(const unsigned char *in, size_t size, unsigned char *out) {
    return paeth_run_compress_body(in, size, out);
}

#if defined(__x86_64__)
/* With BMI2 the variable shifts take any register (shlx), not only cl, which the baseline
 * build frees by spilling codes to the stack: 13 % fewer instructions. */
__attribute__((target("avx2,bmi2"))) static size_t paeth_run_compress_avx2(const unsigned char *in, size_t size,
                                                                          unsigned char *out) {
    return paeth_run_compress_body(in, size, out);
}
#endif

/* The AVX2 and BMI2 build when the processor runs it and `wide` allows (the same bytes). */
static size_t paeth_run_compress(const unsigned char *in, size_t size, unsigned char *out, int wide) {
#if defined(__x86_64__)
    if (wide && paeth_run_code_avx2) return paeth_run_compress_avx2(in, size, out);
#endif
    return paeth_run_compress_baseline(in, size, out);
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

/* Sixteen bytes as 16-bit lanes (clang's vector extensions: one AVX2 register, or two SSE2). */
typedef unsigned char paeth_bytes __attribute__((vector_size(16)));
typedef unsigned char paeth_bytes_unaligned __attribute__((vector_size(16), aligned(1)));
typedef short paeth_lanes __attribute__((vector_size(32)));

/* Macros, not functions: a function returning a 32-byte vector has a different calling
 * convention with and without AVX, which the compiler warns about even when it inlines. */
#define PAETH_LOAD(at) __builtin_convertvector(*(const paeth_bytes_unaligned *)(at), paeth_lanes)
#define PAETH_ABS(value) ((value ^ (value >> 15)) - (value >> 15))

/* The Paeth filter alone, the fast effort's choice on RGB. Its predictor reads the
 * unfiltered neighbours only, so the loop has no carried dependency and no branch per byte,
 * and runs on sixteen bytes at a time. Above the first row PNG's neighbours are zeros, which makes
 * Paeth predict the left byte (the sub filter) there and the byte above in the first pixel. */
/* The filter's body, compiled twice below: for the baseline (SSE2) and for AVX2. */
static inline __attribute__((always_inline)) void paeth_row_body(unsigned char *out, const unsigned char *row,
                                                                 const unsigned char *previous, size_t row_bytes,
                                                                 size_t pixel_bytes) {
    out[0] = 4;
    unsigned char *filtered = out + 1;
    const size_t head = pixel_bytes < row_bytes ? pixel_bytes : row_bytes;
    if (!previous) {
        memcpy(filtered, row, head);
        for (size_t i = pixel_bytes; i < row_bytes; i++) filtered[i] = (unsigned char)(row[i] - row[i - pixel_bytes]);
        return;
    }
    for (size_t i = 0; i < head; i++) filtered[i] = (unsigned char)(row[i] - previous[i]);
    size_t i = pixel_bytes;
    /* Sixteen bytes at a time in 16-bit lanes (the compiler widens the scalar loop below to
     * 32-bit lanes, twice the work): every lane computes what the scalar loop does. */
    for (; i + 16 <= row_bytes; i += 16) {
        const paeth_lanes left = PAETH_LOAD(row + i - pixel_bytes), up = PAETH_LOAD(previous + i),
                          up_left = PAETH_LOAD(previous + i - pixel_bytes), value = PAETH_LOAD(row + i);
        const paeth_lanes left_step = up - up_left, up_step = left - up_left, both = left + up - up_left - up_left;
        const paeth_lanes to_left = PAETH_ABS(left_step), to_up = PAETH_ABS(up_step), to_up_left = PAETH_ABS(both);
        const paeth_lanes use_left = (to_left <= to_up) & (to_left <= to_up_left);
        const paeth_lanes use_up = ~use_left & (to_up <= to_up_left);
        const paeth_lanes predicted = (left & use_left) | (up & use_up) | (up_left & ~(use_left | use_up));
        const paeth_bytes residual = __builtin_convertvector((paeth_lanes)(value - predicted) & 255, paeth_bytes);
        memcpy(filtered + i, &residual, 16);
    }
    for (; i < row_bytes; i++) {
        const int left = row[i - pixel_bytes], up = previous[i], up_left = previous[i - pixel_bytes];
        const int to_left = abs(up - up_left), to_up = abs(left - up_left), to_up_left = abs(left + up - 2 * up_left);
        const int predicted = ((to_left <= to_up) & (to_left <= to_up_left)) ? left : (to_up <= to_up_left ? up : up_left);
        filtered[i] = (unsigned char)(row[i] - predicted);
    }
}

static void paeth_row_baseline(unsigned char *out, const unsigned char *row, const unsigned char *previous,
                               size_t row_bytes, size_t pixel_bytes) {
    paeth_row_body(out, row, previous, row_bytes, pixel_bytes);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void paeth_row_avx2(unsigned char *out, const unsigned char *row,
                                                           const unsigned char *previous, size_t row_bytes,
                                                           size_t pixel_bytes) {
    paeth_row_body(out, row, previous, row_bytes, pixel_bytes);
}
#endif

/* The AVX2 build of the filter when the processor runs it and `wide` allows (the same
 * bytes: integer arithmetic). */
static void paeth_row(unsigned char *out, const unsigned char *row, const unsigned char *previous, size_t row_bytes,
                      size_t pixel_bytes, int wide) {
#if defined(__x86_64__)
    if (wide && paeth_run_code_avx2) {
        paeth_row_avx2(out, row, previous, row_bytes, pixel_bytes);
        return;
    }
#endif
    paeth_row_baseline(out, row, previous, row_bytes, pixel_bytes);
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
    const int paeth_run = effort == GQN_PNG_FAST && bit_depth == 8 && channels == 3;
    /* igzip counts bytes in 32 bits: its input and its output bound must both fit. */
    if (effort == GQN_PNG_FAST && !paeth_run && filtered_size > (UINT32_MAX - 1024) / 17 * 16) {
        snprintf(message, message_size, "image too large for one igzip call: %zu filtered bytes", filtered_size);
        return 1;
    }
    struct encoder_state *state = thread_state();
    if (state && effort != GQN_PNG_FAST && !state->standard) state->standard = libdeflate_alloc_compressor(LEVEL_STANDARD);
    if (paeth_run) (void)pthread_once(&paeth_run_code_once, make_paeth_run_code);
    /* The filtered rows, then two rows for byte-swapped 16-bit samples (this row and the
     * one above, which the up, average and Paeth filters read), then a scratch row for
     * adaptive filtering. */
    unsigned char *filtered = (unsigned char *)malloc(filtered_size + 3 * (row_bytes + 1));
    if (!state || (effort != GQN_PNG_FAST && !state->standard) || !filtered) {
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
        if (paeth_run) {
            paeth_row(destination, row, previous, row_bytes, pixel_bytes, wide);
        } else if (effort == GQN_PNG_FAST) {
            sub_row(destination, row, row_bytes, pixel_bytes);
        } else {
            adaptive_row(destination, scratch, row, previous, row_bytes, pixel_bytes);
        }
        previous = row;
    }

    if (paeth_run && paeth_run_code_status != 0) {
        free(filtered);
        snprintf(message, message_size, "igzip could not build the Paeth-run Huffman code (%d)", paeth_run_code_status);
        return 1;
    }
    /* igzip falls back to stored blocks, so its stream is at most the input plus headers. */
    const size_t bound = paeth_run                ? paeth_run_bound(filtered_size)
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
        paeth_run                ? paeth_run_compress(filtered, filtered_size, file + size + 8, wide)
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
