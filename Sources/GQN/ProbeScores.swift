/// The scores the probes are judged by.
public enum ProbeScores {
    /// The fraction of examples whose predicted class is the true one (0 for no example).
    public static func accuracy(predicted: [Int], truth: [Int]) -> Double {
        precondition(predicted.count == truth.count, "accuracy: \(predicted.count) predictions, \(truth.count) truths")
        guard !truth.isEmpty else { return 0 }
        return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// Micro-averaged F1 of multi-label predictions: true positives, false positives and false
    /// negatives are counted over every (example, label) pair, then `F1 = 2 TP / (2 TP + FP + FN)`;
    /// 1 when there is no positive at all, predicted or true.
    public static func microF1(predicted: [[Bool]], truth: [[Bool]]) -> Double {
        precondition(predicted.count == truth.count, "microF1: \(predicted.count) predictions, \(truth.count) truths")
        var truePositives = 0, falsePositives = 0, falseNegatives = 0
        for (p, t) in zip(predicted, truth) {
            precondition(p.count == t.count, "microF1: \(p.count) predicted labels, \(t.count) true")
            for (a, b) in zip(p, t) {
                if a && b { truePositives += 1 } else if a { falsePositives += 1 } else if b { falseNegatives += 1 }
            }
        }
        let denominator = 2 * truePositives + falsePositives + falseNegatives
        return denominator == 0 ? 1 : Double(2 * truePositives) / Double(denominator)
    }

    /// The decision threshold that maximises ``microF1(predicted:truth:)`` when a label is
    /// predicted present where its probability exceeds it, among `candidates` (the smallest wins
    /// ties), with that F1.
    ///
    /// A probe fitted by likelihood is calibrated: for a label present in a quarter of the
    /// scenes, a probability above one half is rare, so the fixed threshold 0.5 predicts
    /// "absent" more often as the probe learns, and its F1 falls with more training scenes.
    /// ``Probe`` therefore chooses the threshold on held-out scenes, like the regulariser.
    public static func bestThreshold(
        probabilities: [[Float]], truth: [[Bool]], candidates: [Float] = defaultThresholds
    ) -> (threshold: Float, f1: Double) {
        precondition(!candidates.isEmpty, "bestThreshold: no candidate")
        var best: (threshold: Float, f1: Double)?
        for threshold in candidates.sorted() {
            let f1 = microF1(predicted: labels(probabilities, above: threshold), truth: truth)
            if best.map({ f1 > $0.f1 }) ?? true { best = (threshold, f1) }
        }
        return best!
    }

    /// Multi-label predictions: a label is present where its probability exceeds `threshold`.
    public static func labels(_ probabilities: [[Float]], above threshold: Float) -> [[Bool]] {
        probabilities.map { $0.map { $0 > threshold } }
    }

    /// The thresholds ``bestThreshold(probabilities:truth:candidates:)`` tries by default:
    /// 0.05, 0.10, ..., 0.95.
    public static let defaultThresholds: [Float] = (1...19).map { Float($0) / 20 }

    /// Average precision of one label: the examples ranked by descending score, the mean over
    /// recall steps of the precision reached there, `sum_k (R_k - R_{k-1}) P_k`, where each
    /// distinct score is one step (tied examples enter together, so a constant score gives the
    /// label's prevalence). Nil when no example is positive.
    public static func averagePrecision(scores: [Float], truth: [Bool]) -> Double? {
        precondition(scores.count == truth.count, "averagePrecision: \(scores.count) scores, \(truth.count) truths")
        let positives = truth.filter { $0 }.count
        guard positives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0, seen = 0, total = 0.0, index = 0
        while index < order.count {
            var end = index, groupPositives = 0
            while end < order.count, scores[order[end]] == scores[order[index]] {
                if truth[order[end]] { groupPositives += 1 }
                end += 1
            }
            truePositives += groupPositives
            seen = end
            total += Double(groupPositives) / Double(positives) * Double(truePositives) / Double(seen)
            index = end
        }
        return total
    }

    /// Mean average precision of multi-label scores: ``averagePrecision(scores:truth:)`` per
    /// label (column), averaged over the labels with at least one positive example (0 when
    /// none has). Threshold-free, unlike F1; a featureless (constant) score gets the mean
    /// prevalence, ``meanPrevalence(_:)``.
    public static func meanAveragePrecision(scores: [[Float]], truth: [[Bool]]) -> Double {
        precondition(scores.count == truth.count, "meanAveragePrecision: \(scores.count) examples scored, \(truth.count) true")
        let columns = truth.first?.count ?? 0
        let precisions = (0..<columns).compactMap { column in
            averagePrecision(scores: scores.map { $0[column] }, truth: truth.map { $0[column] })
        }
        return precisions.isEmpty ? 0 : precisions.reduce(0, +) / Double(precisions.count)
    }

    /// The share of examples in which a label is present, averaged over the labels present at
    /// least once: the mean average precision of a score that ignores its input.
    public static func meanPrevalence(_ truth: [[Bool]]) -> Double {
        let columns = truth.first?.count ?? 0
        let shares = (0..<columns).compactMap { column -> Double? in
            let present = truth.filter { $0[column] }.count
            return present == 0 ? nil : Double(present) / Double(truth.count)
        }
        return shares.isEmpty ? 0 : shares.reduce(0, +) / Double(shares.count)
    }

    /// The most frequent class (the smallest on ties).
    public static func majorityClass(_ classes: [Int]) -> Int {
        var counts: [Int: Int] = [:]
        for value in classes { counts[value, default: 0] += 1 }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 0
    }

    /// The mean Euclidean distance between predicted and true points (0 for no point).
    public static func meanDistance(predicted: [SIMD2<Float>], truth: [SIMD2<Float>]) -> Double {
        precondition(predicted.count == truth.count, "meanDistance: \(predicted.count) predictions, \(truth.count) truths")
        guard !truth.isEmpty else { return 0 }
        return zip(predicted, truth).reduce(0.0) { total, pair in
            let d = pair.0 - pair.1
            return total + Double((d * d).sum()).squareRoot()
        } / Double(truth.count)
    }
}
