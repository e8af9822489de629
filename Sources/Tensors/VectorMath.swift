/// Vectorised transcendental functions for the elementwise kernels: eight lanes at a time,
/// Cephes-style range reduction and minimax polynomials, accurate to a few ulp over the
/// whole Float range (checked against libm in `VectorMathTests`).
///
/// libm's scalar `expf`/`tanhf`/`logf` cost 15-40 cycles an element; these run the same
/// few multiply-adds on every lane with no branches, which is what lets the LSTM cell,
/// the losses and the activations keep up with the convolutions.
enum VectorMath {
    typealias Lanes = SIMD8<Float>
    static let width = Lanes.scalarCount
    /// 1.5 * 2^23: adding it to a float below 2^22 in magnitude rounds it to an integer held
    /// in the low mantissa bits; `magicBits` is its bit pattern.
    private static let magic = Lanes(repeating: 12_582_912)
    private static let magicBits = SIMD8<Int32>(repeating: 0x4B40_0000)

    /// `e^x`; 0 where the result would be denormal (x < -87.34), +inf above 88.72, and
    /// between 88.38 and 88.72 held at e^88.38 (2^n must stay a normal float).
    @inline(__always)
    static func exp(_ x: Lanes) -> Lanes {
        let clamped = clamp(x, -87.33654, 88.37626)
        // x = n ln2 + r, |r| <= ln2 / 2, with ln2 split in two for an exact n ln2. Adding
        // 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits
        // (Swift's generic SIMD rounding and conversions run lane by lane; this does not).
        let shifted = clamped * 1.442_695_04 + magic
        let n = shifted - magic
        var r = clamped - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        // 2^n by building the exponent field; n + 127 stays in [1, 254] after the clamp.
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- magicBits
        let exponent = (integer &+ 127) &<< 23
        var result = p * unsafeBitCast(exponent, to: Lanes.self)
        result.replace(with: 0, where: x .< -87.33654)
        result.replace(with: .infinity, where: x .> 88.72283)
        result.replace(with: x, where: x .!= x)  // NaN stays NaN
        return result
    }

    /// The natural logarithm for positive `x` (NaN below 0, -inf at 0, +inf at +inf).
    @inline(__always)
    static func log(_ x: Lanes) -> Lanes {
        // x = m 2^e with m in [sqrt(1/2), sqrt(2)).
        let bits = unsafeBitCast(x.replacing(with: Float.leastNormalMagnitude, where: x .< Float.leastNormalMagnitude), to: SIMD8<UInt32>.self)
        var e = SIMD8<Int32>(truncatingIfNeeded: bits &>> 23) &- 126
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: Lanes.self)  // [0.5, 1)
        let small = m .< 0.707_106_781_186_547_524
        e = e &- SIMD8<Int32>(truncatingIfNeeded: SIMD8<UInt32>(repeating: 1) & unsafeBitCast(small, to: SIMD8<UInt32>.self))
        m = m.replacing(with: m + m, where: small)
        let f = m - 1
        let z = f * f
        var p = Lanes(repeating: 7.037_683_629_2e-2)
        p = p * f - 1.151_461_031_0e-1
        p = p * f + 1.167_699_874_0e-1
        p = p * f - 1.242_014_084_6e-1
        p = p * f + 1.424_932_278_7e-1
        p = p * f - 1.666_805_766_5e-1
        p = p * f + 2.000_071_476_5e-1
        p = p * f - 2.499_999_399_3e-1
        p = p * f + 3.333_333_117_4e-1
        let ef = unsafeBitCast(e &+ magicBits, to: Lanes.self) - magic  // Float(e) without a lane loop
        var y = p * f * z
        y = y + ef * -2.121_944_4e-4
        y = y - 0.5 * z
        var result = f + y + ef * 0.693_359_375
        result.replace(with: -.infinity, where: x .== 0)
        result.replace(with: .nan, where: x .< 0)
        result.replace(with: x, where: (x .== .infinity) .| (x .!= x))
        return result
    }

    /// `x` limited to `[lower, upper]` (NaN passes through). Selects instead of the standard
    /// library's `clamped`, which checks and loops lane by lane.
    @inline(__always)
    static func clamp(_ x: Lanes, _ lower: Float, _ upper: Float) -> Lanes {
        x.replacing(with: lower, where: x .< lower).replacing(with: upper, where: x .> upper)
    }

    /// `|x|`, by clearing the sign bits.
    @inline(__always)
    static func abs(_ x: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Lanes.self)
    }

    /// The logistic function `1 / (1 + e^-x)`, without overflow for any input.
    @inline(__always)
    static func sigmoid(_ x: Lanes) -> Lanes {
        // e^-|x| never overflows; mirror for negative x.
        let e = exp(-abs(x))
        let positive = 1 / (1 + e)
        return positive.replacing(with: e * positive, where: x .< 0)
    }

    /// The hyperbolic tangent, accurate near 0 (a polynomial there) and saturating cleanly.
    @inline(__always)
    static func tanh(_ x: Lanes) -> Lanes {
        let a = abs(x)
        // |x| >= 0.625: 1 - 2 / (e^2|x| + 1), with the sign put back.
        let e = exp(2 * a.replacing(with: 20, where: a .> 20))
        var large = 1 - 2 / (e + 1)
        large = large.replacing(with: -large, where: x .< 0)
        // |x| < 0.625: Cephes' odd polynomial.
        let z = x * x
        var p = Lanes(repeating: -5.704_988_7e-3)
        p = p * z + 2.063_908_9e-2
        p = p * z - 5.373_971_2e-2
        p = p * z + 1.333_144_2e-1
        p = p * z - 3.333_328_2e-1
        let small = x + x * z * p
        var result = small.replacing(with: large, where: a .>= 0.625)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// `log(1 + e^x)` without overflow, accurate for large negative `x` (where it is about `e^x`).
    @inline(__always)
    static func softplus(_ x: Lanes) -> Lanes {
        let t = exp(-abs(x))  // in (0, 1]
        // log1p(t) = log(u) * t / (u - 1) with u = 1 + t: exact to rounding even for tiny t.
        let u = 1 + t
        let denominator = u - 1
        let log1p = (log(u) * t / denominator).replacing(with: t, where: denominator .== 0)
        return x.replacing(with: 0, where: x .< 0) + log1p
    }

    /// Runs `body` on `range` eight lanes at a time; the tail (fewer than eight elements) is
    /// padded with `fill` on the way in and dropped on the way out, so every element takes the
    /// same vector code and results do not depend on where a thread's range starts.
    @inline(__always)
    static func forEachChunk(_ range: Range<Int>, _ body: (Int, Int) -> Void) {
        var i = range.lowerBound
        while i + width <= range.upperBound {
            body(i, width)
            i += width
        }
        if i < range.upperBound { body(i, range.upperBound - i) }
    }

    /// Loads `count` (at most eight) floats from `p`, padding with `fill`.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ count: Int, fill: Float = 0) -> Lanes {
        if count == width { return UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
        var lanes = Lanes(repeating: fill)
        for k in 0..<count { lanes[k] = p[k] }
        return lanes
    }

    /// Stores the first `count` (at most eight) lanes to `p`.
    @inline(__always)
    static func store(_ lanes: Lanes, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count == width {
            UnsafeMutableRawPointer(p).storeBytes(of: lanes, as: Lanes.self)
            return
        }
        for k in 0..<count { p[k] = lanes[k] }
    }
}
