import Foundation

/// Writing the files the commands produce (PNGs, JSON), atomically.
public enum OutputFile {
    /// Writes `bytes` to `url` under a temporary name and renames it into place, creating the
    /// parent directory when needed; an existing file is replaced whole or not at all.
    /// - Throws: ``ShardToolError/cannotWrite(path:reason:)``.
    public static func write(_ bytes: some DataProtocol, to url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw ShardToolError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }
}
