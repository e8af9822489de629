#!/usr/bin/env python3
"""Derives the Huffman code of the renders' PNG encoder (Sources/CPNGEncoder/render_deflate.c).

    Tools/render_png_code.py count PNG...        > counts.txt   # symbol counts of the encoder's parse
    Tools/render_png_code.py tables counts.txt...              # the C tables, and the code's cost
    Tools/render_png_code.py check C-FILE counts.txt...        # exit 1 unless C-FILE holds those tables

`count` decodes 8-bit RGB PNG files (any filters) and counts the 286 literal/length symbols
the encoder's parse writes for them: each row's filter byte (4), its Paeth residuals as
literals, and whole 32-byte chunks of zero residuals as runs (a zero literal, then matches at
distance 1). `tables` sums count files and prints `render_code_lengths` and
`render_code_header` for the C file, and on stderr the symbols' size against an
unconstrained Huffman code (lines starting with # are comments). Tools/render_png_counts.txt
holds the counts the encoder's code was made from; `check` (run by Tools/test.sh) confirms
that the C file's tables are the ones they give.

The code is shaped for 16-entry table lookups (pshufb): literals 0-15 and 240-255 (residuals
near zero) get codes of their own of at most 11 bits, every other literal 12 bits, the first
8 shared by its high nibble and the last 4 its low nibble; the end of block and the length
symbols at most 11 bits. Within those limits the lengths minimise the counted symbols' size.
Standard library only.
"""
import heapq
import sys
import zlib

CHUNK = 32
RUN_START = 16
MAX_MATCH = 258
MIDDLE_LENGTH = 12  # an 8-bit prefix per high nibble, then the low nibble's 4 bits
MAX_SHORT = 11
LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
               227, 258]
