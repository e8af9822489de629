import Foundation
import FuzzSupport
@testable import ImageCodec

/// The PNG decoders: our whole-image fast path against libpng (identical pixels whenever the
/// fast path accepts, and never accepting what libpng refuses), and the depth and mask decoders.
exit(FuzzSupport.run { original in
    // As given, and with every chunk CRC made valid so mutations reach the contents.
    for input in [original, FuzzSupport.fixingPNGChunkCRCs(original)] {
        // The size the caller expects: the header's when it is small, else 8 x 8.
        func headerValue(_ offset: Int) -> Int? {
            guard input.count >= offset + 4 else { return nil }
            return input[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        var (width, height) = (headerValue(16) ?? 8, headerValue(20) ?? 8)
        if !(1...64).contains(width) || !(1...64).contains(height) { (width, height) = (8, 8) }
        var fast = [UInt8](repeating: 0, count: width * height * 3), slow = fast
        let taken = input.withUnsafeBytes { bytes in
            fast.withUnsafeMutableBytes { PNGWholeImageDecoder.decodeRGB8(bytes, into: $0, width: width, height: height) }
        }
        let libpng = (try? input.withUnsafeBytes { bytes in
            try slow.withUnsafeMutableBytes {
                try PNGCodec.decodeRGB8UsingLibPNG(bytes, into: $0, expectedWidth: width, expectedHeight: height)
            }
        }) != nil
        if taken {
            FuzzSupport.require(libpng, "the fast path decoded a \(width)x\(height) image that libpng refuses")
            FuzzSupport.require(fast == slow, "the fast path and libpng decode a \(width)x\(height) image differently")
        }
        _ = try? PNGCodec.decodeRGB8(input)
        _ = try? PNGCodec.decodeGray8(input)
        _ = try? PNGCodec.decodeGray16(input)
    }
})
