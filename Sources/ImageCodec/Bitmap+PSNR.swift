import Foundation

extension Bitmap {
    /// The peak signal-to-noise ratio of this image against `reference`, in decibels:
    /// `10 log10(max² / MSE)` over every sample, with `max` the largest `Sample`
    /// (255 for 8-bit). Infinite for identical images.
    /// - Precondition: Both images have the same size and channels.
    /// - Complexity: O(samples).
    public func peakSignalToNoiseRatio(to reference: Bitmap<Sample>) -> Double {
        precondition(width == reference.width && height == reference.height && channels == reference.channels,
                     "PSNR of images of different shapes")
        var squaredError = 0.0
        for (a, b) in zip(samples, reference.samples) {
            let difference = Double(a) - Double(b)
            squaredError += difference * difference
        }
        guard squaredError > 0 else { return .infinity }
        let peak = Double(Sample.max)
        return 10 * log10((peak * peak) / (squaredError / Double(samples.count)))
    }
}
