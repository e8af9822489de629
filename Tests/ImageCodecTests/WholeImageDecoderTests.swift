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

    /// A PNG written here (not by libpng) whose row `y` uses filter `filter(y)` (default `y % 5`),
    /// with the image data split into IDAT chunks of `idatSize` bytes and optional extra chunks
    /// before them. `editFiltered` and `editCompressed` change the filtered rows and the zlib stream
    /// before the chunks are cut (their CRCs stay valid); `header` replaces the IHDR body.
    static func handMadePNG(_ pixels: [UInt8], width: Int, height: Int, idatSize: Int = 1 << 20,
                            extraChunks: [(String, [UInt8])] = [], filter: (Int) -> UInt8 = { UInt8($0 % 5) },
                            header: [UInt8]? = nil, editFiltered: (inout [UInt8]) -> Void = { _ in },
                            editCompressed: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        let rowBytes = width * 3
        var filtered: [UInt8] = []
        for y in 0..<height {
            let filter = filter(y)
            filtered.append(filter)
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
        editFiltered(&filtered)
        var compressedSize = compressBound(UInt(filtered.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        #expect(compress2(&compressed, &compressedSize, filtered, UInt(filtered.count), 6) == Z_OK)
        compressed.removeSubrange(Int(compressedSize)...)
        editCompressed(&compressed)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func append(_ type: String, _ body: [UInt8]) {
            let typeBytes = Array(type.utf8)
            png += withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init)
            png += typeBytes + body
            let crc = UInt32(crc32(0, typeBytes + body, UInt32(body.count + 4)))
            png += withUnsafeBytes(of: crc.bigEndian, Array.init)
        }
        append("IHDR", header ?? withUnsafeBytes(of: UInt32(width).bigEndian, Array.init)
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

    /// `png` with every whole chunk's CRC recomputed (a mutated file that only its contents make wrong).
    static func fixingCRCs(_ png: [UInt8]) -> [UInt8] {
        var out = png
        var offset = 8
        while offset + 12 <= out.count {
            let length = Int(out[offset]) << 24 | Int(out[offset + 1]) << 16 | Int(out[offset + 2]) << 8 | Int(out[offset + 3])
            guard length <= out.count - offset - 12 else { break }
            let typeAndBody = Array(out[(offset + 4)..<(offset + 8 + length)])
            let crc = UInt32(crc32(0, typeAndBody, UInt32(typeAndBody.count)))
            out.replaceSubrange((offset + 8 + length)..<(offset + 12 + length), with: withUnsafeBytes(of: crc.bigEndian, Array.init))
            offset += 12 + length
        }
        return out
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
        // The first row gets each filter in turn (Up, Average and Paeth then predict from zeros above).
        for (idatSize, firstFilter) in [(1 << 20, 0), (97, 1), (1, 2), (1 << 20, 3), (5, 4)] {
            let png = Self.handMadePNG(pixels, width: width, height: height, idatSize: idatSize,
                                       extraChunks: [("sRGB", [0]), ("tEXt", Array("k\u{0}v".utf8))],
                                       filter: { UInt8(($0 + firstFilter) % 5) })
            let (taken, fast, slow) = try Self.decodeBothWays(png, width: width, height: height)
            #expect(taken, "first row filter \(firstFilter)")
            #expect(fast == pixels && slow == pixels, "first row filter \(firstFilter)")
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
        // A gamma other than sRGB's: libpng converts the samples, so the fast path declines; the
        // sRGB-equivalent gamma (1/2.2) leaves them as stored, and the fast path takes it.
        let gamma = Self.handMadePNG(pixels, width: 9, height: 4, extraChunks: [("gAMA", [0, 1, 0x86, 0xA0])])
        #expect(!taken(gamma))
        let (_, _, converted) = try Self.decodeBothWays(gamma, width: 9, height: 4)
        #expect(converted != pixels, "libpng applied gamma 1.0")
        let srgbGamma = Self.handMadePNG(pixels, width: 9, height: 4, extraChunks: [("gAMA", [0, 0, 0xB1, 0x8F])])
        let (srgbTaken, srgbFast, srgbSlow) = try Self.decodeBothWays(srgbGamma, width: 9, height: 4)
        #expect(srgbTaken && srgbFast == pixels && srgbSlow == pixels)
        #expect(!taken(Self.handMadePNG(pixels, width: 9, height: 4, extraChunks: [("tRNS", [0, 1, 0, 2, 0, 3])])))
        // The wrong size.
        #expect(!taken(Self.handMadePNG(Self.pixels(width: 8, height: 4, seed: 1), width: 8, height: 4)))
        // A flipped byte in the image data: a CRC mismatch; with the CRC fixed, a zlib error.
        var corrupt = Self.handMadePNG(pixels, width: 9, height: 4)
        let idat = 8 + 25 + 8
        corrupt[idat + 5] ^= 0x40
        #expect(!taken(corrupt))
        func libpngError(_ png: [UInt8]) -> String {
            var out = [UInt8](repeating: 0, count: pixels.count)
            do {
                try png.withUnsafeBytes { data in
                    try out.withUnsafeMutableBytes { try PNGCodec.decodeRGB8(data, into: $0, expectedWidth: 9, expectedHeight: 4) }
                }
            } catch let error as PNGError {
                return error.description
            } catch {
                return "not a PNGError: \(error)"
            }
            return "no error"
        }
        // libpng's simplified reader does not stop at an image-data CRC; inflating the changed byte fails.
        #expect(libpngError(corrupt).hasPrefix("corrupt PNG: IDAT: "), "\(libpngError(corrupt))")
        let badZlibHeader = Self.handMadePNG(pixels, width: 9, height: 4, editCompressed: { $0[0] = 0x77 })
        #expect(Self.fixingCRCs(badZlibHeader) == badZlibHeader, "the chunk CRCs are valid")
        #expect(!taken(badZlibHeader))
        #expect(libpngError(badZlibHeader).contains("header check"), "\(libpngError(badZlibHeader))")
        // Truncated.
        #expect(!taken(Array(Self.handMadePNG(pixels, width: 9, height: 4).dropLast(13))))
    }

    /// A small deterministic generator for the mutations below.
    struct Mutator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    @Test("differential against libpng on mutated images: identical pixels, or the fast path declines", arguments: 0..<8)
    func mutatedImages(kind: Int) throws {
        var random = Mutator(state: UInt64(kind) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        var (takenCount, declinedCount) = (0, 0)
        for trial in 0..<60 {
            let width = 1 + random.next(12), height = 1 + random.next(6)
            let pixels = Self.pixels(width: width, height: height, seed: UInt64(trial * 8 + kind))
            let rowBytes = width * 3
            let rowFilters = (0..<height).map { _ in UInt8(random.next(5)) }
            let png: [UInt8]
            // What the fast path must do: take it (true), decline (false), or either (nil).
            let expected: Bool?
            switch kind {
            case 0:  // any filter on any row, the first included
                png = Self.handMadePNG(pixels, width: width, height: height, idatSize: 1 + random.next(40), filter: { rowFilters[$0] })
                expected = true
            case 1:  // a filter type above 4
                let row = random.next(height), bad = UInt8(5 + random.next(251))
                png = Self.handMadePNG(pixels, width: width, height: height, filter: { $0 == row ? bad : rowFilters[$0] })
                expected = false
            case 2:  // a deflate stream longer than the image
                let extra = 1 + random.next(2 * rowBytes)
                png = Self.handMadePNG(pixels, width: width, height: height, filter: { rowFilters[$0] },
                                       editFiltered: { $0 += [UInt8](repeating: 7, count: extra) })
                expected = false
            case 3:  // a deflate stream shorter than the image
                let missing = 1 + random.next(height * (rowBytes + 1))
                png = Self.handMadePNG(pixels, width: width, height: height, filter: { rowFilters[$0] },
                                       editFiltered: { $0.removeLast(missing) })
                expected = false
            case 4:  // a corrupt deflate stream inside chunks with valid CRCs
                let (position, flip) = (random.next(1 << 20), UInt8(1 + random.next(255)))
                png = Self.handMadePNG(pixels, width: width, height: height, filter: { rowFilters[$0] },
                                       editCompressed: { $0[position % $0.count] ^= flip })
                expected = nil
            case 5:  // headers the fast path does not handle: other bit depths and colour types, interlacing
                let variants: [(depth: UInt8, colour: UInt8, interlace: UInt8)] = [
                    (16, 2, 0), (8, 6, 0), (8, 0, 0), (8, 4, 0), (8, 2, 1), (4, 2, 0), (8, 3, 0),
                ]
                let variant = variants[trial % variants.count]
                let header = withUnsafeBytes(of: UInt32(width).bigEndian, Array.init)
                    + withUnsafeBytes(of: UInt32(height).bigEndian, Array.init) + [variant.depth, variant.colour, 0, 0, variant.interlace]
                png = Self.handMadePNG(pixels, width: width, height: height, filter: { rowFilters[$0] }, header: header)
                expected = false
            case 6:  // any byte changed, every CRC then made valid again
                var bytes = Self.handMadePNG(pixels, width: width, height: height, filter: { rowFilters[$0] })
                let index = 8 + random.next(bytes.count - 8)
                bytes[index] ^= UInt8(1 + random.next(255))
                png = Self.fixingCRCs(bytes)
                expected = nil
            default:  // truncated anywhere
                let whole = Self.handMadePNG(pixels, width: width, height: height, filter: { rowFilters[$0] })
                png = Array(whole.prefix(random.next(whole.count)))
                expected = false
            }
            var fast = [UInt8](repeating: 0, count: pixels.count), slow = fast
            let taken = png.withUnsafeBytes { data in
                fast.withUnsafeMutableBytes { PNGWholeImageDecoder.decodeRGB8(data, into: $0, width: width, height: height) }
            }
            let libpngDecoded = (try? png.withUnsafeBytes { data in
                try slow.withUnsafeMutableBytes {
                    try PNGCodec.decodeRGB8UsingLibPNG(data, into: $0, expectedWidth: width, expectedHeight: height)
                }
            }) != nil
            if taken {
                takenCount += 1
                #expect(libpngDecoded, "kind \(kind) trial \(trial): the fast path decoded what libpng refuses")
                #expect(fast == slow, "kind \(kind) trial \(trial): the fast path and libpng disagree")
                if kind == 0 { #expect(fast == pixels) }
            } else {
                declinedCount += 1
            }
            if let expected { #expect(taken == expected, "kind \(kind) trial \(trial)") }
        }
        #expect(takenCount + declinedCount == 60)
        if kind == 4 || kind == 6 { #expect(declinedCount > 0, "kind \(kind): every mutation went unnoticed") }
    }
}
