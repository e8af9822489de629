import Foundation
import SceneModel

/// Converts linear intensities to 8-bit sRGB once per pixel at the end of rendering,
/// through a 65,536-entry table (exact sRGB curve evaluated at each entry's centre).
enum SRGBEncoder {
    static let tableSize = 65_536

    /// `table[i]` is the 8-bit sRGB code of linear value `i / 65535`.
    static let table: [UInt8] = (0..<tableSize).map { index in
        encode(Double(index) / Double(tableSize - 1))
    }

    /// The exact sRGB transfer function, rounded to 8 bits.
    static func encode(_ linear: Double) -> UInt8 {
        let c = min(max(linear, 0), 1)
        let v = c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
        return UInt8((v * 255).rounded())
    }
}
