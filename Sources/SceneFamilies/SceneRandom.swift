import SceneModel

/// The random draws of one scene: a PCG32 stream keyed by the scene's seed, with the
/// helpers samplers need. Draws happen in a fixed order, so a scene is a pure function of
/// (spec, dataset seed, scene index).
struct SceneRandom {
    private var generator: PCG32

    /// A stream for one purpose (`stream`) of one scene (`seed`).
    init(seed: UInt64, stream: UInt64) {
        generator = PCG32(seed: seed, stream: stream)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    mutating func unit() -> Double {
        let high = UInt64(generator.next()) << 21
        let low = UInt64(generator.next()) >> 11
        return Double(high | low) * 0x1p-53
    }

    /// A uniform double in a closed range (the range's value itself when it is a point).
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// A uniform float in a closed range.
    mutating func uniformFloat(_ range: ClosedRange<Double>) -> Float {
        Float(uniform(range))
    }

    /// A uniform integer in a closed range.
    mutating func integer(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + index(range.upperBound - range.lowerBound + 1)
    }

    /// A uniform index in `0..<count` (Lemire's unbiased multiply-shift with rejection).
    mutating func index(_ count: Int) -> Int {
        precondition(count > 0)
        let bound = UInt64(count)
        let threshold = (0 &- bound) % bound
        while true {
            let sample = (UInt64(generator.next()) << 32) | UInt64(generator.next())
            let product = sample.multipliedFullWidth(by: bound)
            if product.low >= threshold { return Int(product.high) }
        }
    }
}
