import Foundation
import Testing
@testable import Tensors

extension TensorsTests {
    @Suite("Fused operations against their definitions") struct FusedOperationTests {
        @Test func lstmCellMatchesComposedOperations() throws {
            let gates = testValues([2, 12, 3, 2], seed: 51)
            let cell = testValues([2, 3, 3, 2], seed: 52)
            let (hidden, newCell) = try Tensor.lstmCell(gates: gates, cell: cell)
            let parts = try gates.split(sizes: [3, 3, 3, 3], alongAxis: 1)
            let (f, i, o, g) = (parts[0].sigmoid(), parts[1].sigmoid(), parts[2].sigmoid(), parts[3].tanh())
            let expectedCell = try f * cell + i * g
            let expectedHidden = try o * expectedCell.tanh()
            #expect(relativeError(newCell.scalars, expectedCell.scalars) < 1e-6)
            #expect(relativeError(hidden.scalars, expectedHidden.scalars) < 1e-6)
        }

        @Test func gaussianNegativeLogLikelihoodMatchesDefinition() throws {
            let x = testValues([2, 3, 4], seed: 53)
            let mu = testValues([2, 3, 4], seed: 54)
            let nll = try Tensor.gaussianNegativeLogLikelihood(of: x, mean: mu, standardDeviation: 0.7).scalars
            let (xs, ms) = (x.scalars, mu.scalars)
            for b in 0..<2 {
                var expected = 0.0
                for j in (b * 12)..<((b + 1) * 12) {
                    let z = Double(xs[j] - ms[j]) / 0.7
                    expected += 0.5 * z * z + Foundation.log(0.7) + 0.5 * Foundation.log(2 * Double.pi)
                }
                #expect(abs(Double(nll[b]) - expected) < 1e-4)
            }
            // A perfect mean costs exactly the floor 0.5 ln(2 pi sigma^2) per value.
            let floor = try Tensor.gaussianNegativeLogLikelihood(of: x, mean: x, standardDeviation: 0.7).scalars
            #expect(abs(Double(floor[0]) - 12 * 0.5 * Foundation.log(2 * Double.pi * 0.49)) < 1e-4)
        }

        @Test func gaussianKLDivergenceMatchesDefinition() throws {
            let shape = [2, 5]
            let (mq, sq) = (testValues(shape, seed: 55), testValues(shape, seed: 56, positive: true))
            let (mp, sp) = (testValues(shape, seed: 57), testValues(shape, seed: 58, positive: true))
            let kl = try Tensor.gaussianKLDivergence(meanQ: mq, standardDeviationQ: sq, meanP: mp, standardDeviationP: sp).scalars
            for b in 0..<2 {
                var expected = 0.0
                for j in (b * 5)..<((b + 1) * 5) {
                    let (a, s, m, t) = (Double(mq.scalars[j]), Double(sq.scalars[j]), Double(mp.scalars[j]), Double(sp.scalars[j]))
                    expected += Foundation.log(t / s) + (s * s + (a - m) * (a - m)) / (2 * t * t) - 0.5
                }
                #expect(abs(Double(kl[b]) - expected) < 1e-4)
                #expect(kl[b] >= 0)
            }
            let zero = try Tensor.gaussianKLDivergence(meanQ: mq, standardDeviationQ: sq, meanP: mq, standardDeviationP: sq)
            #expect(zero.scalars.allSatisfy { abs($0) < 1e-6 })
        }

        @Test func softplusIsStableForLargeInputs() throws {
            let x = try Tensor(shape: [4], scalars: [-100, -1, 1, 100])
            let y = x.softplus().scalars
            #expect(y[0] >= 0 && y[0] < 1e-30)
            #expect(abs(y[3] - 100) < 1e-5)
            #expect(abs(y[2] - Float(Foundation.log(1 + Foundation.exp(1.0)))) < 1e-6)
            #expect(x.sigmoid().scalars.allSatisfy { $0.isFinite })
        }
    }
}
