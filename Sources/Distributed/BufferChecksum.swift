/// A 64-bit fingerprint of a float buffer's bits (FNV-1a over each value's bit pattern), to
/// check cheaply that every rank holds the same parameters.
///
/// Equal buffers give equal checksums; a single flipped bit changes it. Not a cryptographic
/// hash: it guards against drift, not against an adversary.
public enum BufferChecksum {
    /// The checksum of `values`.
    /// - Complexity: O(`values.count`), one multiply per value.
    public static func of(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in values {
            hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
