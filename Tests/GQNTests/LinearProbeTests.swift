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

    @Test("average precision by hand: ranks, ties as one step, labels without positives skipped")
    func averagePrecision() throws {
        // Positives at ranks 1 and 3: (1/2)(1/1) + (1/2)(2/3) = 5/6.
        let ap = try #require(ProbeScores.averagePrecision(scores: [0.9, 0.8, 0.7, 0.6], truth: [true, false, true, false]))
        #expect(abs(ap - 5.0 / 6.0) < 1e-12)
        // Ranked the other way round: (1/2)(1/2) + (1/2)(2/4) = 1/2.
        let reversed = try #require(ProbeScores.averagePrecision(scores: [0.6, 0.7, 0.8, 0.9], truth: [true, false, true, false]))
        #expect(abs(reversed - 0.5) < 1e-12)
        // One constant score: one step at precision = prevalence.
        #expect(ProbeScores.averagePrecision(scores: [0.3, 0.3, 0.3, 0.3], truth: [false, true, false, false]) == 0.25)
        // A tie between a positive and a negative ranked first: precision 1/2 there.
        let tied = try #require(ProbeScores.averagePrecision(scores: [0.9, 0.9, 0.1], truth: [true, false, true]))
        #expect(abs(tied - (0.5 * 0.5 + 0.5 * 2.0 / 3.0)) < 1e-12)
        #expect(ProbeScores.averagePrecision(scores: [0.1, 0.2], truth: [false, false]) == nil)
        // Mean over the two labels with a positive (the third has none).
        let truth = [[true, false, false], [false, true, false], [true, false, false], [false, false, false]]
        let scores: [[Float]] = [[0.9, 0.1, 0.5], [0.8, 0.2, 0.5], [0.7, 0.3, 0.5], [0.6, 0.4, 0.5]]
        let label0 = 0.5 * 1 + 0.5 * 2.0 / 3.0, label1 = 1.0 / 3.0
        #expect(abs(ProbeScores.meanAveragePrecision(scores: scores, truth: truth) - (label0 + label1) / 2) < 1e-12)
        // A score that ignores the example gets the mean prevalence.
        let constant = truth.map { $0.map { _ in Float(0.5) } }
        #expect(abs(ProbeScores.meanAveragePrecision(scores: constant, truth: truth) - ProbeScores.meanPrevalence(truth)) < 1e-12)
        #expect(abs(ProbeScores.meanPrevalence(truth) - (0.5 + 0.25) / 2) < 1e-12)
    }

    @Test("the chosen threshold maximises F1 where 0.5 predicts nothing")
    func bestThreshold() {
        // Calibrated probabilities of a rare label never reach 0.5, yet rank it well.
        let p: [[Float]] = [[0.2], [0.35], [0.4], [0.1], [0.3], [0.05]]
        let truth = [[false], [true], [true], [false], [true], [false]]
        #expect(ProbeScores.microF1(predicted: p.map { $0.map { $0 > 0.5 } }, truth: truth) == 0)
        let chosen = ProbeScores.bestThreshold(probabilities: p, truth: truth)
        // Any threshold in [0.2, 0.3) separates them; the smallest candidate there wins.
        #expect(chosen.threshold == 0.2 && chosen.f1 == 1)
        let coarse = ProbeScores.bestThreshold(probabilities: p, truth: truth, candidates: [0.5, 0.32])
        #expect(coarse.threshold == 0.32 && abs(coarse.f1 - 0.8) < 1e-12)  // TP 2, FN 1
    }

    @Test("the multi-label probe picks a threshold on held-out rows and beats 0.5 on a rare planted label")
    func multiLabelThreshold() {
        // A label present in about 15 % of the rows, a noisy function of the first feature.
        func labels(_ x: FeatureMatrix, noise: [Float]) -> [[Bool]] {
            (0..<x.rows).map { [x[$0, 0] + noise[$0] > 0.7] }
        }
        let train = Self.uniform(1_000, 4, seed: 11), test = Self.uniform(1_000, 4, seed: 12)
        let trainLabels = labels(train, noise: Tensor.randomUniform(shape: [1_000], lower: -0.6, upper: 0.6, seed: 13).scalars)
        let testLabels = labels(test, noise: Tensor.randomUniform(shape: [1_000], lower: -0.6, upper: 0.6, seed: 14).scalars)
        let probe = Probe(context: 1)
        let chosen = probe.selectMultiLabel(train, trainLabels, columns: 1)
        let p = chosen.model.probabilities(test)
        let rows = p.rowArrays
        let tuned = ProbeScores.microF1(predicted: ProbeScores.labels(rows, above: chosen.threshold), truth: testLabels)
        let fixed = ProbeScores.microF1(predicted: chosen.model.predictedLabels(test), truth: testLabels)
        #expect(chosen.threshold < 0.5 && tuned > fixed + 0.02, "threshold \(chosen.threshold): F1 \(tuned) against \(fixed) at 0.5")
        #expect(ProbeScores.meanAveragePrecision(scores: rows, truth: testLabels) > ProbeScores.meanPrevalence(testLabels) + 0.3)
    }

    @Test("a probe without usable thresholds is refused before any data is read")
    func thresholdsValidated() throws {
        let model = try GQNModel(configuration: testConfiguration(), seed: 1)
        let missing = URL(fileURLWithPath: "/nonexistent-probe-data")
        for thresholds: [Float] in [[], [0.5, 1], [0]] {
            var probe = Probe(context: 1)
            probe.thresholds = thresholds
            #expect {
                _ = try probe.run(trained: model, untrained: model, directory: missing, checkpoint: "c", step: 0)
            } throws: { error in
                "\(error)".contains("thresholds") && "\(error)".contains("(0, 1)")
            }
        }
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
