import CWriteBehind
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

    /// Writes all of `bytes` to the temporary file of `destination`, retrying short writes and
    /// interrupted calls.
    /// - Throws: `.io` naming `destination` (the file the user asked for) and the temporary file.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], temporaryPath: String, destination: String) throws(ShardFormatError) {
        var written = 0
        while written < bytes.count {
            let allowed = simulatedDiskSpace.grant(bytes.count - written)
            let result: Int
            if allowed == 0 {
                errno = ENOSPC  // the simulated disk is full
                result = -1
            } else {
                result = bytes.withUnsafeBytes { buffer in write(descriptor, buffer.baseAddress.map { $0 + written }, allowed) }
            }
            if result < 0 {
                if errno == EINTR { continue }
                let temporaryName = (temporaryPath as NSString).lastPathComponent
                throw systemError(path: destination, operation: "write (to its temporary file \(temporaryName))")
            }
            written += result
        }
    }

    /// Asks the kernel to start writing `length` bytes of the file from `offset` now, without
    /// waiting (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`; nothing elsewhere). Advisory:
    /// it makes nothing durable; ``publish(descriptor:temporaryPath:destination:replacing:)``'s
    /// fsync still does.
    /// - Returns: 0, or the `errno` of the failure.
    static func startWriteback(_ descriptor: Int32, offset: UInt64, length: UInt64) -> Int32 {
        gqnkit_start_writeback(descriptor, Int64(offset), Int64(length))
    }

    /// A full disk for tests: after ``SimulatedDiskSpace/set(_:)`` grants so many bytes, every
    /// write of ``writeAll(_:_:temporaryPath:destination:)`` fails with ENOSPC, as on a real one.
    static let simulatedDiskSpace = SimulatedDiskSpace()

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
    /// - Parameters:
    ///   - bytes: The file's contents.
    ///   - destination: The file to write.
    ///   - replacing: Whether an existing file may be replaced (whole or not at all).
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
            try writeAll(descriptor, bytes, temporaryPath: temporaryPath, destination: destination.path)
        } catch {
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }
        try publish(descriptor: descriptor, temporaryPath: temporaryPath, destination: destination, replacing: replacing)
    }

    /// Deletes the temporary files that writers killed before publishing left in `directory`
    /// (`.NAME.partial-PID-RANDOM`: ``save(_:to:replacing:)``'s names, which other writers such
    /// as `SafeTensors.write` follow), unless the process that owns one is still alive.
    /// - Parameters:
    ///   - directory: Where to look (not recursively).
    ///   - name: Only the temporaries of this final file name; nil for all.
    public static func removeAbandonedTemporaries(in directory: URL, of name: String? = nil) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for entry in names where entry.hasPrefix(name.map { ".\($0).partial-" } ?? ".") {
            guard let marker = entry.range(of: ".partial-") else { continue }
            let owner = entry[marker.upperBound...].split(separator: "-").first.flatMap { Int32($0) }
            if let owner, owner != getpid(), kill(owner, 0) == 0 { continue }
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(entry))
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

/// The free space ``AtomicFile`` pretends the disk has, for tests of a full disk; unlimited
/// unless a test sets it (it is internal: only `@testable import` reaches it).
final class SimulatedDiskSpace: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int?

    /// Grants `bytes` more bytes before writes fail; nil for a disk that never fills.
    func set(_ bytes: Int?) {
        lock.withLock { remaining = bytes }
    }

    /// How many of `count` bytes may be written now (all of them when unlimited), taken from the space left.
    func grant(_ count: Int) -> Int {
        lock.withLock {
            guard let left = remaining else { return count }
            let granted = min(left, count)
            remaining = left - granted
            return granted
        }
    }
}
