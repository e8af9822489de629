import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JPEG encoding and decoding of 8-bit RGB through libjpeg-turbo's TurboJPEG API.
///
/// The encoder writes baseline JFIF with the accurate integer DCT; the decoder returns RGB
/// whatever the file's subsampling. TurboJPEG reports errors as return codes, so libjpeg's
/// `setjmp`/`longjmp` error path never crosses into Swift, and every failure (garbage, a
/// truncated stream, a size that differs from the expected one) is a ``JPEGError``.
/// libjpeg's warnings (for example "Premature end of JPEG file", which it would otherwise
/// paper over with grey rows) count as errors: a stored view decodes exactly or not at all.
///
/// Images are limited to ``PNGCodec/maximumDimension`` pixels on a side, the same limit as
/// PNG, checked against the header before pixel memory is allocated.
///
/// Each call uses its own TurboJPEG handle, so the functions may be called from any number
/// of threads at once.
public enum JPEGCodec {
    /// How the encoder samples colour.
    public enum ChromaSubsampling: Sendable, CaseIterable {
        /// Colour at full resolution (4:4:4): the sharpest colour edges, larger files.
        case full
        /// Colour at half resolution both ways (4:2:0), as `tf.image.encode_jpeg` does by default.
        case half

        var turboJPEGValue: Int32 {
            switch self {
            case .full: Int32(TJSAMP_444.rawValue)
            case .half: Int32(TJSAMP_420.rawValue)
            }
        }
    }

