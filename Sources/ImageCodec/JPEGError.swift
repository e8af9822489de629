/// Why a JPEG could not be encoded or decoded.
public enum JPEGError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libjpeg-turbo rejected the data; `reason` is its own message (for example "Not a
    /// JPEG file: starts with 0x89 0x50" or "Premature end of JPEG file").
    case corrupt(reason: String)
    /// The header declares an image larger than ``PNGCodec/maximumDimension`` on a side
    /// (the limit both codecs share); refused before any pixel memory is allocated.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// The bitmap or quality handed to the encoder is not supported.
    case unsupportedBitmap(reason: String)

    public var description: String {
        switch self {
        case .corrupt(let reason):
            return "corrupt JPEG: \(reason)"
        case .tooLarge(let width, let height, let limit):
            return "JPEG too large: header declares \(width)x\(height), expected at most \(limit) pixels on a side"
        case .unsupportedBitmap(let reason):
            return "cannot encode bitmap as JPEG: \(reason)"
        }
    }
}
