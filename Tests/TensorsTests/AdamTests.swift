import Foundation
import Testing
@testable import Tensors

extension TensorsTests {
    @Suite("Adam") struct AdamTests {
        @Test func constantGradientFollowsClosedForm() throws {
            // With a constant gradient g, the bias-corrected moments are exactly g and g^2,
            // so every step moves by lr * g / (|g| + eps).
            let parameters = ParameterSet(seed: 1)
            let p = try parameters.add("p", shape: [3], initializer: .constant(1))
            var adam = Adam(learningRate: 0.01)
            let gradient: [Float] = [0.5, -2, 1e-3]
            for _ in 0..<5 {
                parameters.zeroGradients()
                let g = parameters.gradient(p)
                for i in 0..<3 { g.pointer[i] = gradient[i] }
                adam.update(parameters)
            }
            let values = parameters.tensor(p).scalars
            for i in 0..<3 {
                let g = Double(gradient[i])
                let expected = 1 - 5 * 0.01 * g / (abs(g) + 1e-8)
                #expect(abs(Double(values[i]) - expected) < 1e-5, "element \(i): \(values[i]) vs \(expected)")
            }
            #expect(adam.step == 5)
        }

        @Test func varyingGradientMatchesReference() throws {
            let parameters = ParameterSet(seed: 2)
            let p = try parameters.add("p", shape: [4], initializer: .uniform(bound: 1))
            var reference = parameters.tensor(p).scalars.map(Double.init)
            var m = [Double](repeating: 0, count: 4), v = m
            var adam = Adam(learningRate: 0.1, beta1: 0.8, beta2: 0.9, epsilon: 1e-6)
            for step in 1...4 {
                parameters.zeroGradients()
                // A gradient that depends on the current values: d/dp of sum(p^3)/3.
                let values = parameters.tensor(p).scalars
                let g = parameters.gradient(p)
                for i in 0..<4 { g.pointer[i] = values[i] * values[i] }
                adam.update(parameters)
                for i in 0..<4 {
                    let gi = reference[i] * reference[i]
                    m[i] = 0.8 * m[i] + 0.2 * gi
                    v[i] = 0.9 * v[i] + 0.1 * gi * gi
                    let mHat = m[i] / (1 - pow(0.8, Double(step)))
                    let vHat = v[i] / (1 - pow(0.9, Double(step)))
                    reference[i] -= 0.1 * mHat / (vHat.squareRoot() + 1e-6)
                }
            }
            let values = parameters.tensor(p).scalars
            for i in 0..<4 { #expect(abs(Double(values[i]) - reference[i]) < 1e-4) }
        }

        @Test func trainingStepReducesLossAndZeroesGradients() throws {
            let parameters = ParameterSet(seed: 3)
            let w = try parameters.add("w", shape: [2, 3, 3, 3], initializer: .pytorchDefault(fanIn: 27))
            let x = testValues([2, 3, 5, 5], seed: 41)
            let target = testValues([2, 2, 5, 5], seed: 42)
            var adam = Adam(learningRate: 0.05)
            func loss() throws -> (Tape, Tensor) {
                let tape = Tape()
                let tracked = parameters.track(on: tape)
                let y = try x.conv2d(tracked[w], padding: 1)
                return (tape, try Tensor.gaussianNegativeLogLikelihood(of: target, mean: y, standardDeviation: 1).mean())
            }
            let (tape, first) = try loss()
            try tape.backward(from: first)
            #expect(parameters.gradient(w).scalars.contains { $0 != 0 })
            adam.update(parameters)
            parameters.zeroGradients()
            #expect(parameters.gradient(w).scalars.allSatisfy { $0 == 0 })
            for _ in 0..<20 {
                let (tape, value) = try loss()
                try tape.backward(from: value)
                adam.update(parameters)
                parameters.zeroGradients()
            }
            let last = try loss().1
            let (lastValue, firstValue) = (try #require(last.scalar), try #require(first.scalar))
            #expect(lastValue < firstValue)
        }
    }
}
