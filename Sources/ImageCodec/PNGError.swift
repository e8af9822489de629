/// Why a PNG could not be encoded or decoded.
public enum PNGError: Error, Equatable, CustomStringConvertible {
    /// libpng rejected the data; `reason` is libpng's own message (for example
    /// "Not a PNG file" or "IDAT: invalid distance too far back").
    case corrupt(reason: String)
    /// The header declares an image larger than ``PNGCodec/maximumDimension`` on a side;
    /// refused before any pixel memory is allocated.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// The bitmap handed to the encoder has an unsupported shape.
    case unsupportedBitmap(reason: String)

    public var description: String {
        switch self {
        case .corrupt(let reason):
            return "corrupt PNG: \(reason)"
        case .tooLarge(let width, let height, let limit):
            return "PNG too large: header declares \(width)x\(height), expected at most \(limit) pixels on a side"
        case .unsupportedBitmap(let reason):
            return "cannot encode bitmap: \(reason)"
        }
    }
}
