import Foundation

/// A whole file mapped read-only into memory, unmapped when the last reference goes away.
///
/// The mapping never changes after `init`, so sharing it between threads is safe; that is
/// what `@unchecked Sendable` asserts. A file that another process truncates while it is
/// mapped raises SIGBUS on access: shards are immutable once published, and writers never
/// modify a published shard in place (they write a new file and rename it).
final class MappedFile: @unchecked Sendable {
    /// The file's bytes; empty for an empty file.
    let bytes: UnsafeRawBufferPointer

    /// Maps the file at `path`.
    /// - Throws: ``ShardFormatError/io(path:operation:reason:)`` when it cannot be opened,
    ///   inspected or mapped.
    init(path: String) throws(ShardFormatError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError(path: path, operation: "open") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError(path: path, operation: "fstat") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .io(path: path, operation: "open", reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else { throw systemError(path: path, operation: "mmap") }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}

/// An ``ShardFormatError/io(path:operation:reason:)`` error carrying the current `errno`'s message.
func systemError(path: String, operation: String, errorNumber: Int32 = errno) -> ShardFormatError {
    .io(path: path, operation: operation, reason: String(cString: strerror(errorNumber)))
}
