/// Interleaved RGB8 to planar Float32 in [0, 1], the one conversion every pixel goes through.
enum PixelConversion {
    /// Writes the red, green and blue planes of `pixelCount` interleaved RGB8 pixels to
    /// `destination` (`3 * pixelCount` floats, CHW): each value is exactly `byte / 255`.
    /// Eight pixels per step with `SIMD8<Float>`.
    static func planarFloats(fromRGB8 source: UnsafePointer<UInt8>, pixelCount: Int,
                             into destination: UnsafeMutablePointer<Float>) {
        let red = destination, green = destination + pixelCount, blue = destination + 2 * pixelCount
        let divisor = SIMD8<Float>(repeating: 255)
        var pixel = 0
        while pixel + 8 <= pixelCount {
            let s = source + 3 * pixel
            // Load 24 bytes as three 8-lane vectors, then deinterleave by lane.
            let bytes = UnsafeRawPointer(s)
            let a = bytes.loadUnaligned(as: SIMD8<UInt8>.self)
            let b = bytes.loadUnaligned(fromByteOffset: 8, as: SIMD8<UInt8>.self)
            let c = bytes.loadUnaligned(fromByteOffset: 16, as: SIMD8<UInt8>.self)
            let all = SIMD32<UInt8>(lowHalf: SIMD16(lowHalf: a, highHalf: b), highHalf: SIMD16(lowHalf: c, highHalf: .zero))
            let r = SIMD8<UInt8>(all[0], all[3], all[6], all[9], all[12], all[15], all[18], all[21])
            let g = SIMD8<UInt8>(all[1], all[4], all[7], all[10], all[13], all[16], all[19], all[22])
            let bl = SIMD8<UInt8>(all[2], all[5], all[8], all[11], all[14], all[17], all[20], all[23])
            UnsafeMutableRawPointer(red + pixel).storeBytes(of: SIMD8<Float>(r) / divisor, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(green + pixel).storeBytes(of: SIMD8<Float>(g) / divisor, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(blue + pixel).storeBytes(of: SIMD8<Float>(bl) / divisor, as: SIMD8<Float>.self)
            pixel += 8
        }
        while pixel < pixelCount {
            red[pixel] = Float(source[3 * pixel]) / 255
            green[pixel] = Float(source[3 * pixel + 1]) / 255
            blue[pixel] = Float(source[3 * pixel + 2]) / 255
            pixel += 1
        }
    }
}
