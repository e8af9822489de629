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
