import Foundation

/// An advisory, exclusive lock on a directory that one process writes into: a second writer
/// (another `scenegen generate` into the same dataset, another `gqn-train fit` into the same
/// run) is refused instead of interleaving its files with the first one's.
///
/// The lock is `flock(2)` on a hidden lock file in the directory (`.NAME.lock`). The kernel
/// releases it when the holder closes the file or dies, `kill -9` included, so a crash never
/// leaves a stale lock behind; the file itself stays and is reused. The holder writes its
/// process ID into the file so that a refused writer can say who holds it. Locks taken through
/// two `DirectoryLock` values conflict even within one process.
///
/// ```swift
/// let lock = try DirectoryLock(directory: datasetURL, name: "scenegen-generate")
/// defer { lock.release() }
/// // ... write into datasetURL ...
/// ```
///
/// The lock only excludes writers that take it: it is advisory. On network filesystems without
/// `flock` support, acquiring it fails with ``ShardFormatError/io(path:operation:reason:)``.
public final class DirectoryLock: @unchecked Sendable {
    /// The lock file.
    public let path: String
    /// The open lock file, or -1 once released. Touched only by `release()` and `deinit`, which
    /// the caller does not run concurrently.
    private var descriptor: Int32

    /// Takes the lock on `directory` (which must exist), without waiting.
    /// - Parameters:
    ///   - directory: The directory to lock.
    ///   - name: Which writer's lock this is; the lock file is `.NAME.lock`. Writers that must
    ///     exclude each other use the same name.
    /// - Throws: ``ShardFormatError/locked(path:holder:)`` when another process (or another
    ///   `DirectoryLock` in this one) holds it, naming its process ID when known;
    ///   ``ShardFormatError/io(path:operation:reason:)`` when the lock file cannot be opened or locked.
    public init(directory: URL, name: String) throws(ShardFormatError) {
        path = directory.appendingPathComponent(".\(name).lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw systemError(path: path, operation: "open lock file") }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let lockErrno = errno
            if lockErrno == EINTR { continue }
            let holder = lockErrno == EWOULDBLOCK ? Self.recordedHolder(descriptor) : nil
            close(descriptor)
            if lockErrno == EWOULDBLOCK { throw .locked(path: directory.path, holder: holder) }
            throw systemError(path: path, operation: "lock", errorNumber: lockErrno)
        }
        // Record the holder for a refused writer's message; a failure here loses only that detail.
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
    }

    /// Releases the lock (the lock file stays). Calling it again does nothing.
    public func release() {
        guard descriptor >= 0 else { return }
        // Closing the last descriptor of the open file releases the flock.
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// The process ID a holder wrote into the lock file, if it is readable.
    private static func recordedHolder(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}
