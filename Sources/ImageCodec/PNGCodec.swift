import CPNG
import CPNGEncoder
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// PNG encoding and decoding: decoding through libpng's simplified `png_image` API,
/// encoding through the small `CPNGEncoder` C shim, which filters the rows itself and
/// compresses them in one pass (its own literal-and-zero-run writer for renders, ISA-L's igzip for
/// grey images, libdeflate for the standard effort; a 64 x 64 image is one small
/// buffer, where libpng's streaming writer over zlib cost more than twice the instructions).
///
/// Supported layouts: 8-bit RGB, 8-bit greyscale and 16-bit greyscale. Decoding converts
/// whatever the file holds into the layout asked for (libpng does the colour conversion),
/// so an 8-bit RGB render decodes as RGB and a depth map as 16-bit grey.
///
/// Every failure (a truncated file, a bad CRC, garbage) comes back as a ``PNGError``;
/// libpng's `longjmp` error path stays inside libpng.
public enum PNGCodec {
    /// The largest width or height accepted by the decoder, checked against the header
    /// before pixel memory is allocated.
    public static let maximumDimension = 16_384

    /// How hard the encoder tries to compress.
    public enum Compression: Sendable {
        /// libpng's adaptive row filters and libdeflate level 6: smaller files.
        case standard
        /// On 8-bit RGB the Paeth filter and one deflate block of literals and zero runs in a
        /// fixed Huffman code made for renders, filtered and coded in one pass; on grey images
        /// the "sub" filter and ISA-L's igzip level 1. What dataset generation uses: on
        /// 64 x 64 renders about 10 us per image, files a little larger than `.standard`'s.
        case fast
    }

    // MARK: Encoding

    /// Encodes an 8-bit bitmap (1 or 3 channels) as a PNG file with an sRGB chunk.
    /// - Returns: the PNG file's bytes.
    /// - Throws: ``PNGError`` when libpng fails or the bitmap is empty or too large.
    public static func encode(_ bitmap: Bitmap<UInt8>, compression: Compression = .standard) throws -> [UInt8] {
        try bitmap.samples.withUnsafeBytes { raw in
            try encode(raw, width: bitmap.width, height: bitmap.height, channels: bitmap.channels, bitDepth: 8,
                       compression: compression)
        }
    }

    /// Encodes a 16-bit greyscale bitmap (for example a depth map) as a 16-bit PNG file.
    ///
    /// The values are stored exactly; the file carries a linear gamma (gAMA 1.0) chunk.
    /// - Returns: the PNG file's bytes.
    /// - Throws: ``PNGError`` when libpng fails or the bitmap is not single-channel.
    public static func encode(_ bitmap: Bitmap<UInt16>, compression: Compression = .standard) throws -> [UInt8] {
        guard bitmap.channels == 1 else {
            throw PNGError.unsupportedBitmap(reason: "16-bit images must have 1 channel, found \(bitmap.channels)")
        }
        return try bitmap.samples.withUnsafeBytes { raw in
            try encode(raw, width: bitmap.width, height: bitmap.height, channels: 1, bitDepth: 16,
                       compression: compression)
        }
    }

    /// Encodes 8-bit RGB with the fast effort's baseline loops even where the processor runs
    /// their AVX2 build: for tests, which compare the two builds' bytes.
    static func encodeWithBaselineLoops(_ bitmap: Bitmap<UInt8>) throws -> [UInt8] {
        try bitmap.samples.withUnsafeBytes { raw in
            try encode(raw, width: bitmap.width, height: bitmap.height, channels: bitmap.channels, bitDepth: 8,
                       compression: .fast, wideLoops: false)
        }
    }

