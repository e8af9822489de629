#include "render_deflate.h"

#include <isa-l.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/*
 * The fast effort on 8-bit RGB (every render): each row is filtered with Paeth and coded in
 * the same pass, into one final dynamic deflate block with a fixed Huffman code.
 *
 * A render's Paeth residuals are near zero and nearly independent, so literals alone come
 * close to LZ77; flat backgrounds are runs of zero residuals. The parse: the row's filter
 * byte, then the residuals in chunks of 32 bytes; a chunk of zeros joins a run once the run
 * would reach 16 bytes, and a run is written as a zero literal and matches at distance 1;
 * every other chunk is written as literals. Nothing else is searched.
 *
 * The code is shaped so that 32 literals find their codes with 16-entry table lookups
 * (pshufb): literals 0-15 and 240-255 (residuals near zero) have their own codes of up to 11
 * bits; every other literal has 12 bits, the first 8 set by its high nibble and the last 4
 * its low nibble (a group of 16 consecutive canonical codes starting at a multiple of 16).
 * The lengths minimise the size of the symbols this parse counted over 1,100 renders of the
 * three families (400 rooms_ring_camera, 400 rooms_free_camera, 300 shepard_metzler views),
 * 2.1 % above an unconstrained Huffman code on them. The header goes into every stream, so
 * the files are ordinary PNGs. Where the code would be larger than stored blocks (noise), the
 * stream is stored blocks instead.
 *
 * Two builds of the row loop write the same bytes: a scalar one for any x86-64 (or other)
 * processor, and one for AVX2 with BMI2, which filters and looks up 32 bytes at a time and
 * joins the codes in 64-bit lanes, four or eight at a time, before they go to the bit buffer.
 */

/* Printed by `Tools/render_png_code.py tables Tools/render_png_counts.txt`; Tools/test.sh
 * checks that they still are. */

static const uint8_t render_code_lengths[286] = {
    1, 3, 6, 7, 6, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9, 9, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 9, 9, 9, 9, 9, 8, 8, 8, 8, 8, 7, 7, 7, 6, 5, 3,
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 11, 11, 11, 10, 11, 11, 11, 11, 11, 11, 11, 11, 11,
};
static const unsigned render_code_header_bits = 325;
static const uint8_t render_code_header[] = {
    0xed, 0xc0, 0x03, 0xa0, 0x2b, 0xeb, 0xc1, 0x05, 0xd0, 0xb5, 0x27, 0x93, 0x1c, 0x5c, 0xfd, 0xb6,
    0x6d, 0xdb, 0xb6, 0x6d, 0xdb, 0xb6, 0x6d, 0xdb, 0xb6, 0x6d, 0xdb, 0xb6, 0xed, 0xff, 0xea, 0x28,
    0xc9, 0x7c, 0xbb, 0x36, 0x5e, 0xdb, 0x57, 0xb7, 0x0b,
};

enum { CHUNK = 32, RUN_START = 16, MAX_MATCH = 258, MIDDLE_LENGTH = 12 };

/* The code, ready to write: codes bit-reversed (deflate sends Huffman codes most significant
 * bit first, the bit buffer least significant first), and the tables the AVX2 loop looks up. */
struct render_code {
    uint16_t codes[286];
    uint8_t lengths[286];
    /* Literals 0-15 and 240-255 by low nibble: length, code's low and high byte. */
    uint8_t first_lengths[16], first_low[16], first_high[16];
    uint8_t last_lengths[16], last_low[16], last_high[16];
    /* Literals 16-239 by high nibble: the code's first 8 bits (its low byte, reversed). */
    uint8_t middle_prefixes[16];
    /* Matches at distance 1 of length 3-258: length code, extra bits and the distance's one bit. */
    uint32_t match_bits[MAX_MATCH + 1];
    uint8_t match_lengths[MAX_MATCH + 1];
};

