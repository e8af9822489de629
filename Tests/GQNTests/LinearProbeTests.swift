import Foundation
import Tensors
import Testing
@testable import GQN

/// The linear models behind the probes, on synthetic data with a planted relationship.
@Suite("linear probes")
struct LinearProbeTests {
    /// `rows x columns` uniform values in [-1, 1], seeded.
    static func uniform(_ rows: Int, _ columns: Int, seed: UInt64) -> FeatureMatrix {
        FeatureMatrix(rows: rows, columns: columns, values: Tensor.randomUniform(shape: [rows, columns], lower: -1, upper: 1, seed: seed).scalars)
    }

    @Test("ridge recovers known weights and intercepts")
    func ridgeRecoversWeights() throws {
        let x = Self.uniform(300, 5, seed: 1)
        let noise = Tensor.randomUniform(shape: [300, 2], lower: -0.01, upper: 0.01, seed: 2).scalars
        let weights: [[Double]] = [[1.5, -2, 0, 0.5, 3], [0, 1, -1, 2, -0.25]]
        let intercepts = [0.7, -1.2]
        var y: [Float] = []
        for row in 0..<300 {
            for o in 0..<2 {
                let value = zip(weights[o], x[row: row]).reduce(intercepts[o]) { $0 + $1.0 * Double($1.1) }
                y.append(Float(value) + noise[row * 2 + o])
            }
        }
        let targets = FeatureMatrix(rows: 300, columns: 2, values: y)
        let model = try #require(RidgeRegression.fit(features: x, targets: targets, regularization: 1e-6))
        for o in 0..<2 {
            for j in 0..<5 { #expect(abs(model.weights[o][j] - weights[o][j]) < 5e-3, "w[\(o)][\(j)] = \(model.weights[o][j])") }
            #expect(abs(model.intercepts[o] - intercepts[o]) < 5e-3)
        }
        let predicted = model.predict(x)
        #expect(abs(predicted[0, 1] - y[1]) < 0.05)
        // A strong regulariser shrinks the weights towards zero.
        let shrunk = try #require(RidgeRegression.fit(features: x, targets: targets, regularization: 100))
        #expect(abs(shrunk.weights[0][4]) < 0.1)
    }

    @Test("the Cholesky solver rejects a singular system")
    func singular() {
        #expect(RidgeRegression.choleskySolve([1, 1, 1, 1], [1, 2], size: 2, columns: 1) == nil)
        let solved = RidgeRegression.choleskySolve([4, 2, 2, 3], [2, 5], size: 2, columns: 1) ?? []
        #expect(solved.count == 2 && abs(solved[0] - (-0.5)) < 1e-12 && abs(solved[1] - 2) < 1e-12)
    }

    /// Three classes decided by a planted linear score: class = argmax of `x W`.
    static func planted(rows: Int, seed: UInt64) -> (FeatureMatrix, [Int]) {
        let x = uniform(rows, 6, seed: seed)
        let w: [[Float]] = [[2, -1, 0, 0, 1, 0], [-1, 2, 1, 0, 0, 0], [0, 0, -2, 1, -1, 1]]
        let classes = (0..<rows).map { row in
            let scores = w.map { zip($0, x[row: row]).reduce(0) { $0 + $1.0 * $1.1 } }
            return scores.indices.max { scores[$0] < scores[$1] } ?? 0
        }
        return (x, classes)
    }

    @Test("multinomial logistic regression separates planted classes and falls to chance on shuffled labels")
    func logisticSoftmax() throws {
        let (train, trainClasses) = Self.planted(rows: 400, seed: 3)
        let (test, testClasses) = Self.planted(rows: 300, seed: 4)
        let model = LogisticRegression.fit(
            features: train, targets: ProbeTargets.oneHot(trainClasses, classCount: 3), output: .softmax, regularization: 1e-4)
        let accuracy = ProbeScores.accuracy(predicted: model.predictedClasses(test), truth: testClasses)
        #expect(accuracy > 0.93, "accuracy \(accuracy)")
        let rows = model.probabilities(test)
        #expect(abs(rows[row: 0].reduce(0, +) - 1) < 1e-5)

        // Labels shuffled against the features: nothing to learn, test accuracy near the majority share.
        let order = StatelessPermutation.of(trainClasses.count, seed: 9)
        let shuffled = order.map { trainClasses[$0] }
        let chance = LogisticRegression.fit(
            features: train, targets: ProbeTargets.oneHot(shuffled, classCount: 3), output: .softmax, regularization: 1e-2)
        let chanceAccuracy = ProbeScores.accuracy(predicted: chance.predictedClasses(test), truth: testClasses)
        let majority = ProbeScores.accuracy(
            predicted: [Int](repeating: ProbeScores.majorityClass(testClasses), count: testClasses.count), truth: testClasses)
        #expect(chanceAccuracy < 0.5 && chanceAccuracy < accuracy - 0.4, "shuffled: \(chanceAccuracy), majority \(majority)")
    }

    @Test("multi-label logistic regression recovers planted independent labels")
    func logisticSigmoid() throws {
        func labels(_ x: FeatureMatrix) -> [[Bool]] {
            (0..<x.rows).map { row in [x[row, 0] + x[row, 1] > 0.2, x[row, 2] - x[row, 3] > -0.1, x[row, 4] > 0.5] }
        }
        let train = Self.uniform(500, 6, seed: 5), test = Self.uniform(300, 6, seed: 6)
        let model = LogisticRegression.fit(
            features: train, targets: ProbeTargets.indicators(labels(train), columns: 3), output: .sigmoid, regularization: 1e-4)
        let f1 = ProbeScores.microF1(predicted: model.predictedLabels(test), truth: labels(test))
        #expect(f1 > 0.93, "F1 \(f1)")
    }

    @Test("scores: accuracy, micro-F1, majority and distance by hand")
    func scores() {
        #expect(ProbeScores.accuracy(predicted: [1, 2, 3, 1], truth: [1, 2, 0, 0]) == 0.5)
        // TP 2, FP 1, FN 2: F1 = 4 / 7.
        let f1 = ProbeScores.microF1(predicted: [[true, true, false], [true, false, false]], truth: [[true, false, true], [true, false, true]])
        #expect(abs(f1 - 4.0 / 7.0) < 1e-12)
        #expect(ProbeScores.microF1(predicted: [[false]], truth: [[false]]) == 1)
        #expect(ProbeScores.majorityClass([3, 1, 1, 3, 2]) == 1)
        #expect(abs(ProbeScores.meanDistance(predicted: [SIMD2(0, 0), SIMD2(1, 1)], truth: [SIMD2(3, 4), SIMD2(1, 1)]) - 2.5) < 1e-9)
    }

    @Test("the occupancy grid puts centres in cells and clamps outside points to the border")
    func occupancy() {
        let grid = OccupancyGrid(cells: 3, size: 7)
        #expect(grid.cell(x: 0, y: 0) == 4)
        #expect(grid.cell(x: -3.4, y: -3.4) == 0)
        #expect(grid.cell(x: 3.4, y: -3.4) == 2)
        #expect(grid.cell(x: -1.2, y: 1.2) == 6)  // column 0 (below -7/6), row 2 (above 7/6)
        #expect(grid.cell(x: 9, y: -9) == 2 && grid.cell(x: -9, y: 9) == 6)
    }

    @Test("standardisation fitted on one matrix maps it to zero mean, unit deviation; constant columns to 0")
    func standardization() {
        let x = FeatureMatrix(rows: 3, columns: 2, values: [1, 5, 2, 5, 3, 5])
        let s = FeatureMatrix.Standardization(fitting: x)
        let y = s.apply(x)
        #expect(abs(y[0, 0] + 1.2247449) < 1e-5 && y[1, 0] == 0 && y[0, 1] == 0 && y[2, 1] == 0)
    }
}

/// A seeded permutation for shuffling labels in tests (Fisher-Yates on the engine's uniform stream).
enum StatelessPermutation {
    static func of(_ count: Int, seed: UInt64) -> [Int] {
        let draws = Tensor.randomUniform(shape: [count], lower: 0, upper: 1, seed: seed).scalars
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Swift.min(i, Int(draws[i] * Float(i + 1))))
        }
        return order
    }
}
