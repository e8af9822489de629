#include "png_encoder.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    char *message;
    size_t message_size;
} encoder_state;

static void on_error(png_structp png, png_const_charp text) {
    encoder_state *state = (encoder_state *)png_get_error_ptr(png);
    snprintf(state->message, state->message_size, "%s", text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void on_write(png_structp png, png_bytep bytes, png_size_t count) {
    encoder_state *state = (encoder_state *)png_get_io_ptr(png);
    if (state->size + count > state->capacity) {
        size_t capacity = state->capacity ? state->capacity : 4096;
        while (capacity < state->size + count) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(state->data, capacity);
        if (!grown) png_error(png, "out of memory");
        state->data = grown;
        state->capacity = capacity;
    }
    memcpy(state->data + state->size, bytes, count);
    state->size += count;
}

static void on_flush(png_structp png) { (void)png; }

int gqn_png_encode(const void *pixels, unsigned width, unsigned height, int channels, int bit_depth,
                   gqn_png_effort effort, unsigned char **out, size_t *out_size,
                   char *message, size_t message_size) {
    /* On the heap: locals modified between setjmp and longjmp would be indeterminate. */
    encoder_state *state = (encoder_state *)calloc(1, sizeof(encoder_state));
    if (!state) {
        snprintf(message, message_size, "out of memory");
        return 1;
    }
    state->message = message;
    state->message_size = message_size;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        free(state);
        snprintf(message, message_size, "cannot create a libpng writer");
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(state->data);
        free(state);
        return 1;
    }
    png_set_write_fn(png, state, on_write, on_flush);
    png_set_IHDR(png, info, width, height, bit_depth, channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (bit_depth == 16) {
        png_set_gAMA_fixed(png, info, PNG_GAMMA_LINEAR);
    } else {
        png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
    }
    if (effort == GQN_PNG_FAST) {
        png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
        png_set_compression_level(png, 1);
        png_set_compression_strategy(png, Z_RLE);
        png_set_compression_mem_level(png, 7);
    } else {
        png_set_compression_level(png, 6);
    }
    png_write_info(png, info);
    if (bit_depth == 16) {
        const unsigned short probe = 1;
        if (*(const unsigned char *)&probe == 1) png_set_swap(png); /* little-endian host */
    }
    size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    for (unsigned row = 0; row < height; row++) {
        png_write_row(png, (png_const_bytep)pixels + row * row_bytes);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = state->data;
    *out_size = state->size;
    free(state);
    return 0;
}