static struct render_code code;
static int code_status = -1;
#if defined(__x86_64__)
/* Whether the processor runs AVX2 and BMI2 (asked once, with the code). */
static int code_avx2 = 0;
#endif
static pthread_once_t code_once = PTHREAD_ONCE_INIT;

/* Deflate's length symbols 257-285: the first length each codes and its extra bits. */
static const uint16_t length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                         31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};

static const uint8_t reversed_nibbles[16] = {0x0, 0x8, 0x4, 0xc, 0x2, 0xa, 0x6, 0xe, 0x1, 0x9, 0x5, 0xd, 0x3, 0xb, 0x7, 0xf};

static uint16_t reverse_bits(uint16_t value, unsigned count) {
    uint16_t reversed = 0;
    for (unsigned i = 0; i < count; i++) reversed |= (uint16_t)(((value >> i) & 1) << (count - 1 - i));
    return reversed;
}

/* Canonical codes from the lengths (RFC 1951, 3.2.2), then the lookup tables; checks every
 * assumption the loops make about the code (status -2 otherwise). */
static void build_code(void) {
    unsigned counts[16] = {0};
    for (int s = 0; s < 286; s++) counts[render_code_lengths[s]]++;
    uint16_t next[16] = {0};
    unsigned value = 0;
    for (int bits = 1; bits < 16; bits++) {
        value = (value + (bits > 1 ? counts[bits - 1] : 0)) << 1;
        next[bits] = (uint16_t)value;
    }
    int ok = 1;
    unsigned kraft = 0; /* code points of 15 bits the codes fill: at most all 32,768 */
    for (int s = 0; s < 286; s++) {
        const unsigned length = render_code_lengths[s];
        ok &= length >= 1 && length <= 15;
        if (!ok) break;
        kraft += 1u << (15 - length);
        code.lengths[s] = (uint8_t)length;
        code.codes[s] = reverse_bits(next[length]++, length);
    }
    ok &= kraft <= 1u << 15;
    for (int i = 0; i < 16; i++) {
        code.first_lengths[i] = code.lengths[i];
        code.first_low[i] = (uint8_t)code.codes[i];
        code.first_high[i] = (uint8_t)(code.codes[i] >> 8);
        code.last_lengths[i] = code.lengths[240 + i];
        code.last_low[i] = (uint8_t)code.codes[240 + i];
        code.last_high[i] = (uint8_t)(code.codes[240 + i] >> 8);
        ok &= code.first_lengths[i] <= 11 && code.last_lengths[i] <= 11;
    }
    for (int s = 16; s < 240; s++) {
        const uint16_t expected = (uint16_t)(code.codes[s & ~15] & 0xff) | (uint16_t)(reversed_nibbles[s & 15] << 8);
        ok &= code.lengths[s] == MIDDLE_LENGTH && code.codes[s] == expected;
        code.middle_prefixes[s >> 4] = (uint8_t)code.codes[s & ~15];
    }
    for (unsigned length = 3; length <= MAX_MATCH; length++) {
        int symbol = 28;
        while (length_base[symbol] > length) symbol--;
        const unsigned bits = code.lengths[257 + symbol];
        /* The length's code, its extra bits, then distance 1: the one distance code, a 0 bit. */
        code.match_bits[length] = code.codes[257 + symbol] | (uint32_t)(length - length_base[symbol]) << bits;
        code.match_lengths[length] = (uint8_t)(bits + length_extra[symbol] + 1);
    }
    code_status = ok ? 0 : -2;
#if defined(__x86_64__)
    code_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
#endif
}

int render_deflate_status(void) {
    (void)pthread_once(&code_once, build_code);
    return code_status;
}

/* Bits written least significant first (deflate's order) through a 64-bit buffer. */
struct bit_writer {
    uint64_t bits;
    unsigned count; /* bits in `bits`, at most 7 after a flush */
    unsigned char *out;
};

