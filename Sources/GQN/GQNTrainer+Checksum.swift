import ShardFormat
import Tensors

/// The checksum that makes a corrupted checkpoint an error instead of silently wrong weights or
/// settings: the safetensors format has none, so ``GQNTrainer/saveCheckpoint(to:metadata:)`` and
/// ``GQNTrainer/saveWeights(to:metadata:)`` record one in the metadata, and
/// ``GQNTrainer/verifiedArchive(at:)`` checks it before anything is built from the file.
extension GQNTrainer {
    /// The metadata key of the checksum: a CRC-32C, 8 hexadecimal digits.
    public static let checksumKey = "contents_crc32c"

    /// A CRC-32C over every tensor in name order (its name, its shape as 64-bit little-endian
    /// extents, its values as little-endian Float32) and then every metadata entry but the
    /// checksum itself in key order (key and value, each followed by a zero byte): a changed
    /// value, shape, name or setting changes it.
    static func checksum(tensors: [String: Tensor], metadata: [String: String]) -> UInt32 {
        var crc: UInt32 = 0
        func add(_ bytes: [UInt8]) { crc = bytes.withUnsafeBytes { CRC32C.update(crc, with: $0) } }
        for name in tensors.keys.sorted() {
            guard let tensor = tensors[name] else { continue }
            add(Array(name.utf8) + [0])
            crc = tensor.shape.map { UInt64($0).littleEndian }.withUnsafeBytes { CRC32C.update(crc, with: $0) }
            crc = tensor.withUnsafeBufferPointer { values in
                values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { CRC32C.update(crc, with: $0) }
            }
        }
        for key in metadata.keys.sorted() where key != checksumKey {
            add(Array(key.utf8) + [0] + Array((metadata[key] ?? "").utf8) + [0])
        }
        return crc
    }

    /// `metadata` with the checksum of `tensors` and `metadata` added, ready to write.
    static func addingChecksum(to metadata: [String: String], tensors: [String: Tensor]) -> [String: String] {
        var result = metadata
        result[checksumKey] = checksumText(checksum(tensors: tensors, metadata: metadata))
        return result
    }

    /// Reads a checkpoint or weights file and checks it against the checksum it records (files
    /// written before there was one are read unchecked).
    /// - Parameter path: The file.
    /// - Returns: The archive.
    /// - Throws: ``/Tensors/TensorError`` when the file is unreadable or not a safetensors file;
    ///   ``GQNError/checkpointMismatch(path:detail:)`` naming both checksums when its contents changed.
    public static func verifiedArchive(at path: String) throws -> SafeTensors {
        let archive = try SafeTensors(contentsOf: path)
        guard let recorded = archive.metadata[checksumKey] else { return archive }
        let computed = checksumText(checksum(tensors: archive.tensors, metadata: archive.metadata))
        guard recorded == computed else {
            throw GQNError.checkpointMismatch(
                path: path,
                detail: "corrupted: its contents' CRC-32C is \(computed), the file records \(recorded) "
                    + "(a byte changed since it was written); nothing was loaded")
        }
        return archive
    }

    private static func checksumText(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
