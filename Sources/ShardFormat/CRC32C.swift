/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every shard
/// record, header, index and trailer.
///
/// Parameters as the "CRC catalogue" names them: width 32, poly 0x1EDC6F41, init
/// 0xFFFFFFFF, refin and refout true, xorout 0xFFFFFFFF, check 0xE3069283.
/// Computed with slicing-by-8 tables: eight bytes per step, no reference types in the loop.
public enum CRC32C {
    /// Eight 256-entry tables; table `k` advances a byte that is `k` positions ahead.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            tables[byte] = crc
        }
        for byte in 0..<256 {
            var crc = tables[byte]
            for slice in 1..<8 {
                crc = tables[Int(crc & 0xFF)] ^ (crc >> 8)
                tables[slice * 256 + byte] = crc
            }
        }
        return tables
    }()

    /// Returns the CRC-32C of `bytes`.
    /// - Complexity: O(n).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, with: bytes)
    }

    /// Returns the CRC-32C of `bytes`.
    /// - Complexity: O(n).
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// Extends a finished CRC-32C `crc` of some prefix with the bytes that follow it, so that
    /// `update(checksum(a), with: b) == checksum(a + b)`.
    /// - Complexity: O(n).
    public static func update(_ crc: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { table in
            var state = ~crc
            var index = 0
            let count = bytes.count
            while count - index >= 8 {
                let low = state ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self).littleEndian
                let high = bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self).littleEndian
                state = table[7 * 256 + Int(low & 0xFF)]
                    ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)]
                    ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)]
                    ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[1 * 256 + Int((high >> 16) & 0xFF)]
                    ^ table[Int(high >> 24)]
                index += 8
            }
            while index < count {
                state = table[Int((state ^ UInt32(bytes[index])) & 0xFF)] ^ (state >> 8)
                index += 1
            }
            return ~state
        }
    }
}

extension CRC32C {
    /// The constant TensorFlow adds when masking a CRC.
    static let maskDelta: UInt32 = 0xA282_EAD8

    /// Returns `crc` masked as TFRecord files store it: rotated right by 15 bits plus
    /// 0xA282EAD8. Masking keeps the CRC of bytes that themselves contain CRCs from being
    /// degenerate (the LevelDB convention TensorFlow took over).
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ maskDelta
    }

    /// Returns the masked CRC-32C of `bytes`, the checksum a TFRecord file stores.
    /// - Complexity: O(n).
    public static func maskedChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        masked(checksum(bytes))
    }
}
