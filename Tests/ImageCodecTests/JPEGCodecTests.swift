import Testing
@testable import ImageCodec

@Suite("JPEG codec")
struct JPEGCodecTests {
    /// A smooth image with a few hard edges, like a render: gradients plus a bright square.
    func scene(width: Int, height: Int) -> Bitmap<UInt8> {
        var bitmap = Bitmap<UInt8>(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                let inSquare = (width / 4..<width / 2).contains(x) && (height / 4..<height / 2).contains(y)
                bitmap[x, y, 0] = inSquare ? 230 : UInt8(40 + x * 150 / width)
                bitmap[x, y, 1] = inSquare ? 40 : UInt8(60 + y * 120 / height)
                bitmap[x, y, 2] = UInt8(90 + (x + y) * 60 / (width + height))
            }
        }
        return bitmap
    }

    @Test("RGB8 round-trips within JPEG error: PSNR >= 35 dB at quality 95, rising with quality")
    func roundTrip() throws {
        let image = scene(width: 64, height: 48)
        var previous = 0.0
        for quality in [50, 80, 95] {
            let jpeg = try JPEGCodec.encode(image, quality: quality)
            #expect(Array(jpeg.prefix(4)) == [0xFF, 0xD8, 0xFF, 0xE0], "SOI then a JFIF APP0 segment")
            let decoded = try JPEGCodec.decodeRGB8(jpeg)
            #expect(decoded.width == 64 && decoded.height == 48 && decoded.channels == 3)
            let psnr = decoded.peakSignalToNoiseRatio(to: image)
            #expect(psnr > previous)
            previous = psnr
            if quality == 95 { #expect(psnr >= 35, "PSNR \(psnr) dB at quality 95") }
        }
        let half = try JPEGCodec.decodeRGB8(JPEGCodec.encode(image, quality: 95, chroma: .half))
        #expect(half.peakSignalToNoiseRatio(to: image) > 25)
    }

    @Test("encoding is deterministic and baseline (SOF0)")
    func deterministicBaseline() throws {
        let image = scene(width: 16, height: 16)
        let a = try JPEGCodec.encode(image, quality: 90)
        #expect(a == (try JPEGCodec.encode(image, quality: 90)))
        let hasSOF0 = (0..<(a.count - 1)).contains { a[$0] == 0xFF && a[$0 + 1] == 0xC0 }
        let hasSOF2 = (0..<(a.count - 1)).contains { a[$0] == 0xFF && a[$0 + 1] == 0xC2 }
        #expect(hasSOF0 && !hasSOF2)
        let size = try a.withUnsafeBytes { try JPEGCodec.dimensions(of: $0) }
        #expect(size.width == 16 && size.height == 16)
    }

    @Test("decoding into caller memory checks the size and fills exactly width * height * 3 bytes")
    func decodeInto() throws {
        let image = scene(width: 8, height: 8)
        let jpeg = try JPEGCodec.encode(image, quality: 95)
        var buffer = [UInt8](repeating: 7, count: 8 * 8 * 3 + 1)
        try jpeg.withUnsafeBytes { data in
            try buffer.withUnsafeMutableBytes { try JPEGCodec.decodeRGB8(data, into: $0, expectedWidth: 8, expectedHeight: 8) }
        }
        #expect(Array(buffer.prefix(192)) == (try JPEGCodec.decodeRGB8(jpeg)).samples)
        #expect(buffer[192] == 7)
        let wrongSize = #expect(throws: JPEGError.self) {
            try jpeg.withUnsafeBytes { data in
                try buffer.withUnsafeMutableBytes { try JPEGCodec.decodeRGB8(data, into: $0, expectedWidth: 8, expectedHeight: 9) }
            }
        }
        #expect(wrongSize?.description.contains("expected a 8x9 image, found 8x8") == true)
    }

    @Test("garbage, empty and truncated streams are clean errors")
    func corrupt() throws {
        let jpeg = try JPEGCodec.encode(scene(width: 32, height: 32), quality: 90)
        for bad in [[], [0x89, 0x50, 0x4E, 0x47], Array(jpeg.prefix(jpeg.count / 2)), Array(jpeg.prefix(20))] as [[UInt8]] {
            let error = #expect(throws: JPEGError.self) { try JPEGCodec.decodeRGB8(bad) }
            if case .corrupt = error {} else { Issue.record("expected .corrupt, found \(String(describing: error))") }
        }
    }

    @Test("the 16,384-pixel limit of PNG applies: oversized headers refused before decoding; bad shapes refused")
    func limits() throws {
        var jpeg = try JPEGCodec.encode(scene(width: 8, height: 8), quality: 90)
        // Patch the SOF0 frame header's height to 20000.
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg[sof + 5] = UInt8(20_000 >> 8)
        jpeg[sof + 6] = UInt8(20_000 & 0xFF)
        #expect(throws: JPEGError.tooLarge(width: 8, height: 20_000, limit: PNGCodec.maximumDimension)) {
            try JPEGCodec.decodeRGB8(jpeg)
        }
        #expect(throws: JPEGError.self) { try JPEGCodec.encode(Bitmap(width: 4, height: 4, channels: 1), quality: 90) }
        #expect(throws: JPEGError.self) { try JPEGCodec.encode(Bitmap(width: 4, height: 4, channels: 3), quality: 0) }
        #expect(throws: JPEGError.self) { try JPEGCodec.encode(Bitmap(width: 0, height: 4, channels: 3), quality: 90) }
    }
}
