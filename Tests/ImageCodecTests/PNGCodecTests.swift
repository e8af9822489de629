import Foundation
import Testing
@testable import ImageCodec

@Suite("PNG codec")
struct PNGCodecTests {
    func gradient(width: Int, height: Int) -> Bitmap<UInt8> {
        var bitmap = Bitmap<UInt8>(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                bitmap[x, y, 0] = UInt8(x * 255 / max(width - 1, 1))
                bitmap[x, y, 1] = UInt8(y * 255 / max(height - 1, 1))
                bitmap[x, y, 2] = UInt8((x * 7 + y * 13) & 255)
            }
        }
        return bitmap
    }

    @Test("RGB8 round-trips exactly, with either compression")
    func rgbRoundTrip() throws {
        let image = gradient(width: 37, height: 21)
        for compression in [PNGCodec.Compression.standard, .fast] {
            let png = try PNGCodec.encode(image, compression: compression)
            #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            #expect(try PNGCodec.decodeRGB8(png) == image)
        }
    }

    @Test("8-bit and 16-bit greyscale round-trip exactly, including extremes")
    func greyRoundTrip() throws {
        let mask = Bitmap<UInt8>(width: 5, height: 3, channels: 1, samples: (0..<15).map { UInt8($0 * 17) })
        #expect(try PNGCodec.decodeGray8(PNGCodec.encode(mask)) == mask)
        let values: [UInt16] = [0, 1, 255, 256, 1000, 32_767, 32_768, 65_534, 65_535, 4321, 12, 60_000]
        let depth = Bitmap<UInt16>(width: 4, height: 3, channels: 1, samples: values)
        let png = try PNGCodec.encode(depth)
        #expect(png[24] == 16, "IHDR bit depth is 16")
        #expect(try PNGCodec.decodeGray16(png) == depth)
    }

    @Test("noise in every layout, effort and odd size round-trips through libpng's decoder")
    func noiseRoundTrip() throws {
        // Noise with smooth stretches makes the adaptive filter pick each of the five filters.
        var noise = ByteNoise(seed: 12_345)
        func next() -> UInt8 { noise.next() }
        for (width, height) in [(1, 1), (2, 7), (13, 5), (64, 64)] {
            let count = width * height
            let rgb = Bitmap<UInt8>(width: width, height: height, channels: 3,
                                    samples: (0..<(count * 3)).map { $0 % 11 < 5 ? UInt8($0 & 255) : next() })
            let grey = Bitmap<UInt8>(width: width, height: height, channels: 1, samples: (0..<count).map { _ in next() })
            let depth = Bitmap<UInt16>(width: width, height: height, channels: 1,
                                       samples: (0..<count).map { UInt16(truncatingIfNeeded: $0 * 97) &+ UInt16(next()) << 8 })
            for compression in [PNGCodec.Compression.standard, .fast] {
                #expect(try PNGCodec.decodeRGB8(PNGCodec.encode(rgb, compression: compression)) == rgb)
                #expect(try PNGCodec.decodeGray8(PNGCodec.encode(grey, compression: compression)) == grey)
                #expect(try PNGCodec.decodeGray16(PNGCodec.encode(depth, compression: compression)) == depth)
            }
        }
    }

    @Test("the fast effort writes runs of zero residuals as matches: flat rows wider than a match, and runs of every length, round-trip")
    func fastEffortRuns() throws {
        // One colour: after the first pixel every Paeth residual is 0, rows of 900 bytes are
        // runs longer than deflate's longest match (258).
        var flat = Bitmap<UInt8>(width: 300, height: 9, channels: 3)
        for y in 0..<9 { for x in 0..<300 { (flat[x, y, 0], flat[x, y, 1], flat[x, y, 2]) = (200, 40, 90) } }
        let flatPNG = try PNGCodec.encode(flat, compression: .fast)
        #expect(try PNGCodec.decodeRGB8(flatPNG) == flat)
        // Literals alone would take at least a bit per byte (over 1,000 bytes here).
        #expect(flatPNG.count < 400, "\(flatPNG.count) bytes for a flat 300 x 9 image")
        // Segments of one colour of every length from 1 to 700 pixels, then noise between them.
        var bytes = ByteNoise(seed: 7)
        let (width, height) = (257, 40)
        var segments = Bitmap<UInt8>(width: width, height: height, channels: 3)
        var (length, remaining, colour) = (1, 1, (UInt8(0), UInt8(0), UInt8(0)))
        for y in 0..<height {
            for x in 0..<width {
                if remaining == 0 {
                    length = length % 700 + 1
                    remaining = length
                    colour = (bytes.next(), bytes.next(), bytes.next())
                }
                (segments[x, y, 0], segments[x, y, 1], segments[x, y, 2]) = colour
                remaining -= 1
            }
        }
        for compression in [PNGCodec.Compression.fast, .standard] {
            #expect(try PNGCodec.decodeRGB8(PNGCodec.encode(segments, compression: compression)) == segments)
        }
    }

    @Test("the fast effort's baseline and AVX2 builds write the same bytes, at widths around their 32-byte chunks")
    func fastEffortBuildsAgree() throws {
        var bytes = ByteNoise(seed: 11)
        // Rows of 3, 15, 30, 33, 63, 66, 96, 192 and 303 bytes: whole chunks, a short last
        // chunk (shorter and longer than a run's 16-byte start), one chunk or less.
        for (width, height) in [(1, 1), (5, 3), (10, 4), (11, 7), (21, 5), (22, 6), (32, 3), (64, 64), (101, 9)] {
            // Smooth gradients with sparse noise and flat runs, like renders and their backgrounds.
            var bitmap = gradient(width: width, height: height)
            for y in 0..<height {
                for x in 0..<width {
                    let roll = bytes.next()
                    if roll < 40 { for c in 0..<3 { bitmap[x, y, c] = bytes.next() } }
                    if x > width / 2, y % 3 == 0 { for c in 0..<3 { bitmap[x, y, c] = 17 } }
                }
            }
            let best = try PNGCodec.encode(bitmap, compression: .fast)
            let baseline = try PNGCodec.encodeWithBaselineLoops(bitmap)
            let same = best == baseline  // one flag, not two files printed on failure
            #expect(same, "\(width) x \(height): \(best.count) and \(baseline.count) bytes")
            #expect(try PNGCodec.decodeRGB8(baseline) == bitmap)
        }
    }

    @Test("residuals of every size mix short and 12-bit codes: each build round-trips and both write the same bytes")
    func fastEffortCodeLengths() throws {
        // Noise of growing amplitude on a gradient: residuals near zero (codes of 1-11 bits)
        // and far from it (12 bits) in every proportion, so that the AVX2 build's groups of
        // eight codes take every length from 8 to 96 bits, around the 56 bits that decide
        // between its four and eight writes per chunk.
        var bytes = ByteNoise(seed: 23)
        for amplitude in [1, 3, 6, 12, 24, 48, 96, 256] {
            var bitmap = gradient(width: 75, height: 21)
            for y in 0..<21 {
                for x in 0..<75 {
                    for c in 0..<3 {
                        let noise = Int(bytes.next()) % amplitude - amplitude / 2
                        bitmap[x, y, c] = UInt8(truncatingIfNeeded: Int(bitmap[x, y, c]) + noise)
                    }
                }
            }
            let best = try PNGCodec.encode(bitmap, compression: .fast)
            let baseline = try PNGCodec.encodeWithBaselineLoops(bitmap)
            let same = best == baseline  // one flag, not two files printed on failure
            #expect(same, "amplitude \(amplitude): \(best.count) and \(baseline.count) bytes")
            #expect(try PNGCodec.decodeRGB8(best) == bitmap, "amplitude \(amplitude)")
            #expect(try PNGCodec.decodeRGB8(baseline) == bitmap, "amplitude \(amplitude)")
        }
    }

    @Test("the fast effort's fixed code never grows a file past its stored size, even on pure noise larger than 64 KB")
    func fastEffortOnIncompressibleNoise() throws {
        // Uniform noise has no residual near zero, the worst case for the fixed Huffman code
        // tuned to renders: the encoder must fall back to stored blocks (at most 65,535 bytes each).
        var bytes = ByteNoise(seed: 99)
        let side = 160
        let noise = Bitmap<UInt8>(width: side, height: side, channels: 3, samples: (0..<(side * side * 3)).map { _ in bytes.next() })
        let png = try PNGCodec.encode(noise, compression: .fast)
        let filteredBytes = side * (side * 3 + 1)
        // Signature, IHDR and sRGB (46), the IDAT chunk's length, type and CRC (12), the zlib
        // header and Adler-32 (6), stored blocks of 5 header bytes each, IEND (12).
        let storedBound = 46 + 12 + 6 + filteredBytes + 5 * (filteredBytes / 65_535 + 1) + 12
        #expect(png.count <= storedBound, "\(png.count) bytes, stored size \(storedBound)")
        #expect(try PNGCodec.decodeRGB8(png) == noise)
    }

    @Test("files hold IHDR, sRGB (8-bit) or gAMA 1.0 (16-bit), one IDAT and IEND")
    func chunkLayout() throws {
        func chunkTypes(_ png: [UInt8]) -> [String] {
            var types: [String] = []
            var offset = 8
            while offset + 8 <= png.count {
                let length = png[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
                types.append(String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self))
                offset += 12 + length
            }
            return types
        }
        let rgb = try PNGCodec.encode(gradient(width: 9, height: 4), compression: .fast)
        #expect(chunkTypes(rgb) == ["IHDR", "sRGB", "IDAT", "IEND"])
        let depth = try PNGCodec.encode(Bitmap<UInt16>(width: 3, height: 2, channels: 1, samples: [1, 2, 3, 4, 5, 6]))
        #expect(chunkTypes(depth) == ["IHDR", "gAMA", "IDAT", "IEND"])
        #expect(Array(depth[41..<45]) == [0, 1, 0x86, 0xA0], "gAMA 100000 (linear)")
    }

    @Test("decoding into caller memory checks the expected size")
    func decodeInto() throws {
        let image = gradient(width: 8, height: 6)
        let png = try PNGCodec.encode(image)
        var buffer = [UInt8](repeating: 0, count: 8 * 6 * 3)
        try png.withUnsafeBytes { data in
            try buffer.withUnsafeMutableBytes { out in
                try PNGCodec.decodeRGB8(data, into: out, expectedWidth: 8, expectedHeight: 6)
            }
        }
        #expect(buffer == image.samples)
        #expect(throws: PNGError.self) {
            try png.withUnsafeBytes { data in
                try buffer.withUnsafeMutableBytes { out in
                    try PNGCodec.decodeRGB8(data, into: out, expectedWidth: 6, expectedHeight: 8)
                }
            }
        }
    }

    @Test("corrupt, truncated and foreign data give errors, not crashes")
    func corruptInputs() throws {
        let png = try PNGCodec.encode(gradient(width: 32, height: 32))
        var flipped = png
        flipped[png.count / 2] ^= 0xFF
        var badSignature = png
        badSignature[1] = 0x51
        // (Dropping only the final IEND chunk still leaves every pixel decodable, so the
        // truncations below cut into the image data.)
        let inputs: [[UInt8]] = [
            [], Array(png.prefix(7)), Array(png.prefix(png.count / 2)), Array(png.dropLast(14)), flipped, badSignature,
            Array("not a png at all".utf8),
        ]
        for input in inputs {
            #expect(throws: PNGError.self) { try PNGCodec.decodeRGB8(input) }
        }
        do {
            _ = try PNGCodec.decodeRGB8(badSignature)
        } catch let error as PNGError {
            #expect(error.description.contains("corrupt PNG"))
        }
    }

    @Test("a header declaring more than 16384 pixels on a side is refused before allocation")
    func oversized() throws {
        var png = try PNGCodec.encode(gradient(width: 4, height: 4))
        // IHDR data starts at byte 16: width (4 bytes), height (4 bytes); then recompute its CRC.
        let width: UInt32 = 100_000
        png.replaceSubrange(16..<20, with: withUnsafeBytes(of: width.bigEndian, Array.init))
        let crc = crc32(Array(png[12..<29]))
        png.replaceSubrange(29..<33, with: withUnsafeBytes(of: crc.bigEndian, Array.init))
        #expect(throws: PNGError.tooLarge(width: 100_000, height: 4, limit: 16_384)) { try PNGCodec.decodeRGB8(png) }
    }

    @Test("a chunk declaring more bytes than the file holds is refused before libpng allocates it")
    func chunkLongerThanFile() throws {
        // Found by fuzzing: 46 bytes whose iTXt chunk declares 1,212,440,604; libpng allocated that much for it.
        let png: [UInt8] = [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
            0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x64, 0x08, 0x10, 0x00, 0x00, 0x00, 0x00, 0xB1, 0xF4, 0x3D,
            0x78, 0x48, 0x44, 0x60, 0x1C, 0x69, 0x54, 0x58, 0x74, 0x78, 0x48, 0x44, 0x60, 0x82,
        ]
        let error = #expect(throws: PNGError.self) { try PNGCodec.decodeRGB8(png) }
        #expect(error?.description == "corrupt PNG: chunk \"iTXt\" at byte offset 33 declares 1212440604 bytes, "
                    + "but the file has 1 after its header", "\(String(describing: error))")
        var out = [UInt8](repeating: 0, count: 8 * 25608 * 3)
        #expect(throws: PNGError.self) {
            try png.withUnsafeBytes { data in
                try out.withUnsafeMutableBytes { try PNGCodec.decodeRGB8(data, into: $0, expectedWidth: 8, expectedHeight: 25608) }
            }
        }
    }

    @Test("a header claiming more pixels than the file's bytes can inflate to is refused before allocation")
    func moreThanTheFileCanHold() throws {
        // Found by fuzzing: 219 bytes claiming 11,784 x 16,136 RGB pixels made decodeRGB8 allocate 570 MB.
        var png = try PNGCodec.encode(gradient(width: 4, height: 4))
        let (width, height): (UInt32, UInt32) = (11_784, 16_136)
        png.replaceSubrange(16..<24, with: withUnsafeBytes(of: width.bigEndian, Array.init) + withUnsafeBytes(of: height.bigEndian, Array.init))
        let crc = crc32(Array(png[12..<29]))
        png.replaceSubrange(29..<33, with: withUnsafeBytes(of: crc.bigEndian, Array.init))
        let error = #expect(throws: PNGError.self) { try PNGCodec.decodeRGB8(png) }
        #expect(error?.description.hasPrefix("corrupt PNG: the header declares 11784x16136 pixels, more than a \(png.count)-byte file can hold") == true,
                "\(String(describing: error))")
        // A real image at the other extreme of compression still decodes: one colour, 1,024 x 1,024.
        let flat = Bitmap<UInt8>(width: 1024, height: 1024, channels: 3, samples: [UInt8](repeating: 200, count: 1024 * 1024 * 3))
        let encoded = try PNGCodec.encode(flat)
        #expect(try PNGCodec.decodeRGB8(encoded).samples == flat.samples, "\(encoded.count) bytes")
    }

    @Test("encoding an empty bitmap is an error")
    func emptyBitmap() {
        #expect(throws: PNGError.self) { try PNGCodec.encode(Bitmap<UInt8>(width: 0, height: 0, channels: 3)) }
    }

    /// The PNG chunk CRC (CRC-32/ISO-HDLC).
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

/// Uniform pseudo-random bytes from a linear congruential generator (the top byte of each state).
struct ByteNoise {
    var state: UInt32

    init(seed: UInt32) { state = seed }

    mutating func next() -> UInt8 {
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}
