#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counter-based random numbers: value `i` of a stream is a pure function of
/// `(seed, i)`, so tensors can be filled in parallel and the result never depends on
/// the thread count or the Swift version (unlike `random(in:)`).
///
/// The mixing function is SplitMix64's finaliser; normal deviates use Box-Muller.
public struct RandomStream: Sendable, Hashable {
    /// The scrambled seed that keys the stream.
    let key: UInt64

    /// Creates the stream for a seed.
    /// - Parameter seed: Any value; equal seeds give equal streams.
    public init(seed: UInt64) { key = RandomStream.mix(seed ^ 0x6A09_E667_F3BC_C909) }

    /// A stream derived from this one for a sub-task (a parameter, a step, a layer).
    /// - Parameter index: The sub-task's number; distinct indices give unrelated streams.
    /// - Returns: The derived stream.
    public func derived(_ index: UInt64) -> RandomStream { RandomStream(seed: RandomStream.mix(key &+ RandomStream.mix(index))) }

    /// SplitMix64's output function (``SeedMixer/finalise(_:)``).
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 { SeedMixer.finalise(value) }

    /// The 64 random bits at position `counter`.
    @inline(__always)
    func bits(_ counter: Int) -> UInt64 { RandomStream.mix(key &+ UInt64(truncatingIfNeeded: counter) &* 0xD1B5_4A32_D192_ED03) }

    /// A uniform double in (0, 1] at position `counter`.
    @inline(__always)
    func unit(_ counter: Int) -> Double { (Double(bits(counter) >> 11) + 1) * 0x1p-53 }

    /// Fills `destination[0..<count]` with normal deviates `mean + standardDeviation * N(0, 1)`.
    func fillNormal(_ destination: UnsafeMutablePointer<Float>, count: Int, mean: Float, standardDeviation: Float) {
        let pairs = (count + 1) / 2
        parallelChunks(pairs, grain: 8192) { range in
            for pair in range {
                let radius = (-2 * log(unit(2 * pair))).squareRoot()
                let angle = 2 * Double.pi * unit(2 * pair + 1)
                destination[2 * pair] = mean + standardDeviation * Float(radius * cos(angle))
                if 2 * pair + 1 < count {
                    destination[2 * pair + 1] = mean + standardDeviation * Float(radius * sin(angle))
                }
            }
        }
    }

    /// Fills `destination[0..<count]` with uniform values in `[lower, upper)`.
    func fillUniform(_ destination: UnsafeMutablePointer<Float>, count: Int, lower: Float, upper: Float) {
        parallelChunks(count, grain: 16384) { range in
            for i in range {
                let u = Float(bits(i) >> 40) * 0x1p-24
                destination[i] = lower + (upper - lower) * u
            }
        }
    }
}

extension Tensor {
    /// A tensor of independent normal deviates, reproducible from `seed` on any thread count.
    /// - Parameters:
    ///   - shape: The extent of each dimension.
    ///   - seed: The stream seed.
    ///   - mean: The distribution's mean.
    ///   - standardDeviation: The distribution's standard deviation.
    /// - Returns: The untracked noise tensor.
    public static func randomNormal(
        shape: [Int], seed: UInt64, mean: Float = 0, standardDeviation: Float = 1
    ) -> Tensor {
        let tensor = Tensor(uninitializedShape: shape)
        RandomStream(seed: seed).fillNormal(tensor.pointer, count: tensor.count, mean: mean, standardDeviation: standardDeviation)
        return tensor
    }

    /// A tensor of independent uniform values in `[lower, upper)`, reproducible from `seed`.
    /// - Parameters:
    ///   - shape: The extent of each dimension.
    ///   - lower: The smallest possible value.
    ///   - upper: The bound values stay below.
    ///   - seed: The stream seed.
    /// - Returns: The untracked tensor.
    public static func randomUniform(shape: [Int], lower: Float, upper: Float, seed: UInt64) -> Tensor {
        let tensor = Tensor(uninitializedShape: shape)
        RandomStream(seed: seed).fillUniform(tensor.pointer, count: tensor.count, lower: lower, upper: upper)
        return tensor
    }
}
