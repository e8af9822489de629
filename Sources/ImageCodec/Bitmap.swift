/// A rectangular image held in memory: rows top to bottom, pixels left to right,
/// channels interleaved (`RGBRGB...` for colour).
///
/// `Sample` is `UInt8` for 8-bit images (colour renders, instance masks) and `UInt16`
/// for 16-bit greyscale (depth maps in millimetres).
public struct Bitmap<Sample: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Interleaved channels per pixel: 1 (grey) or 3 (RGB).
    public var channels: Int
    /// `width * height * channels` samples, row-major.
    public var samples: [Sample]

    /// Wraps existing samples.
    /// - Precondition: `samples.count == width * height * channels`.
    public init(width: Int, height: Int, channels: Int, samples: [Sample]) {
        precondition(width >= 0 && height >= 0 && (channels == 1 || channels == 3))
        precondition(samples.count == width * height * channels, "sample count does not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    /// A bitmap with every sample set to `fill`.
    public init(width: Int, height: Int, channels: Int, fill: Sample = 0) {
        self.init(width: width, height: height, channels: channels,
                  samples: [Sample](repeating: fill, count: width * height * channels))
    }

    /// The samples of the pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int, channel: Int) -> Sample {
        get { samples[(y * width + x) * channels + channel] }
        set { samples[(y * width + x) * channels + channel] = newValue }
    }
}
