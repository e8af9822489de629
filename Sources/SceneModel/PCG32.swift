/// The PCG32 random number generator (O'Neill 2014, `pcg32_random_r`): 64-bit state,
/// selectable stream, 32-bit output.
///
/// The renderer gives every pixel its own stream keyed by (render seed, pixel index), so a
/// pixel's samples never depend on which thread rendered it or in which order. We never use
/// the standard library's `random(in:)` for data: its algorithm may change between Swift
/// versions, and data must be reproducible.
public struct PCG32: Sendable, Equatable {
    @usableFromInline var state: UInt64
    @usableFromInline let increment: UInt64

    /// Creates a generator from a seed and a stream selector (`pcg32_srandom_r`).
    @inlinable
    public init(seed: UInt64, stream: UInt64) {
        self.state = 0
        self.increment = (stream << 1) | 1
        _ = next()
        state &+= seed
        _ = next()
    }

    /// The next 32 random bits.
    @inlinable @inline(__always)
    public mutating func next() -> UInt32 {
        let old = state
        state = old &* 6_364_136_223_846_793_005 &+ increment
        let xorShifted = UInt32(truncatingIfNeeded: ((old >> 18) ^ old) >> 27)
        let rotation = UInt32(truncatingIfNeeded: old >> 59)
        return (xorShifted >> rotation) | (xorShifted << ((~rotation &+ 1) & 31))
    }

    /// A uniform float in [0, 1) with 24 random bits.
    @inlinable @inline(__always)
    public mutating func nextFloat() -> Float {
        Float(next() >> 8) * 0x1p-24
    }
}

/// Mixes integers into a well-spread 64-bit key (SplitMix64's finaliser), for deriving
/// independent seeds from (dataset seed, scene, view, pixel) tuples.
@inlinable @inline(__always)
public func mixSeed(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var z = a &+ 0x9E37_79B9_7F4A_7C15 &* (b &+ 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