    /// Encodes an 8-bit RGB bitmap as a baseline JFIF stream.
    /// - Parameters:
    ///   - bitmap: 3 channels, 1 through ``PNGCodec/maximumDimension`` pixels on a side.
    ///   - quality: 1 through 100.
    ///   - chroma: The colour subsampling; `.full` by default.
    /// - Returns: The JPEG file's bytes.
    /// - Throws: ``JPEGError/unsupportedBitmap(reason:)`` for another shape or quality,
    ///   ``JPEGError/tooLarge(width:height:limit:)``, or `.corrupt` when libjpeg-turbo fails.
    public static func encode(_ bitmap: Bitmap<UInt8>, quality: Int, chroma: ChromaSubsampling = .full) throws -> [UInt8] {
        guard bitmap.channels == 3 else {
            throw JPEGError.unsupportedBitmap(reason: "expected 3 channels (RGB), found \(bitmap.channels)")
        }
        guard bitmap.width > 0, bitmap.height > 0 else {
            throw JPEGError.unsupportedBitmap(reason: "expected a non-empty image, found \(bitmap.width)x\(bitmap.height)")
        }
        guard bitmap.width <= PNGCodec.maximumDimension, bitmap.height <= PNGCodec.maximumDimension else {
            throw JPEGError.tooLarge(width: bitmap.width, height: bitmap.height, limit: PNGCodec.maximumDimension)
        }
        guard (1...100).contains(quality) else {
            throw JPEGError.unsupportedBitmap(reason: "expected a quality in 1...100, found \(quality)")
        }
        guard let handle = tjInitCompress() else {
            throw JPEGError.corrupt(reason: "libjpeg-turbo could not create a compressor")
        }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = bitmap.samples.withUnsafeBufferPointer { pixels in
            tjCompress2(handle, pixels.baseAddress, Int32(bitmap.width), 0, Int32(bitmap.height), Int32(TJPF_RGB.rawValue),
                        &output, &size, chroma.turboJPEGValue, Int32(quality), TJFLAG_ACCURATEDCT)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else { throw JPEGError.corrupt(reason: message(of: handle)) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Reads a JPEG stream's width and height from its header, without decoding pixels.
    /// - Throws: ``JPEGError/corrupt(reason:)`` when the header cannot be read.
    public static func dimensions(of data: UnsafeRawBufferPointer) throws -> (width: Int, height: Int) {
        let handle = try decompressor()
        defer { tjDestroy(handle) }
        return try header(of: data, handle: handle)
    }

    /// Decodes a JPEG stream into 8-bit RGB.
    /// - Throws: ``JPEGError`` for corrupt, truncated or oversized streams.
    public static func decodeRGB8(_ data: [UInt8]) throws -> Bitmap<UInt8> {
        let handle = try decompressor()
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw in
            let (width, height) = try header(of: raw, handle: handle)
            var bitmap = Bitmap<UInt8>(width: width, height: height, channels: 3)
            try bitmap.samples.withUnsafeMutableBytes { pixels in
                try decompress(raw, into: pixels, width: width, height: height, handle: handle)
            }
            return bitmap
        }
    }

    /// Decodes an 8-bit RGB JPEG straight into caller-owned memory, as the data loader does
    /// for each view.
    /// - Parameters:
    ///   - data: The JPEG stream.
    ///   - destination: Receives `width * height * 3` bytes, row-major RGB.
    ///   - expectedWidth: The width the caller expects.
    ///   - expectedHeight: The height the caller expects.
    /// - Throws: ``JPEGError/corrupt(reason:)`` when the stream is bad or its size differs
    ///   from the expected one; `.unsupportedBitmap` when `destination` is too small.
    public static func decodeRGB8(_ data: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                                  expectedWidth: Int, expectedHeight: Int) throws {
        let handle = try decompressor()
        defer { tjDestroy(handle) }
        let (width, height) = try header(of: data, handle: handle)
        guard width == expectedWidth, height == expectedHeight else {
            throw JPEGError.corrupt(reason: "expected a \(expectedWidth)x\(expectedHeight) image, found \(width)x\(height)")
        }
        guard destination.count >= width * height * 3 else {
            throw JPEGError.unsupportedBitmap(reason: "destination holds \(destination.count) bytes, needs \(width * height * 3)")
        }
        try decompress(data, into: destination, width: width, height: height, handle: handle)
    }

    private static func decompressor() throws -> tjhandle {
        guard let handle = tjInitDecompress() else {
            throw JPEGError.corrupt(reason: "libjpeg-turbo could not create a decompressor")
        }
        return handle
    }

    /// Reads and checks the header: a non-empty image no larger than the limit.
    private static func header(of data: UnsafeRawBufferPointer, handle: tjhandle) throws -> (width: Int, height: Int) {
        guard let base = data.baseAddress, data.count > 0 else { throw JPEGError.corrupt(reason: "empty input") }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, base.assumingMemoryBound(to: UInt8.self), UInt(data.count),
                                  &width, &height, &subsampling, &colorspace) == 0 else {
            throw JPEGError.corrupt(reason: message(of: handle))
        }
        guard width > 0, height > 0 else { throw JPEGError.corrupt(reason: "header declares \(width)x\(height)") }
        guard width <= PNGCodec.maximumDimension, height <= PNGCodec.maximumDimension else {
            throw JPEGError.tooLarge(width: Int(width), height: Int(height), limit: PNGCodec.maximumDimension)
        }
        return (Int(width), Int(height))
    }

    private static func decompress(_ data: UnsafeRawBufferPointer, into pixels: UnsafeMutableRawBufferPointer,
                                   width: Int, height: Int, handle: tjhandle) throws {
        guard let source = data.baseAddress, let destination = pixels.baseAddress else {
            throw JPEGError.corrupt(reason: "empty input")
        }
        guard tjDecompress2(handle, source.assumingMemoryBound(to: UInt8.self), UInt(data.count),
                            destination.assumingMemoryBound(to: UInt8.self), Int32(width), 0, Int32(height),
                            Int32(TJPF_RGB.rawValue), TJFLAG_ACCURATEDCT) == 0 else {
            throw JPEGError.corrupt(reason: message(of: handle))
        }
    }

    private static func message(of handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "libjpeg-turbo failed" }
        return String(cString: text)
    }
}
