/// Paints per-pixel variances as a colour picture on a fixed scale, so that maps drawn with
/// the same ``maximum`` (for example one per context count) can be compared by eye.
///
/// The colour map is "hot": 0 is black, then red, yellow, and ``maximum`` or more is white
/// (three equal segments, linear in the variance).
public struct VarianceHeatMap: Sendable, Equatable {
    /// The variance painted white; everything at or above it saturates.
    public var maximum: Float

    /// How the colours read, for the JSON and the picture's caption.
    public static let description = "hot: black = 0, red = max/3, yellow = 2 max/3, white >= max"

    /// Creates a map whose white is `maximum` (values below `Float.leastNormalMagnitude` use that).
    public init(maximum: Float) {
        self.maximum = Swift.max(maximum, .leastNormalMagnitude)
    }

    /// Per pixel, the mean of a `[3, H, W]` per-value variance over the three channels.
    /// - Returns: `[H * W]`.
    public static func pixelVariance(_ variance: ArraySlice<Float>, plane: Int) -> [Float] {
        let base = variance.startIndex
        return (0..<plane).map { pixel in
            (variance[base + pixel] + variance[base + plane + pixel] + variance[base + 2 * plane + pixel]) / 3
        }
    }

    /// The colour of one variance, RGB in [0, 1].
    public func colour(_ variance: Float) -> SIMD3<Float> {
        let t = Swift.min(Swift.max(variance / maximum, 0), 1) * 3
        return SIMD3(Swift.min(t, 1), Swift.min(Swift.max(t - 1, 0), 1), Swift.min(Swift.max(t - 2, 0), 1))
    }

    /// Paints `[H * W]` pixel variances as a planar `[3, H, W]` picture in [0, 1].
    public func picture(_ pixelVariance: [Float]) -> [Float] {
        let plane = pixelVariance.count
        var result = [Float](repeating: 0, count: 3 * plane)
        for (pixel, variance) in pixelVariance.enumerated() {
            let rgb = colour(variance)
            result[pixel] = rgb.x
            result[plane + pixel] = rgb.y
            result[2 * plane + pixel] = rgb.z
        }
        return result
    }
}