static inline __attribute__((always_inline)) void put_bits(struct bit_writer *writer, uint64_t value, unsigned count) {
    writer->bits |= value << writer->count;
    writer->count += count;
}

/* Writes the whole bytes of the buffer (8 bytes stored, so `out` needs 8 bytes of room). */
static inline __attribute__((always_inline)) void flush_bits(struct bit_writer *writer) {
    memcpy(writer->out, &writer->bits, 8);
    const unsigned bytes = writer->count >> 3;
    writer->out += bytes;
    writer->bits >>= bytes * 8;
    writer->count &= 7;
}

static inline __attribute__((always_inline)) void put_literal(struct bit_writer *writer, unsigned literal) {
    put_bits(writer, code.codes[literal], code.lengths[literal]);
    flush_bits(writer);
}

/* A run of `run` >= RUN_START zero residuals: a zero literal, then matches at distance 1 of
 * the other run - 1 bytes (258 at most each, and none of 1 or 2 left over). */
static inline __attribute__((always_inline)) void put_run(struct bit_writer *writer, size_t run) {
    put_literal(writer, 0);
    size_t left = run - 1;
    if (left % MAX_MATCH == 1 || left % MAX_MATCH == 2) {
        put_bits(writer, code.match_bits[3], code.match_lengths[3]);
        flush_bits(writer);
        left -= 3;
    }
    while (left > 0) {
        const size_t length = left < MAX_MATCH ? left : MAX_MATCH;
        put_bits(writer, code.match_bits[length], code.match_lengths[length]);
        flush_bits(writer);
        left -= length;
    }
}

/* Sixteen bytes as 16-bit lanes (clang's vector extensions: two SSE2 registers in the
 * scalar build, which no AVX2 flag reaches). Macros, not functions: a function returning a
 * 32-byte vector has a different calling convention with and without AVX. */
typedef unsigned char sixteen_bytes __attribute__((vector_size(16)));
typedef unsigned char sixteen_bytes_unaligned __attribute__((vector_size(16), aligned(1)));
typedef short sixteen_lanes __attribute__((vector_size(32)));
#define LOAD_LANES(at) __builtin_convertvector(*(const sixteen_bytes_unaligned *)(at), sixteen_lanes)
#define ABS_LANES(value) (((value) ^ ((value) >> 15)) - ((value) >> 15))

/* PNG's Paeth predictor (PNG specification, section 9.4) on 16 bytes at `row`, with the row
 * `above` and both rows' bytes 3 before as left neighbours: the residuals go to `out`. Every
 * lane computes what the scalar predictor does, without a branch. */
static inline __attribute__((always_inline)) void paeth_sixteen(unsigned char *out, const unsigned char *row,
                                                                const unsigned char *above) {
    const sixteen_lanes left = LOAD_LANES(row - 3), up = LOAD_LANES(above), up_left = LOAD_LANES(above - 3),
                        value = LOAD_LANES(row);
    const sixteen_lanes to_left = ABS_LANES(up - up_left), to_up = ABS_LANES(left - up_left),
                        to_up_left = ABS_LANES(left + up - up_left - up_left);
    const sixteen_lanes use_left = (to_left <= to_up) & (to_left <= to_up_left);
    const sixteen_lanes use_up = ~use_left & (to_up <= to_up_left);
    const sixteen_lanes predicted = (left & use_left) | (up & use_up) | (up_left & ~(use_left | use_up));
    const sixteen_bytes residual = __builtin_convertvector((sixteen_lanes)(value - predicted) & 255, sixteen_bytes);
    memcpy(out, &residual, 16);
}

/* One row in the scalar build. `row` and `above` have 32 zero bytes before them (the
 * neighbours left of the first pixel) and 32 bytes of room after them; `above` is zeros
 * above the first row. Like the AVX2 build, it filters whole chunks of 32 bytes, writing up
 * to 31 bytes past the row's residuals (into the next row's place, or the slack after the
 * last). */
