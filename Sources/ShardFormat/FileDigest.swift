import Crypto
import Foundation

/// The size and SHA-256 of a file, read in 1 MiB chunks.
public enum FileDigest {
    /// Returns the file's size in bytes and its SHA-256 as 64 lowercase hex digits.
    /// - Throws: `.io` when the file cannot be opened or read.
    public static func sizeAndSHA256(of url: URL) throws(ShardFormatError) -> (size: UInt64, sha256: String) {
        let path = url.path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError(path: path, operation: "open") }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size: UInt64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw systemError(path: path, operation: "read")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size += UInt64(count)
        }
        return (size, hex(hasher.finalize()))
    }

    /// Lowercase hex of a digest.
    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
