import CPNG
import Testing
@testable import ImageCodec

/// The whole-image PNG fast path decodes exactly what libpng decodes, and declines the rest.
@Suite("PNG whole-image decoder")
struct WholeImageDecoderTests {
    /// Deterministic pixels: smooth areas, edges and noise, so every filter has work to do.
    static func pixels(width: Int, height: Int, seed: UInt64) -> [UInt8] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var out: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let noise = Int(state >> 60)
                    out.append(UInt8(truncatingIfNeeded: (x * (c + 1) * 9 + y * 5 + (x > width / 2 ? 90 : 0)) + noise))
                }
            }
        }
        return out
    }

    /// A PNG written here (not by libpng) whose row `y` uses filter `y % 5`, with the image data
    /// split into IDAT chunks of `idatSize` bytes and optional extra chunks before them.
    static func handMadePNG(_ pixels: [UInt8], width: Int, height: Int, idatSize: Int = 1 << 20,
                            extraChunks: [(String, [UInt8])] = []) -> [UInt8] {
        let rowBytes = width * 3
        var filtered: [UInt8] = []
        for y in 0..<height {
            let filter = y % 5
            filtered.append(UInt8(filter))
            for i in 0..<rowBytes {
                let x = Int(pixels[y * rowBytes + i])
                let a = i >= 3 ? Int(pixels[y * rowBytes + i - 3]) : 0
                let b = y > 0 ? Int(pixels[(y - 1) * rowBytes + i]) : 0
                let c = (i >= 3 && y > 0) ? Int(pixels[(y - 1) * rowBytes + i - 3]) : 0
                let prediction: Int
                switch filter {
                case 1: prediction = a
                case 2: prediction = b
                case 3: prediction = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    prediction = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
                default: prediction = 0
                }
                filtered.append(UInt8(truncatingIfNeeded: x - prediction))
            }
        }
        var compressedSize = compressBound(UInt(filtered.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        #expect(compress2(&compressed, &compressedSize, filtered, UInt(filtered.count), 6) == Z_OK)
        compressed.removeSubrange(Int(compressedSize)...)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func append(_ type: String, _ body: [UInt8]) {
            let typeBytes = Array(type.utf8)
            png += withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init)
            png += typeBytes + body
            let crc = UInt32(crc32(0, typeBytes + body, UInt32(body.count + 4)))
            png += withUnsafeBytes(of: crc.bigEndian, Array.init)
        }
        append("IHDR", withUnsafeBytes(of: UInt32(width).bigEndian, Array.init)
            + withUnsafeBytes(of: UInt32(height).bigEndian, Array.init) + [8, 2, 0, 0, 0])
        for (type, body) in extraChunks { append(type, body) }
        var start = 0
        while start < compressed.count {
            append("IDAT", Array(compressed[start..<min(compressed.count, start + idatSize)]))
            start += idatSize
        }
        append("IEND", [])
        return png
    }

    /// (fast path taken, fast-path pixels, libpng pixels)
    static func decodeBothWays(_ png: [UInt8], width: Int, height: Int) throws -> (Bool, [UInt8], [UInt8]) {
        var fast = [UInt8](repeating: 0, count: width * height * 3)
        var slow = fast
        let taken = png.withUnsafeBytes { data in
            fast.withUnsafeMutableBytes { PNGWholeImageDecoder.decodeRGB8(data, into: $0, width: width, height: height) }
        }
        try png.withUnsafeBytes { data in
            try slow.withUnsafeMutableBytes {
                try PNGCodec.decodeRGB8UsingLibPNG(data, into: $0, expectedWidth: width, expectedHeight: height)
            }
        }
        return (taken, fast, slow)
    }

    @Test("every row filter, one or many IDAT chunks, odd sizes: same pixels as libpng and as written",
          arguments: [(1, 1), (2, 1), (1, 7), (13, 7), (64, 64), (97, 33)])
    func filters(width: Int, height: Int) throws {
        let pixels = Self.pixels(width: width, height: height, seed: UInt64(width * 1000 + height))
        for idatSize in [1 << 20, 97, 1] {
            let png = Self.handMadePNG(pixels, width: width, height: height, idatSize: idatSize,
                                       extraChunks: [("sRGB", [0]), ("tEXt", Array("k\u{0}v".utf8))])
            let (taken, fast, slow) = try Self.decodeBothWays(png, width: width, height: height)
            #expect(taken)
            #expect(fast == pixels && slow == pixels)
        }
    }

    @Test("libpng-encoded images (both compressions) take the fast path and match libpng")
    func encoderOutput() throws {
        for (width, height) in [(64, 64), (128, 96), (5, 3)] {
            let pixels = Self.pixels(width: width, height: height, seed: 3)
            let bitmap = Bitmap<UInt8>(width: width, height: height, channels: 3, samples: pixels)
            for compression in [PNGCodec.Compression.standard, .fast] {
                let png = try PNGCodec.encode(bitmap, compression: compression)
                let (taken, fast, slow) = try Self.decodeBothWays(png, width: width, height: height)
                #expect(taken && fast == pixels && slow == pixels)
                var viaAPI = [UInt8](repeating: 0, count: pixels.count)
                try png.withUnsafeBytes { data in
                    try viaAPI.withUnsafeMutableBytes {
                        try PNGCodec.decodeRGB8(data, into: $0, expectedWidth: width, expectedHeight: height)
                    }
                }
                #expect(viaAPI == pixels)
            }
        }
    }

    @Test("declines what libpng might decode differently, and corrupt files, which then fail through libpng")
    func declines() throws {
        let pixels = Self.pixels(width: 9, height: 4, seed: 1)
        func taken(_ png: [UInt8]) -> Bool {
            var out = [UInt8](repeating: 0, count: pixels.count)
            return png.withUnsafeBytes { data in
                out.withUnsafeMutableBytes { PNGWholeImageDecoder.decodeRGB8(data, into: $0, width: 9, height: 4) }
            }
        }
        // A gamma other than sRGB's, a transparency chunk: libpng converts, so the fast path declines.
        let gamma = Self.handMadePNG(pixels, width: 9, height: 4, extraChunks: [("gAMA", [0, 1, 0x86, 0xA0])])
        #expect(!taken(gamma))
        let (_, _, converted) = try Self.decodeBothWays(gamma, width: 9, height: 4)
        #expect(converted.count == pixels.count)
        #expect(!taken(Self.handMadePNG(pixels, width: 9, height: 4, extraChunks: [("tRNS", [0, 1, 0, 2, 0, 3])])))
        // The wrong size.
        #expect(!taken(Self.handMadePNG(Self.pixels(width: 8, height: 4, seed: 1), width: 8, height: 4)))
        // A flipped byte in the image data: a CRC mismatch; with the CRC fixed, a zlib error.
        var corrupt = Self.handMadePNG(pixels, width: 9, height: 4)
        let idat = 8 + 25 + 8
        corrupt[idat + 5] ^= 0x40
        #expect(!taken(corrupt))
        var out = [UInt8](repeating: 0, count: pixels.count)
        #expect(throws: PNGError.self) {
            try corrupt.withUnsafeBytes { data in
                try out.withUnsafeMutableBytes { try PNGCodec.decodeRGB8(data, into: $0, expectedWidth: 9, expectedHeight: 4) }
            }
        }
        // Truncated.
        #expect(!taken(Array(Self.handMadePNG(pixels, width: 9, height: 4).dropLast(13))))
    }
}