static void code_row_scalar(struct bit_writer *writer, const unsigned char *row, const unsigned char *above,
                            size_t row_bytes, unsigned char *filtered) {
    filtered[0] = 4;
    put_literal(writer, 4);
    unsigned char *residuals = filtered + 1;
    size_t run = 0;
    for (size_t i = 0; i < row_bytes; i += CHUNK) {
        const size_t count = row_bytes - i < CHUNK ? row_bytes - i : CHUNK;
        paeth_sixteen(residuals + i, row + i, above + i);
        paeth_sixteen(residuals + i + 16, row + i + 16, above + i + 16);
        unsigned char any = 0;
        for (size_t j = i; j < i + count; j++) any |= residuals[j];
        if (!any && run + count >= RUN_START) {
            run += count;
            continue;
        }
        if (run) put_run(writer, run);
        run = 0;
        size_t j = i;
        for (; j + 4 <= i + count; j += 4) {
            /* Four codes of at most 12 bits joined, then one flush. */
            const unsigned a = residuals[j], b = residuals[j + 1], c = residuals[j + 2], d = residuals[j + 3];
            const unsigned la = code.lengths[a], lb = code.lengths[b], lc = code.lengths[c];
            put_bits(writer,
                     code.codes[a] | (uint64_t)code.codes[b] << la | (uint64_t)code.codes[c] << (la + lb) |
                         (uint64_t)code.codes[d] << (la + lb + lc),
                     la + lb + lc + code.lengths[d]);
            flush_bits(writer);
        }
        for (; j < i + count; j++) put_literal(writer, residuals[j]);
    }
    if (run) put_run(writer, run);
}

#if defined(__x86_64__)
/* 32 ones then 32 zeros: 32 - count bytes in, the first `count` lanes of a chunk. */
static const unsigned char lane_masks[64] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

/* Adds `groups` joined codes to the bit buffer in the given order (bits[order[k]], of
 * counts[order[k]] bits, at most 56), one flush each. The buffer stays in locals meanwhile:
 * through the writer's fields the compiler would reload it after every 8-byte store. */
static inline __attribute__((always_inline)) void put_groups(struct bit_writer *writer, const uint64_t *bits,
                                                             const uint64_t *counts, const int *order, int groups) {
    uint64_t buffer = writer->bits;
    unsigned filled = writer->count;
    unsigned char *out = writer->out;
    for (int k = 0; k < groups; k++) {
        buffer |= bits[order[k]] << filled;
        filled += (unsigned)counts[order[k]];
        memcpy(out, &buffer, 8);
        out += filled >> 3;
        buffer >>= filled & ~7u;
        filled &= 7;
    }
    writer->bits = buffer;
    writer->count = filled;
    writer->out = out;
}

