/// The shape every record of a dataset shares: image size and encoding, views per scene,
/// and which optional per-view images are present.
///
/// Stored in every shard header and in `manifest.json`; a ``ShardWriter`` rejects records
/// that do not fit it and a ``ShardReader`` rejects records that were written otherwise.
public struct DatasetSchema: Codable, Hashable, Sendable {
    /// How a view's colour image is stored.
    public enum ImageEncoding: String, Codable, Hashable, Sendable, CaseIterable {
        /// A PNG stream (8-bit RGB); the default.
        case png
        /// Raw 8-bit RGB samples, `width * height * channels` bytes, rows top to bottom,
        /// channels interleaved.
        case raw
        /// A baseline JFIF stream, 8-bit RGB (3 components): lossy, the encoding of
        /// DeepMind's GQN datasets. Needs shard format version 2.
        case jpeg

        /// The byte stored in the shard header for this encoding.
        var code: UInt8 {
            switch self {
            case .png: return 0
            case .raw: return 1
            case .jpeg: return 2
            }
        }

        init?(code: UInt8) {
            switch code {
            case 0: self = .png
            case 1: self = .raw
            case 2: self = .jpeg
            default: return nil
            }
        }

        /// The first format version that can store this encoding.
        var minimumFormatVersion: UInt32 {
            self == .jpeg ? 2 : 1
        }
    }

    /// Image width in pixels, 1 through ``maximumDimension``.
    public var width: Int
    /// Image height in pixels, 1 through ``maximumDimension``.
    public var height: Int
    /// Colour channels per pixel; always 3 (RGB) in format versions 1 and 2.
    public var channels: Int
    /// How colour images are stored.
    public var imageEncoding: ImageEncoding
    /// Views in every scene record, 1 through ``maximumViewsPerScene``.
    public var viewsPerScene: Int
    /// Whether every view carries a depth image (16-bit grey PNG, millimetres).
    public var hasDepth: Bool
    /// Whether every view carries an instance mask (8-bit grey PNG).
    public var hasMasks: Bool

    /// The largest image side a schema accepts.
    public static let maximumDimension = 65_535
    /// The largest number of views per scene a schema accepts.
    public static let maximumViewsPerScene = 65_535

    /// Creates a schema.
    /// - Parameters:
    ///   - width: Image width in pixels.
    ///   - height: Image height in pixels.
    ///   - channels: Colour channels; 3.
    ///   - imageEncoding: `.png` (default), `.raw` or `.jpeg`.
    ///   - viewsPerScene: Views in every record.
    ///   - hasDepth: Whether views carry depth PNGs.
    ///   - hasMasks: Whether views carry instance-mask PNGs.
    public init(
        width: Int, height: Int, channels: Int = 3, imageEncoding: ImageEncoding = .png,
        viewsPerScene: Int, hasDepth: Bool = false, hasMasks: Bool = false
    ) {
        self.width = width
        self.height = height
        self.channels = channels
        self.imageEncoding = imageEncoding
        self.viewsPerScene = viewsPerScene
        self.hasDepth = hasDepth
        self.hasMasks = hasMasks
    }

    /// The format version shards and manifests of this schema are written with: the lowest
    /// that can express it (1 for PNG and raw images, 2 for JPEG), so datasets that version 1
    /// describes keep their bytes.
    public var formatVersion: UInt32 { imageEncoding.minimumFormatVersion }

    /// Bytes of one raw colour image: `width * height * channels`.
    public var rawImageByteCount: Int { width * height * channels }

    /// The first field that is out of range, as (field, expected, found), or nil when the
    /// schema is valid.
    func firstInvalidField() -> (field: String, expected: String, found: String)? {
        if !(1...Self.maximumDimension).contains(width) {
            return ("schema.width", "1...\(Self.maximumDimension)", "\(width)")
        }
        if !(1...Self.maximumDimension).contains(height) {
            return ("schema.height", "1...\(Self.maximumDimension)", "\(height)")
        }
        if channels != 3 {
            return ("schema.channels", "3", "\(channels)")
        }
        if !(1...Self.maximumViewsPerScene).contains(viewsPerScene) {
            return ("schema.viewsPerScene", "1...\(Self.maximumViewsPerScene)", "\(viewsPerScene)")
        }
        return nil
    }
}
