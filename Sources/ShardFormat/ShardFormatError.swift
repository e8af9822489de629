/// Why a shard, a record or a manifest could not be written, read or trusted.
///
/// Every case names the file it is about; cases about bytes in a shard also name the record
/// (when there is one) and the byte offset from the start of the file, and say what was
/// expected and what was found. ``description`` turns a case into a one-line message.
public enum ShardFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed: `operation` is what was attempted ("open", "write", "fsync", ...), `reason` the system's message.
    case io(path: String, operation: String, reason: String)
    /// The file is shorter than the smallest structure it must hold.
    case truncated(path: String, needed: UInt64, fileSize: UInt64)
    /// The 8-byte magic number at `offset` is not the expected one; `found` is shown escaped.
    case badMagic(path: String, offset: UInt64, expected: String, found: String)
    /// The file does not end with a shard trailer: it was truncated or never finished.
    case missingTrailer(path: String, offset: UInt64, found: String)
    /// The file's format version is not one this reader understands.
    case unsupportedVersion(path: String, found: UInt32, supported: ClosedRange<UInt32>)
    /// A CRC-32C over `region` ("header", "trailer", "index" or "record") does not match the stored one.
    case checksumMismatch(path: String, region: String, record: Int?, offset: UInt64, stored: UInt32, computed: UInt32)
    /// A length or offset field at `offset` points past the end of the file or of its enclosing structure.
    case lengthOutOfBounds(path: String, record: Int?, offset: UInt64, field: String, length: UInt64, available: UInt64)
    /// A field at `offset` holds a value the format or the schema does not allow.
    case malformed(path: String, record: Int?, offset: UInt64, field: String, expected: String, found: String)
    /// A record index outside `0..<count` was asked for.
    case recordIndexOutOfRange(path: String, index: Int, count: Int)
    /// A value handed to a writer does not fit the shard's or manifest's schema, or misuses the writer.
    case invalidInput(path: String, field: String, expected: String, found: String)
    /// A file that would be replaced already exists, and replacing it was not asked for.
    case alreadyExists(path: String)
    /// A manifest is not valid JSON of the expected shape; `reason` is the decoder's message.
    case invalidManifest(path: String, reason: String)
    /// A manifest names a shard path that is absolute, empty or leads outside the dataset directory.
    case unsafeShardPath(manifest: String, shardPath: String, reason: String)
    /// Manifests, or a manifest and a shard file, disagree: `field` of `path` was expected to be `expected`.
    case manifestMismatch(path: String, field: String, expected: String, found: String)
    /// Another process is writing into the directory at `path` (it holds its ``DirectoryLock``); `holder` is its process ID when known.
    case locked(path: String, holder: Int32?)

    public var description: String {
        switch self {
        case .io(let path, let operation, let reason):
            return "\(path): \(operation) failed: \(reason)"
        case .truncated(let path, let needed, let fileSize):
            return "\(path): truncated: expected at least \(needed) bytes, found \(fileSize)"
        case .badMagic(let path, let offset, let expected, let found):
            return "\(path): byte offset \(offset): bad magic number: expected \"\(expected)\", found \"\(found)\""
        case .missingTrailer(let path, let offset, let found):
            return "\(path): byte offset \(offset): no shard trailer (the file is truncated or was never finished): "
                + "expected \"\(ShardLayout.trailerMagicText)\", found \"\(found)\""
        case .unsupportedVersion(let path, let found, let supported):
            return "\(path): unsupported shard format version: expected \(supported.lowerBound) through \(supported.upperBound), found \(found)"
        case .checksumMismatch(let path, let region, let record, let offset, let stored, let computed):
            return "\(path):\(Self.recordPart(record)) byte offset \(offset): \(region) CRC-32C mismatch: stored "
                + "\(Self.hex(stored)), computed \(Self.hex(computed))"
        case .lengthOutOfBounds(let path, let record, let offset, let field, let length, let available):
            return "\(path):\(Self.recordPart(record)) byte offset \(offset): \(field) = \(length) points past the end: "
                + "expected at most \(available)"
        case .malformed(let path, let record, let offset, let field, let expected, let found):
            return "\(path):\(Self.recordPart(record)) byte offset \(offset): \(field): expected \(expected), found \(found)"
        case .recordIndexOutOfRange(let path, let index, let count):
            return "\(path): record index \(index) out of range: expected 0..<\(count)"
        case .invalidInput(let path, let field, let expected, let found):
            return "\(path): \(field): expected \(expected), found \(found)"
        case .alreadyExists(let path):
            return "\(path): already exists; refusing to replace it"
        case .invalidManifest(let path, let reason):
            return "\(path): invalid manifest: \(reason)"
        case .unsafeShardPath(let manifest, let shardPath, let reason):
            return "\(manifest): shard path \"\(shardPath)\" rejected: \(reason)"
        case .manifestMismatch(let path, let field, let expected, let found):
            return "\(path): \(field): expected \(expected), found \(found)"
        case .locked(let path, let holder):
            return "\(path): another process\(holder.map { " (PID \($0))" } ?? "") is writing into this directory; "
                + "wait for it to finish or stop it, then re-run"
        }
    }

    private static func recordPart(_ record: Int?) -> String {
        record.map { " record \($0)," } ?? ""
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
