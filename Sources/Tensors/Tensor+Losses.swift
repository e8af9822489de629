#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor {
    /// The negative log-likelihood of `target` under a Gaussian with mean `mean` and a
    /// fixed standard deviation, summed over all but the first (batch) axis.
    ///
    /// Per element: `0.5 ((x - mu) / sigma)^2 + log sigma + 0.5 log(2 pi)`. Fused: one
    /// pass forward, one backward, no intermediate tensors.
    /// - Parameters:
    ///   - target: The observed values, `[B, ...]`.
    ///   - mean: The predicted means, same shape as `target`.
    ///   - standardDeviation: The pixel standard deviation (must be positive).
    /// - Returns: `[B]`, one negative log-likelihood per example, in nats.
    /// - Throws: ``TensorError`` when the shapes differ or `standardDeviation <= 0`.
    public static func gaussianNegativeLogLikelihood(
        of target: Tensor, mean: Tensor, standardDeviation: Float
    ) throws -> Tensor {
        let operation = "gaussianNegativeLogLikelihood"
        try Tape.checkSameTape([target, mean], operation: operation)
        guard target.shape == mean.shape, target.shape.count >= 1 else {
            throw TensorError.shapeMismatch(operation: operation, expected: "mean \(target.shape)", found: "\(mean.shape)")
        }
        guard standardDeviation > 0, standardDeviation.isFinite else {
            throw TensorError.invalidArgument(
                operation: operation, expected: "a positive standard deviation", found: "\(standardDeviation)")
        }
        let batch = target.shape[0]
        let inner = target.count / Swift.max(1, batch)
        let (x, mu) = (target.detached, mean.detached)
        let inverseVariance = 1 / (standardDeviation * standardDeviation)
        let constant = Float(inner) * (logf(standardDeviation) + 0.5 * logf(2 * Float.pi))
        let y = Tensor(uninitializedShape: [batch])
        let (xp, mp, yp) = (x.pointer, mu.pointer, y.pointer)
        parallelChunks(batch) { range in
            for b in range {
                var total: Float = 0
                for j in (b * inner)..<((b + 1) * inner) {
                    let d = xp[j] - mp[j]
                    total += d * d
                }
                yp[b] = 0.5 * inverseVariance * total + constant
            }
        }
        return Tape.record("gaussianNLL", [target, mean], output: y) { context in
            guard let gy = context.outputGradient(0) else { return }
            let (xp, mp) = (x.pointer, mu.pointer)
            for (input, sign) in [(0, Float(1)), (1, Float(-1))] {
                guard let g = context.inputGradient(input) else { continue }
                parallelChunks(batch) { range in
                    for b in range {
                        let scale = sign * gy[b] * inverseVariance
                        for j in (b * inner)..<((b + 1) * inner) { g[j] += scale * (xp[j] - mp[j]) }
                    }
                }
            }
        }
    }

    /// The KL divergence `KL(q || p)` between diagonal Gaussians, summed over all but the
    /// first (batch) axis.
    ///
    /// Per element: `log sp - log sq + (sq^2 + (mq - mp)^2) / (2 sp^2) - 1/2`. Fused: one
    /// pass forward, one backward.
    /// - Parameters:
    ///   - meanQ: The posterior means, `[B, ...]`.
    ///   - standardDeviationQ: The posterior standard deviations (positive), same shape.
    ///   - meanP: The prior means, same shape.
    ///   - standardDeviationP: The prior standard deviations (positive), same shape.
    /// - Returns: `[B]`, one KL divergence per example, in nats.
    /// - Throws: ``TensorError/shapeMismatch(operation:expected:found:)`` when the shapes differ.
    public static func gaussianKLDivergence(
        meanQ: Tensor, standardDeviationQ: Tensor, meanP: Tensor, standardDeviationP: Tensor
    ) throws -> Tensor {
        let operation = "gaussianKLDivergence"
        let inputs = [meanQ, standardDeviationQ, meanP, standardDeviationP]
        try Tape.checkSameTape(inputs, operation: operation)
        for input in inputs where input.shape != meanQ.shape || input.shape.isEmpty {
            throw TensorError.shapeMismatch(operation: operation, expected: "\(meanQ.shape) for all four", found: "\(input.shape)")
        }
        let batch = meanQ.shape[0]
        let inner = meanQ.count / Swift.max(1, batch)
        let saved = inputs.map(\.detached)
        let y = Tensor(uninitializedShape: [batch])
        let (mq, sq, mp, sp, yp) = (saved[0].pointer, saved[1].pointer, saved[2].pointer, saved[3].pointer, y.pointer)
        parallelChunks(batch) { range in
            for b in range {
                // Eight running sums in a fixed order; padded tail lanes (both deviations 1,
                // means 0) contribute exactly 0.
                var lanes = VectorMath.Lanes.zero
                VectorMath.forEachChunk((b * inner)..<((b + 1) * inner)) { j, n in
                    let d = VectorMath.load(mq + j, n) - VectorMath.load(mp + j, n)
                    let (q, p) = (VectorMath.load(sq + j, n, fill: 1), VectorMath.load(sp + j, n, fill: 1))
                    lanes += VectorMath.log(p / q) + (q * q + d * d) / (2 * p * p) - 0.5
                }
                yp[b] = lanes.sum()
            }
        }
        return Tape.record("gaussianKL", inputs, output: y) { context in
            guard let gy = context.outputGradient(0) else { return }
            let (mq, sq, mp, sp) = (saved[0].pointer, saved[1].pointer, saved[2].pointer, saved[3].pointer)
            let gmq = context.inputGradient(0)
            let gsq = context.inputGradient(1)
            let gmp = context.inputGradient(2)
            let gsp = context.inputGradient(3)
            parallelChunks(batch) { range in
                for b in range {
                    let g = gy[b]
                    for j in (b * inner)..<((b + 1) * inner) {
                        let d = mq[j] - mp[j]
                        let inverseVariance = 1 / (sp[j] * sp[j])
                        gmq?[j] += g * d * inverseVariance
                        gmp?[j] -= g * d * inverseVariance
                        gsq?[j] += g * (sq[j] * inverseVariance - 1 / sq[j])
                        gsp?[j] += g * (1 / sp[j] - (sq[j] * sq[j] + d * d) * inverseVariance / sp[j])
                    }
                }
            }
        }
    }
}