/* One row in the AVX2 build: the same residuals and the same bits as code_row_scalar. */
__attribute__((target("avx2,bmi2"))) static void code_row_avx2(struct bit_writer *writer, const unsigned char *row,
                                                               const unsigned char *above, size_t row_bytes,
                                                               unsigned char *filtered) {
    filtered[0] = 4;
    put_literal(writer, 4);
    unsigned char *residuals = filtered + 1;
    const __m256i zero = _mm256_setzero_si256(), nibble = _mm256_set1_epi8(15);
#define TABLE(name) _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(name)))
    const __m256i first_lengths = TABLE(code.first_lengths), first_low = TABLE(code.first_low),
                  first_high = TABLE(code.first_high), last_lengths = TABLE(code.last_lengths),
                  last_low = TABLE(code.last_low), last_high = TABLE(code.last_high),
                  middle_prefixes = TABLE(code.middle_prefixes), reversed = TABLE(reversed_nibbles);
#undef TABLE
    const __m256i middle_length = _mm256_set1_epi8(MIDDLE_LENGTH);
    const __m256i low16 = _mm256_set1_epi32(0xffff), low32 = _mm256_set1_epi64x(0xffffffff);
    size_t run = 0;
    for (size_t i = 0; i < row_bytes; i += CHUNK) {
        const size_t count = row_bytes - i < CHUNK ? row_bytes - i : CHUNK;
        /* Paeth on bytes: a = left, b = up, c = up-left; |b - c|, |a - c| and
         * |(b - c) + (a - c)| (their sum when the differences have one sign, else the
         * difference of the two; a saturated sum still compares as at least either). */
        const __m256i value = _mm256_loadu_si256((const __m256i *)(row + i));
        const __m256i a = _mm256_loadu_si256((const __m256i *)(row + i - 3));
        const __m256i b = _mm256_loadu_si256((const __m256i *)(above + i));
        const __m256i c = _mm256_loadu_si256((const __m256i *)(above + i - 3));
        const __m256i b_over_c = _mm256_subs_epu8(b, c), c_over_b = _mm256_subs_epu8(c, b);
        const __m256i a_over_c = _mm256_subs_epu8(a, c), c_over_a = _mm256_subs_epu8(c, a);
        const __m256i to_left = _mm256_or_si256(b_over_c, c_over_b), to_up = _mm256_or_si256(a_over_c, c_over_a);
        /* One sign: b >= c and a >= c, or both below. */
        const __m256i b_below = _mm256_cmpeq_epi8(b_over_c, zero), a_below = _mm256_cmpeq_epi8(a_over_c, zero);
        const __m256i b_above = _mm256_cmpeq_epi8(c_over_b, zero), a_above = _mm256_cmpeq_epi8(c_over_a, zero);
        const __m256i one_sign =
            _mm256_or_si256(_mm256_and_si256(b_above, a_above), _mm256_and_si256(b_below, a_below));
        const __m256i difference =
            _mm256_or_si256(_mm256_subs_epu8(to_left, to_up), _mm256_subs_epu8(to_up, to_left));
        const __m256i to_up_left = _mm256_blendv_epi8(difference, _mm256_adds_epu8(to_left, to_up), one_sign);
        const __m256i use_a = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(to_left, to_up), to_left),
                                               _mm256_cmpeq_epi8(_mm256_min_epu8(to_left, to_up_left), to_left));
        const __m256i use_b = _mm256_cmpeq_epi8(_mm256_min_epu8(to_up, to_up_left), to_up);
        const __m256i predicted = _mm256_blendv_epi8(_mm256_blendv_epi8(c, b, use_b), a, use_a);
        const __m256i residual = _mm256_sub_epi8(value, predicted);
        _mm256_storeu_si256((__m256i *)(residuals + i), residual);

        const __m256i valid = _mm256_loadu_si256((const __m256i *)(lane_masks + CHUNK - count));
        const unsigned zeros = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(residual, zero)) |
                               ~(unsigned)_mm256_movemask_epi8(valid);
        if (zeros == 0xffffffffu && run + count >= RUN_START) {
            run += count;
            continue;
        }
        if (run) put_run(writer, run);
        run = 0;

        /* Each byte's code length and code (low and high byte). */
        const __m256i low = _mm256_and_si256(residual, nibble);
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(residual, 4), nibble);
        const __m256i first = _mm256_cmpeq_epi8(high, zero), last = _mm256_cmpeq_epi8(high, nibble);
        __m256i lengths = _mm256_blendv_epi8(middle_length, _mm256_shuffle_epi8(last_lengths, low), last);
        lengths = _mm256_and_si256(_mm256_blendv_epi8(lengths, _mm256_shuffle_epi8(first_lengths, low), first), valid);
        __m256i code_low = _mm256_blendv_epi8(_mm256_shuffle_epi8(middle_prefixes, high),
                                              _mm256_shuffle_epi8(last_low, low), last);
        code_low = _mm256_and_si256(_mm256_blendv_epi8(code_low, _mm256_shuffle_epi8(first_low, low), first), valid);
        __m256i code_high =
            _mm256_blendv_epi8(_mm256_shuffle_epi8(reversed, low), _mm256_shuffle_epi8(last_high, low), last);
        code_high = _mm256_and_si256(_mm256_blendv_epi8(code_high, _mm256_shuffle_epi8(first_high, low), first), valid);

        /* 16-bit codes (bytes 0-7 and 16-23 in `even`, 8-15 and 24-31 in `odd`), then pairs
         * in 32-bit lanes (at most 24 bits), then fours in 64-bit lanes (at most 48 bits). */
        const __m256i codes_even = _mm256_unpacklo_epi8(code_low, code_high);
        const __m256i codes_odd = _mm256_unpackhi_epi8(code_low, code_high);
        const __m256i lengths_even = _mm256_unpacklo_epi8(lengths, zero);
        const __m256i lengths_odd = _mm256_unpackhi_epi8(lengths, zero);
