import Foundation

/// Publishing files atomically: write under a temporary name in the destination's
/// directory, fsync, then link or rename it to the final name and fsync the directory.
/// A crash at any point leaves either no file under the final name or the complete one.
///
/// The command-line tools write every output file (images, JSON, manifests) through
/// ``save(_:to:replacing:)``.
public enum AtomicFile {
    /// Creates a new, empty temporary file beside `destination` (a hidden name ending in
    /// `.partial-<pid>-<random>`), refusing to reuse an existing name.
    /// - Returns: The open descriptor and the temporary file's path.
    static func createTemporary(beside destination: URL) throws(ShardFormatError) -> (descriptor: Int32, path: String) {
        let directory = destination.deletingLastPathComponent().path
        var generator = SystemRandomNumberGenerator()
        let suffix = String(generator.next() as UInt64, radix: 16)
        let path = (directory as NSString).appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())-\(suffix)")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw systemError(path: path, operation: "create") }
        return (descriptor, path)
    }

    /// Writes all of `bytes`, retrying short writes and interrupted calls.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(ShardFormatError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw systemError(path: path, operation: "write")
            }
            written += result
        }
    }

    /// Syncs and closes `descriptor` (always: the caller must not close it again), then moves the temporary file to `destination` and
    /// syncs the directory. Without `replacing`, an existing destination is left untouched
    /// and ``ShardFormatError/alreadyExists(path:)`` is thrown. The temporary file is
    /// removed on failure.
    static func publish(
        descriptor: Int32, temporaryPath: String, destination: URL, replacing: Bool
    ) throws(ShardFormatError) {
        let finalPath = destination.path
        // The descriptor is closed exactly once on every path: a second close could close a
        // descriptor number another thread has been given meanwhile.
        guard fsync(descriptor) == 0 else {
            let failure = systemError(path: temporaryPath, operation: "fsync")
            close(descriptor)
            unlink(temporaryPath)
            throw failure
        }
        guard close(descriptor) == 0 else {
            let failure = systemError(path: temporaryPath, operation: "close")
            unlink(temporaryPath)
            throw failure
        }
        if replacing {
            guard rename(temporaryPath, finalPath) == 0 else {
                let failure = systemError(path: finalPath, operation: "rename")
                unlink(temporaryPath)
                throw failure
            }
        } else if link(temporaryPath, finalPath) == 0 {
            // link(2) fails with EEXIST instead of replacing, atomically.
            unlink(temporaryPath)
        } else {
            let linkErrno = errno
            // Filesystems without hard links: fall back to check-then-rename.
            let unsupported = [EPERM, EOPNOTSUPP, ENOTSUP, EXDEV, EMLINK, ENOSYS].contains(linkErrno)
            if linkErrno == EEXIST || (unsupported && access(finalPath, F_OK) == 0) {
                unlink(temporaryPath)
                throw .alreadyExists(path: finalPath)
            }
            guard unsupported, rename(temporaryPath, finalPath) == 0 else {
                let failure = systemError(path: finalPath, operation: unsupported ? "rename" : "link", errorNumber: unsupported ? errno : linkErrno)
                unlink(temporaryPath)
                throw failure
            }
        }
        try syncDirectory(of: destination)
    }

    /// Writes `bytes` to `destination` atomically, creating its directory when missing.
    /// - Parameter replacing: whether an existing file may be replaced (whole or not at all).
    /// - Throws: `.alreadyExists` when it may not, `.io` naming the path otherwise.
    public static func save(_ bytes: [UInt8], to destination: URL, replacing: Bool = true) throws(ShardFormatError) {
        let directory = destination.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: directory.path) {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw .io(path: directory.path, operation: "create directory", reason: error.localizedDescription)
            }
        }
        if !replacing, FileManager.default.fileExists(atPath: destination.path) {
            throw .alreadyExists(path: destination.path)
        }
        let (descriptor, temporaryPath) = try createTemporary(beside: destination)
        do throws(ShardFormatError) {
            try writeAll(descriptor, bytes, path: temporaryPath)
        } catch {
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }
        try publish(descriptor: descriptor, temporaryPath: temporaryPath, destination: destination, replacing: replacing)
    }

    /// Deletes the temporary files that interrupted writes of `destination` left behind
    /// (`.NAME.partial-PID-RANDOM`), except those whose process is still alive: the first
    /// step of resuming a write that a crash or a kill cut short.
    public static func removeAbandonedTemporaries(of destination: URL) {
        let directory = destination.deletingLastPathComponent()
        let prefix = ".\(destination.lastPathComponent).partial-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            let owner = name.dropFirst(prefix.count).split(separator: "-").first.flatMap { Int32($0) }
            if let owner, owner != getpid(), kill(owner, 0) == 0 { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// Makes a rename or link inside the directory of `file` durable.
    private static func syncDirectory(of file: URL) throws(ShardFormatError) {
        let directory = file.deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError(path: directory, operation: "open directory") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw systemError(path: directory, operation: "fsync directory") }
    }
}
