import Foundation
import Testing
@testable import Tensors

extension TensorsTests {
    @Suite("Vectorised transcendentals against libm in Double") struct VectorMathTests {
        /// Evaluates `vector` on `inputs` eight at a time and returns the largest error against
        /// `reference`, measured as `|found - expected| / max(|expected|, floor)`.
        func worstError(
            _ inputs: [Float], floor: Double, _ vector: (SIMD8<Float>) -> SIMD8<Float>, _ reference: (Double) -> Double
        ) -> (error: Double, at: Float) {
            var worst = (error: 0.0, at: Float.nan)
            var index = 0
            while index < inputs.count {
                var lanes = SIMD8<Float>(repeating: inputs[index])
                for k in 0..<8 where index + k < inputs.count { lanes[k] = inputs[index + k] }
                let result = vector(lanes)
                for k in 0..<8 where index + k < inputs.count {
                    let expected = reference(Double(inputs[index + k]))
                    let error = Swift.abs(Double(result[k]) - expected) / Swift.max(Swift.abs(expected), floor)
                    if !(error <= worst.error) { worst = (error, inputs[index + k]) }
                }
                index += 8
            }
            return worst
        }

        /// `count` points evenly spaced over `range`, plus its end points.
        func sweep(_ range: ClosedRange<Float>, count: Int = 200_003) -> [Float] {
            (0...count).map { range.lowerBound + (range.upperBound - range.lowerBound) * Float($0) / Float(count) }
        }

        @Test func exp() {
            let worst = worstError(sweep(-87.3...88.3), floor: 1e-300, VectorMath.exp, Foundation.exp)
            #expect(worst.error < 3e-7, "worst relative error \(worst.error) at \(worst.at)")
            let special = VectorMath.exp(SIMD8<Float>(-.infinity, .infinity, .nan, 0, -100, 100, 1, -1))
            #expect(special[0] == 0 && special[1] == .infinity && special[2].isNaN && special[3] == 1)
            #expect(special[4] == 0 && special[5] == .infinity)
        }

        @Test func log() {
            // Multiplicative sweep over the whole normal range, and a dense one around 1.
            let wide = (0...200_000).map { Float(Foundation.exp(-87.0 + 175.0 * Double($0) / 200_000)) }
            let worst = worstError(wide + sweep(0.5...2), floor: 1, VectorMath.log, Foundation.log)
            #expect(worst.error < 2e-7, "worst error \(worst.error) at \(worst.at)")
            let special = VectorMath.log(SIMD8<Float>(0, -1, .infinity, .nan, 1, 2, .leastNormalMagnitude, 4))
            #expect(special[0] == -.infinity && special[1].isNaN && special[2] == .infinity && special[3].isNaN)
            #expect(special[4] == 0)
        }

        @Test func tanh() {
            let worst = worstError(sweep(-12...12) + sweep(-1e-3...1e-3), floor: 1e-30, VectorMath.tanh, Foundation.tanh)
            #expect(worst.error < 4e-7, "worst relative error \(worst.error) at \(worst.at)")
            let special = VectorMath.tanh(SIMD8<Float>(-.infinity, .infinity, .nan, 0, -30, 30, 0.625, -0.625))
            #expect(special[0] == -1 && special[1] == 1 && special[2].isNaN && special[3] == 0)
        }

        @Test func sigmoid() {
            let worst = worstError(sweep(-87...30), floor: 1e-300, VectorMath.sigmoid) { 1 / (1 + Foundation.exp(-$0)) }
            #expect(worst.error < 5e-7, "worst relative error \(worst.error) at \(worst.at)")
            let special = VectorMath.sigmoid(SIMD8<Float>(-.infinity, .infinity, 0, -200, 200, 1, -1, 2))
            #expect(special[0] == 0 && special[1] == 1 && special[2] == 0.5 && special[3] == 0 && special[4] == 1)
        }

        @Test func softplus() {
            let worst = worstError(sweep(-87...87), floor: 1e-300, VectorMath.softplus) { Foundation.log1p(Foundation.exp($0)) }
            #expect(worst.error < 5e-7, "worst relative error \(worst.error) at \(worst.at)")
            let special = VectorMath.softplus(SIMD8<Float>(-.infinity, .infinity, 0, -200, 200, 1, -1, 2))
            #expect(special[0] == 0 && special[1] == .infinity && Swift.abs(special[2] - 0.693_147_2) < 1e-7)
            #expect(special[3] == 0 && special[4] == 200)
        }

        @Test("results do not depend on where a thread's range starts (tail lanes)")
        func tailIndependence() {
            let x = testValues([37], seed: 3).scalars.map { $0 * 6 }
            var whole = [Float](repeating: 0, count: 37)
            var pieces = [Float](repeating: 0, count: 37)
            x.withUnsafeBufferPointer { xp in
                whole.withUnsafeMutableBufferPointer { vectorized(xp.baseAddress!, $0.baseAddress!, 0..<37, fill: 0, VectorMath.tanh) }
                pieces.withUnsafeMutableBufferPointer { yp in
                    for range in [0..<5, 5..<19, 19..<37] { vectorized(xp.baseAddress!, yp.baseAddress!, range, fill: 0, VectorMath.tanh) }
                }
            }
            #expect(whole == pieces)
        }
    }
}