LENGTH_EXTRA = [0] * 8 + [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4 + [0]


def paeth(a, b, c):
    to_left, to_up, to_up_left = abs(b - c), abs(a - c), abs(a + b - 2 * c)
    if to_left <= to_up and to_left <= to_up_left:
        return a
    return b if to_up <= to_up_left else c


def decode_rgb8(path):
    """The rows of an 8-bit RGB PNG file, as bytes objects."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG file")
    at, idat, header = 8, b"", None
    while at < len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    if header[8] != 8 or header[9] != 2 or header[12] != 0:
        raise SystemExit(f"{path}: expected 8-bit RGB without interlacing")
    raw, stride = zlib.decompress(idat), 3 * width
    rows, above = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b, c = above[i], above[i - 3] if i >= 3 else 0
            predicted = [0, a, b, (a + b) // 2, paeth(a, b, c) if kind == 4 else 0][kind]
            line[i] = (line[i] + predicted) & 255
        rows.append(bytes(line))
        above = line
    return rows


def match_symbol(length):
    return 257 + max(s for s in range(29) if LENGTH_BASE[s] <= length)


def count_run(counts, run):
    """A run of zero residuals as the encoder writes it: a zero literal, then matches at
    distance 1 (at most 258 each, none of 1 or 2 left over)."""
    counts[0] += 1
    left = run - 1
    if left % MAX_MATCH in (1, 2):
        counts[match_symbol(3)] += 1
        left -= 3
    while left:
        length = min(left, MAX_MATCH)
        counts[match_symbol(length)] += 1
        left -= length


def count(paths):
    counts = [0] * 286
    for path in paths:
        above = None
        for row in decode_rgb8(path):
            stride = len(row)
            counts[4] += 1
            residuals = [(row[i] - paeth(row[i - 3] if i >= 3 else 0, above[i] if above else 0,
                                         above[i - 3] if above and i >= 3 else 0)) & 255 for i in range(stride)]
            run = 0
            for i in range(0, stride, CHUNK):
                chunk = residuals[i:i + CHUNK]
                if not any(chunk) and run + len(chunk) >= RUN_START:
                    run += len(chunk)
                    continue
                if run:
                    count_run(counts, run)
                run = 0
                for r in chunk:
                    counts[r] += 1
            if run:
                count_run(counts, run)
            above = row
        counts[256] += 1
    print(" ".join(str(c) for c in counts))


def limited_lengths(counts, max_length, units, residue_weights=None):
    """Lengths 1..max_length minimising sum(count * length) with a Kraft sum of at most
    units / 2^max_length, and with `residue_weights` (length -> weight) the weights of the
    chosen lengths summing to a multiple of 8."""
    weights = residue_weights or {}
    order = sorted(range(len(counts)), key=lambda i: -counts[i])
    layers = [{(0, 0): (0, None)}]
    for symbol in order:
        following = {}
        for (used, residue), (cost, _) in layers[-1].items():
            for length in range(1, max_length + 1):
                now_used = used + (1 << (max_length - length))
                if now_used > units:
                    continue
                key = (now_used, (residue + weights.get(length, 0)) % 8)
                now_cost = cost + counts[symbol] * length
                if key not in following or now_cost < following[key][0]:
                    following[key] = (now_cost, (used, residue, length))
        layers.append(following)
    key = min((value[0], key) for key, value in layers[-1].items() if key[1] == 0)[1]
    lengths = [0] * len(counts)
    for k in range(len(order), 0, -1):
        used, residue, length = layers[k][key][1]
        lengths[order[k - 1]] = length
        key = (used, residue)
    return lengths


def huffman_lengths(counts):
    """Unconstrained Huffman code lengths, for comparison."""
    heap = [(c, i, (i,)) for i, c in enumerate(counts) if c > 0]
    heapq.heapify(heap)
    depth, serial = [0] * len(counts), len(counts)
    while len(heap) > 1:
        a, _, first = heapq.heappop(heap)
        b, _, second = heapq.heappop(heap)
        for s in first + second:
            depth[s] += 1
        heapq.heappush(heap, (a + b, serial, first + second))
        serial += 1
    return depth


def code_lengths(counts):
    """Literals 16-239 at 12 bits, the other symbols at most 11.

    The 16 literals of a high nibble keep the nibble as their codes' last 4 bits only if their
    first canonical code is a multiple of 16, that is if the shorter codes fill a multiple of
    16 code points of 12 bits: codes of 8 bits or fewer always do; codes of 9, 10 and 11 bits
    fill 8, 4 and 2, so their counts must satisfy 4 * n9 + 2 * n10 + n11 = 0 (mod 8).
    """
    short = list(range(16)) + list(range(240, 286))
    middle_units = 14 * 16 >> (MIDDLE_LENGTH - MAX_SHORT)
    weights = {MIDDLE_LENGTH - 1: 1, MIDDLE_LENGTH - 2: 2, MIDDLE_LENGTH - 3: 4}
    lengths = [MIDDLE_LENGTH] * 286
    chosen = limited_lengths([counts[s] for s in short], MAX_SHORT, (1 << MAX_SHORT) - middle_units, weights)
    for symbol, length in zip(short, chosen):
        lengths[symbol] = length
    return lengths


def canonical_codes(lengths):
    """RFC 1951, 3.2.2: codes in order of length, then symbol (most significant bit first)."""
    next_code, code = {}, 0
    for bits in range(1, 16):
        code = (code + sum(1 for l in lengths if l and l == bits - 1)) << 1
        next_code[bits] = code
    codes = []
    for l in lengths:
        codes.append(next_code[l] if l else 0)
        if l:
            next_code[l] += 1
    return codes


class Bits:
    def __init__(self):
        self.value, self.count = 0, 0

    def put(self, value, count):
        self.value |= value << self.count
        self.count += count

    def put_code(self, code, length):  # Huffman codes go most significant bit first
        self.put(int(format(code, f"0{length}b")[::-1], 2), length)


def header(lengths):
    """BFINAL, BTYPE 10 and the block's code: these literal/length lengths and one distance code of 1 bit."""
    sequence, symbols, i = lengths + [1], [], 0  # (code length symbol, extra value, extra bits)
    while i < len(sequence):
        value, run = sequence[i], 1
        while i + run < len(sequence) and sequence[i + run] == value:
            run += 1
        symbols.append((value, 0, 0))
        left = run - 1
        while left >= 3:  # symbol 16: repeat the previous length 3-6 times
            repeat = min(left, 6)
            symbols.append((16, repeat - 3, 2))
            left -= repeat
        symbols.extend([(value, 0, 0)] * left)
        i += run
    counts = [0] * 19
    for symbol, _, _ in symbols:
        counts[symbol] += 1
    used = [s for s in range(19) if counts[s]]
    code_length_lengths = [0] * 19
    for symbol, length in zip(used, limited_lengths([counts[s] for s in used], 7, 128)):
        code_length_lengths[symbol] = length
    code_length_codes = canonical_codes(code_length_lengths)
    order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    hclen = max(i for i, s in enumerate(order) if code_length_lengths[s]) + 1
    bits = Bits()
    bits.put(1, 1)  # BFINAL
    bits.put(2, 2)  # BTYPE 10: dynamic Huffman codes
    bits.put(286 - 257, 5)  # HLIT
    bits.put(0, 5)  # HDIST: one distance code
    bits.put(hclen - 4, 4)
    for s in order[:hclen]:
        bits.put(code_length_lengths[s], 3)
    for symbol, extra, extra_bits in symbols:
        bits.put_code(code_length_codes[symbol], code_length_lengths[symbol])
        bits.put(extra, extra_bits)
    return bits


def tables(paths, out=sys.stdout):
    counts = [0] * 286
    for path in paths:
        numbers = [n for line in open(path) if not line.startswith("#") for n in line.split()]
        if len(numbers) != 286:
            raise SystemExit(f"{path}: expected 286 symbol counts, found {len(numbers)}")
        for i, c in enumerate(numbers):
            counts[i] += int(c)
    lengths = code_lengths([c + 1 for c in counts])  # every symbol gets a code
    assert sum(2.0 ** -l for l in lengths) <= 1.0
    codes = canonical_codes(lengths)
    for high in range(1, 15):
        assert codes[16 * high] % 16 == 0, "a nibble group's codes must start at a multiple of 16"

    def size(lengths):
        return (sum(c * l for c, l in zip(counts, lengths)) +
                sum(counts[257 + i] * LENGTH_EXTRA[i] for i in range(29)))

    reference = size(huffman_lengths([c + 1 for c in counts]))
    head = header(lengths)
    print(f"{size(lengths) / 8:.0f} bytes of symbols, {(size(lengths) - reference) / reference * 100:+.2f} % against "
          f"an unconstrained Huffman code; header {head.count} bits", file=sys.stderr)
    print("static const uint8_t render_code_lengths[286] = {", file=out)
    for i in range(0, 286, 32):
        print("    " + ", ".join(str(l) for l in lengths[i:i + 32]) + ",", file=out)
    print("};", file=out)
    data = head.value.to_bytes((head.count + 7) // 8, "little")
    print(f"static const unsigned render_code_header_bits = {head.count};", file=out)
    print("static const uint8_t render_code_header[] = {", file=out)
    for i in range(0, len(data), 16):
        print("    " + ", ".join(f"0x{b:02x}" for b in data[i:i + 16]) + ",", file=out)
    print("};", file=out)


def check(arguments):
    import io
    source, expected = open(arguments[0]).read(), io.StringIO()
    tables(arguments[1:], expected)
    if expected.getvalue().strip() not in source:
        raise SystemExit(f"{arguments[0]}: its render_code_lengths and render_code_header are not what "
                         f"Tools/render_png_code.py tables {' '.join(arguments[1:])} prints")
    print(f"{arguments[0]}: the render code's tables match {' '.join(arguments[1:])}")


def main():
    commands = {"count": count, "tables": tables, "check": check}
    if len(sys.argv) < 3 or sys.argv[1] not in commands or (sys.argv[1] == "check" and len(sys.argv) < 4):
        raise SystemExit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
