/// The model side's one seed mixer: SplitMix64's finaliser (Steele, Lea and Flood 2014), and
/// pairs `(seed, index)` mixed into unrelated-looking seeds.
///
/// Parameter streams, latent noise per training step, evaluation and sample noise all derive
/// their seeds here, so a seed means the same thing wherever it is used. (The data side keeps
/// its own in `RayTracer` and `DataLoader`: those modules import neither this one nor each
/// other, and their outputs are pinned byte for byte by the shard format's determinism.)
public enum SeedMixer {
    /// SplitMix64's output function: a bijective mix of 64 bits.
    @inline(__always)
    public static func finalise(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed for sub-task `index` of `seed` (a training step, a prior sample, a batch):
    /// distinct pairs give unrelated seeds.
    /// - Parameters:
    ///   - seed: The parent seed.
    ///   - index: The sub-task's number.
    /// - Returns: The derived seed.
    public static func mix(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        finalise(seed ^ finalise(index &+ 0x5851_F42D_4C95_7F2D))
    }
}
