import Foundation
import ShardFormat
import ImageCodec
import Tensors

/// Turns planar Float images in [0, 1] into RGB8 tiles for contact sheets.
enum ImageTiles {
    /// The `index`-th `[3, H, W]` image of a flat planar buffer.
    static func tile(_ values: UnsafeBufferPointer<Float>, index: Int, height: Int, width: Int) -> Bitmap<UInt8> {
        let plane = height * width
        let base = index * 3 * plane
        var samples = [UInt8](repeating: 0, count: plane * 3)
        for pixel in 0..<plane {
            for channel in 0..<3 {
                let value = values[base + channel * plane + pixel]
                let clamped = value.isFinite ? Swift.min(Swift.max(value, 0), 1) : 0
                samples[pixel * 3 + channel] = UInt8((clamped * 255).rounded())
            }
        }
        return Bitmap(width: width, height: height, channels: 3, samples: samples)
    }

    /// Every image of a `[N, 3, H, W]` (or `[N, K, 3, H, W]`, flattened) tensor.
    static func tiles(_ tensor: Tensor) -> [Bitmap<UInt8>] {
        let shape = tensor.shape
        let (height, width) = (shape[shape.count - 2], shape[shape.count - 1])
        let count = tensor.count / (3 * height * width)
        return tensor.withUnsafeBufferPointer { values in
            (0..<count).map { tile(values, index: $0, height: height, width: width) }
        }
    }

    /// Writes a contact sheet of `rows` as PNG, atomically.
    /// - Returns: The PNG stream written and the sheet's size.
    @discardableResult
    static func writeSheet(_ rows: [[Bitmap<UInt8>]], to path: String) throws -> (png: [UInt8], width: Int, height: Int) {
        let sheet = ContactSheet.compose(rows)
        let png = try PNGCodec.encode(sheet)
        try RunFiles.saveBytes(png, to: path)
        return (png, sheet.width, sheet.height)
    }
}

extension RunFiles {
    static func saveBytes(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.save(bytes, to: URL(fileURLWithPath: path))
    }
}