#define JOIN(codes, lengths, mask, shift, joined, joined_lengths, SLLV, SRLI, ADD)                                 \
    const __m256i joined = _mm256_or_si256(_mm256_and_si256(codes, mask),                                         \
                                           SLLV(SRLI(codes, shift), _mm256_and_si256(lengths, mask)));           \
    const __m256i joined_lengths = ADD(_mm256_and_si256(lengths, mask), SRLI(lengths, shift));
        JOIN(codes_even, lengths_even, low16, 16, pairs_even, pair_lengths_even, _mm256_sllv_epi32,
             _mm256_srli_epi32, _mm256_add_epi32)
        JOIN(codes_odd, lengths_odd, low16, 16, pairs_odd, pair_lengths_odd, _mm256_sllv_epi32, _mm256_srli_epi32,
             _mm256_add_epi32)
        JOIN(pairs_even, pair_lengths_even, low32, 32, fours_even, four_lengths_even, _mm256_sllv_epi64,
             _mm256_srli_epi64, _mm256_add_epi64)
        JOIN(pairs_odd, pair_lengths_odd, low32, 32, fours_odd, four_lengths_odd, _mm256_sllv_epi64,
             _mm256_srli_epi64, _mm256_add_epi64)
#undef JOIN
        /* Eights in each 128-bit half (bytes 0-7 and 16-23 in `even`, 8-15 and 24-31 in
         * `odd`; at most 96 bits). Most chunks' eights fit the bit buffer (56 bits beside the
         * 7 it may hold, so that a shift by 64 never happens): then four writes, else eight
         * of the fours. */
        const __m256i eights_even =
            _mm256_or_si256(fours_even, _mm256_sllv_epi64(_mm256_srli_si256(fours_even, 8), four_lengths_even));
        const __m256i eights_odd =
            _mm256_or_si256(fours_odd, _mm256_sllv_epi64(_mm256_srli_si256(fours_odd, 8), four_lengths_odd));
        const __m256i eight_lengths_even = _mm256_add_epi64(four_lengths_even, _mm256_srli_si256(four_lengths_even, 8));
        const __m256i eight_lengths_odd = _mm256_add_epi64(four_lengths_odd, _mm256_srli_si256(four_lengths_odd, 8));
        const __m256i most = _mm256_set1_epi64x(56);
        /* Lanes 1 and 3 hold a four alone (at most 48 bits): they never exceed the limit. */
        const int fit = !_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpgt_epi64(eight_lengths_even, most),
                                                             _mm256_cmpgt_epi64(eight_lengths_odd, most)));
        uint64_t bits[8], counts[8];
        if (fit) {
            _mm256_storeu_si256((__m256i *)bits, eights_even);
            _mm256_storeu_si256((__m256i *)(bits + 4), eights_odd);
            _mm256_storeu_si256((__m256i *)counts, eight_lengths_even);
            _mm256_storeu_si256((__m256i *)(counts + 4), eight_lengths_odd);
            /* Bytes 0-7 (even, low half), 8-15 (odd), 16-23 (even, high half), 24-31. */
            static const int eights[4] = {0, 4, 2, 6};
            put_groups(writer, bits, counts, eights, 4);
        } else {
            _mm256_storeu_si256((__m256i *)bits, fours_even);
            _mm256_storeu_si256((__m256i *)(bits + 4), fours_odd);
            _mm256_storeu_si256((__m256i *)counts, four_lengths_even);
            _mm256_storeu_si256((__m256i *)(counts + 4), four_lengths_odd);
            /* Bytes 0-3, 4-7 (even, low half), 8-11, 12-15 (odd), 16-19, 20-23 (even, high half), 24-31. */
            static const int fours[8] = {0, 1, 4, 5, 2, 3, 6, 7};
            put_groups(writer, bits, counts, fours, 8);
        }
    }
    if (run) put_run(writer, run);
}
#endif

