/// An error raised by a tensor operation, the optimiser or the safetensors codec.
///
/// Each case says what was expected and what was found, so the message alone is
/// enough to locate the mistake.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// An operation received a shape it cannot work with.
    case shapeMismatch(operation: String, expected: String, found: String)
    /// An argument (stride, padding, axis, count, ...) is outside its valid range.
    case invalidArgument(operation: String, expected: String, found: String)
    /// Tensors recorded on two different tapes were combined.
    case differentTapes(operation: String)
    /// A safetensors file is malformed.
    case malformedFile(path: String, detail: String)
    /// A file could not be read or written.
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, expected, found):
            return "\(operation): expected shape \(expected), found \(found)"
        case let .invalidArgument(operation, expected, found):
            return "\(operation): expected \(expected), found \(found)"
        case let .differentTapes(operation):
            return "\(operation): expected all inputs on one tape, found tensors from two different tapes"
        case let .malformedFile(path, detail):
            return "\(path): \(detail)"
        case let .io(path, detail):
            return "\(path): \(detail)"
        }
    }
}