    /// Encodes through the `CPNGEncoder` shim (row filters plus its own deflate writer, igzip
    /// or libdeflate); `wideLoops` false keeps the fast effort on its baseline build.
    private static func encode(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, channels: Int, bitDepth: Int32,
                               compression: Compression, wideLoops: Bool = true) throws -> [UInt8] {
        guard width > 0, height > 0 else {
            throw PNGError.unsupportedBitmap(reason: "expected a non-empty image, found \(width)x\(height)")
        }
        guard width <= maximumDimension, height <= maximumDimension else {
            throw PNGError.tooLarge(width: width, height: height, limit: maximumDimension)
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        // The message buffer lives on the stack: a heap array per image cost as much as a tenth of encoding it.
        let failure: String? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { text in
            text[0] = 0
            let status = gqn_png_encode_build(pixels.baseAddress, UInt32(width), UInt32(height), Int32(channels),
                                              bitDepth, compression == .fast ? GQN_PNG_FAST : GQN_PNG_STANDARD,
                                              wideLoops ? 1 : 0, &output, &size, text.baseAddress, text.count)
            guard status != 0 || output == nil else { return nil }
            text[text.count - 1] = 0
            return String(cString: text.baseAddress!)
        }
        guard failure == nil, let output else {
            throw PNGError.corrupt(reason: failure?.isEmpty == false ? failure! : "could not encode the image")
        }
        defer { free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    // MARK: Decoding

    /// Decodes a PNG file into 8-bit RGB.
    /// - Throws: ``PNGError`` for corrupt, truncated or oversized files.
    public static func decodeRGB8(_ data: [UInt8]) throws -> Bitmap<UInt8> {
        try decode8(data, channels: 3)
    }

    /// Decodes a PNG file into 8-bit greyscale (for example an instance mask).
    /// - Throws: ``PNGError`` for corrupt, truncated or oversized files.
    public static func decodeGray8(_ data: [UInt8]) throws -> Bitmap<UInt8> {
        try decode8(data, channels: 1)
    }

    /// Decodes a PNG file into 16-bit greyscale (for example a depth map written by
    /// `encode(_:compression:)` from a `Bitmap<UInt16>`).
    /// - Throws: ``PNGError`` for corrupt, truncated or oversized files.
    public static func decodeGray16(_ data: [UInt8]) throws -> Bitmap<UInt16> {
        try data.withUnsafeBytes { raw in
            try readHeader(raw, format: UInt32(PNG_FORMAT_LINEAR_Y)) { reader in
                var result = Bitmap<UInt16>(width: reader.width, height: reader.height, channels: 1)
                try result.samples.withUnsafeMutableBytes { try reader.finish(into: $0, rowComponents: reader.width) }
                return result
            }
        }
    }

    private static func decode8(_ data: [UInt8], channels: Int) throws -> Bitmap<UInt8> {
        try data.withUnsafeBytes { raw in
            let format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
            return try readHeader(raw, format: format) { reader in
                var result = Bitmap<UInt8>(width: reader.width, height: reader.height, channels: channels)
                try result.samples.withUnsafeMutableBytes {
                    try reader.finish(into: $0, rowComponents: reader.width * channels)
                }
                return result
            }
        }
    }

    /// Decodes an 8-bit RGB PNG straight into caller-owned memory (no allocation), as the
    /// data loader does for each view.
    /// - Parameters:
    ///   - data: the PNG file's bytes.
    ///   - destination: receives `width * height * 3` bytes, row-major RGB.
    ///   - expectedWidth: the width the caller expects.
    ///   - expectedHeight: the height the caller expects.
    /// - Throws: ``PNGError/corrupt(reason:)`` when the file is bad or its size differs
    ///   from the expected one.
    public static func decodeRGB8(_ data: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                                  expectedWidth: Int, expectedHeight: Int) throws {
        // Most of our files take the whole-image path; anything else, or any problem, goes
        // through libpng, which decodes it or says what is wrong.
        if destination.count >= expectedWidth * expectedHeight * 3,
           PNGWholeImageDecoder.decodeRGB8(data, into: destination, width: expectedWidth, height: expectedHeight) {
            return
        }
        try decodeRGB8UsingLibPNG(data, into: destination, expectedWidth: expectedWidth, expectedHeight: expectedHeight)
    }

    /// ``decodeRGB8(_:into:expectedWidth:expectedHeight:)`` through libpng only.
    static func decodeRGB8UsingLibPNG(_ data: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                                      expectedWidth: Int, expectedHeight: Int) throws {
        try readHeader(data, format: UInt32(PNG_FORMAT_RGB)) { reader in
            guard reader.width == expectedWidth, reader.height == expectedHeight else {
                throw PNGError.corrupt(reason: "expected a \(expectedWidth)x\(expectedHeight) image, found \(reader.width)x\(reader.height)")
            }
            guard destination.count >= expectedWidth * expectedHeight * 3 else {
                throw PNGError.unsupportedBitmap(
                    reason: "destination holds \(destination.count) bytes, needs \(expectedWidth * expectedHeight * 3)")
            }
            try reader.finish(into: destination, rowComponents: expectedWidth * 3)
        }
    }

    /// A PNG whose header has been read and checked, waiting for pixel memory.
    ///
    /// libpng keeps a pointer to the `png_image` it was given (its error handler writes the
    /// message there), so the image lives at one heap address from the first call to the last.
    private struct HeaderReader: ~Copyable {
        let image: UnsafeMutablePointer<png_image>
        var width: Int { Int(image.pointee.width) }
        var height: Int { Int(image.pointee.height) }

        /// Decodes the pixels. `rowComponents` is libpng's row stride: samples (not bytes) per row.
        func finish(into pixels: UnsafeMutableRawBufferPointer, rowComponents: Int) throws {
            guard png_image_finish_read(image, nil, pixels.baseAddress, Int32(rowComponents), nil) != 0 else {
                throw PNGError.corrupt(reason: PNGCodec.message(of: image.pointee))
            }
        }
    }

    /// Reads and checks the header (refusing oversized images before any allocation),
    /// then lets `body` allocate pixel memory and finish the read.
    private static func readHeader<R>(_ data: UnsafeRawBufferPointer, format: UInt32,
                                      body: (inout HeaderReader) throws -> R) throws -> R {
        guard let base = data.baseAddress, data.count > 0 else {
            throw PNGError.corrupt(reason: "empty input")
        }
        try checkChunkLengths(data)
        let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        image.initialize(to: png_image())
        defer {
            png_image_free(image)
            image.deallocate()
        }
        image.pointee.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(image, base, data.count) != 0 else {
            throw PNGError.corrupt(reason: message(of: image.pointee))
        }
        guard Int(image.pointee.width) <= maximumDimension, Int(image.pointee.height) <= maximumDimension else {
            throw PNGError.tooLarge(width: Int(image.pointee.width), height: Int(image.pointee.height), limit: maximumDimension)
        }
        // Deflate expands at most 1,032-fold and a stored bit becomes at most 24 decoded ones (1-bit
        // grey to RGB8), so a file cannot hold more decoded pixels than that allows: a header that
        // claims more is refused before any pixel memory is allocated (found by fuzzing: 219 bytes
        // claiming 11,784 x 16,136 pixels).
        let (width, height) = (Int(image.pointee.width), Int(image.pointee.height))
        guard width * height * 3 <= data.count * maximumExpansion else {
            throw PNGError.corrupt(reason: "the header declares \(width)x\(height) pixels, more than a \(data.count)-byte file "
                + "can hold (at most \(data.count * maximumExpansion / 3) pixels)")
        }
        image.pointee.format = format
        var reader = HeaderReader(image: image)
        return try body(&reader)
    }

    /// Decoded bytes (RGB8) per byte of a PNG file at most: deflate's 1,032-fold times 24 bits per stored bit.
    private static let maximumExpansion = 1_032 * 24

    /// Refuses a file with a chunk that declares more bytes than the file holds, before libpng
    /// sees it: libpng allocates an ancillary chunk's declared length before reading it, so a
    /// 46-byte file could make it allocate a gigabyte (found by fuzzing).
    private static func checkChunkLengths(_ data: UnsafeRawBufferPointer) throws {
        var offset = 8
        while offset + 8 <= data.count {
            let length = Int(UInt32(bigEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            let type = data[(offset + 4)..<(offset + 8)]
            let available = max(0, data.count - offset - 12)
            guard length <= available else {
                let name = type.allSatisfy { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
                    ? "\"\(String(decoding: type, as: UTF8.self))\"" : "of type 0x" + type.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                throw PNGError.corrupt(reason: "chunk \(name) at byte offset \(offset) declares \(length) bytes, but the file has \(available) after its header")
            }
            if type.elementsEqual("IEND".utf8) { return }
            offset += 12 + length
        }
    }

    fileprivate static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