/* The most bytes a stream can take while it is written: zlib header, block header, every
 * byte a literal of at most 12 bits (a run is shorter than its literals), end of block (at
 * most 11 bits) and the last byte's padding, Adler-32, and 8 bytes of slack for the 8-byte
 * stores. */
size_t render_deflate_bound(size_t filtered_size) {
    return 2 + sizeof render_code_header + (filtered_size * 12 + 7) / 8 + 2 + 4 + 8;
}

/* The size of `size` bytes as a zlib stream of stored blocks (at most 65,535 bytes each). */
static size_t stored_size(size_t size) { return 2 + size + 5 * (size / 65535 + 1) + 4; }

/* Writes `size` bytes as a zlib stream of stored blocks: what a code that does not fit the
 * data (noise, say) falls back to, as igzip does. Returns the stream's size. */
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

size_t render_deflate(const unsigned char *pixels, size_t width, size_t height, unsigned char *filtered,
                      unsigned char *scratch, unsigned char *out, int wide) {
    const size_t row_bytes = 3 * width, stride = row_bytes + 64;
    /* Three padded rows: zeros (above the first row), and the rows being coded and above,
     * each with 32 zero bytes in front (left of the first pixel). */
    memset(scratch, 0, 3 * stride);
    unsigned char *rows[2] = {scratch + stride + 32, scratch + 2 * stride + 32};
    const unsigned char *above = scratch + 32;
#if defined(__x86_64__)
    const int avx2 = wide && code_avx2;
#else
    (void)wide;
#endif
    out[0] = 0x78; /* deflate, 32 KiB window */
    out[1] = 0x01; /* fastest; (0x78 * 256 + 0x01) % 31 == 0 */
    struct bit_writer writer = {0, 0, out + 2};
    for (size_t i = 0; i < render_code_header_bits / 8; i++) {
        put_bits(&writer, render_code_header[i], 8);
        flush_bits(&writer);
    }
    put_bits(&writer, render_code_header[render_code_header_bits / 8] & ((1u << (render_code_header_bits % 8)) - 1),
             render_code_header_bits % 8);
    flush_bits(&writer);
    for (size_t y = 0; y < height; y++) {
        unsigned char *row = rows[y % 2];
        memcpy(row, pixels + y * row_bytes, row_bytes);
        unsigned char *destination = filtered + y * (row_bytes + 1);
#if defined(__x86_64__)
        if (avx2)
            code_row_avx2(&writer, row, above, row_bytes, destination);
        else
#endif
            code_row_scalar(&writer, row, above, row_bytes, destination);
        above = row;
    }
    put_literal(&writer, 256); /* end of block */
    if (writer.count) *writer.out++ = (unsigned char)writer.bits;
    const size_t filtered_size = (row_bytes + 1) * height;
    const uint32_t adler = isal_adler32(1, filtered, filtered_size);
    for (int shift = 24; shift >= 0; shift -= 8) *writer.out++ = (unsigned char)(adler >> shift);
    const size_t written = (size_t)(writer.out - out);
    return written <= stored_size(filtered_size) ? written : stored_compress(filtered, filtered_size, out);
}
