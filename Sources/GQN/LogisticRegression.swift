import Foundation

/// A linear classifier trained by accelerated gradient descent: multinomial (softmax, one
/// class per example) or multi-label (an independent sigmoid per label). The linear probe for
/// discrete targets.
///
/// Minimises `(1/n) sum_i loss_i + (lambda / 2) |W|^2` (intercepts unpenalised), where
/// `loss_i` is the cross-entropy of the softmax over the classes, or the summed binary
/// cross-entropies of the labels. Gradient descent with Nesterov momentum and step `1 / L`,
/// `L = c * lambda_max(X^T X / n) + lambda` (`X` with a column of ones; `c` is 1/2 for
/// softmax, 1/4 for sigmoid: a bound on the loss's curvature), `lambda_max` by power
/// iteration. The objective is convex, so the result depends only on the data, lambda and
/// the iteration count, never on a seed. Features should be standardised first.
public struct LogisticRegression: Sendable, Equatable {
    /// How the outputs turn into probabilities.
    public enum Output: Sendable, Equatable {
        /// One class per example: targets are one-hot rows, predictions the argmax.
        case softmax
        /// Independent labels: targets are 0/1 per label, predictions `p > 0.5`.
        case sigmoid
    }

    /// The output kind.
    public let output: Output
    /// `[outputs x features]`, row-major.
    public let weights: [Float]
    /// `[outputs]`.
    public let biases: [Float]
    /// Features per example.
    public let featureCount: Int

    /// Fits the classifier.
    /// - Parameters:
    ///   - features: `n x d`, standardised.
    ///   - targets: `n x m`: one-hot rows (softmax) or 0/1 labels (sigmoid).
    ///   - output: Softmax or sigmoid.
    ///   - regularization: lambda, at least 0.
    ///   - iterations: Gradient steps.
    /// - Complexity: O(iterations n d m).
    public static func fit(
        features: FeatureMatrix, targets: FeatureMatrix, output: Output, regularization: Float, iterations: Int = 300
    ) -> LogisticRegression {
        precondition(features.rows == targets.rows, "LogisticRegression: \(features.rows) feature rows, \(targets.rows) target rows")
        let (n, d, m) = (features.rows, features.columns, targets.columns)
        let curvature: Float = output == .softmax ? 0.5 : 0.25
        let step = 1 / (curvature * largestEigenvalue(features) + regularization)
        // Parameters as one [m x (d + 1)] block: the weights and, last in each row, the bias.
        let width = d + 1
        var theta = [Float](repeating: 0, count: m * width)
        var previous = theta
        var gradient = [Float](repeating: 0, count: m * width)
        var probabilities = [Float](repeating: 0, count: m)
        let x = features.values, y = targets.values
        for iteration in 0..<Swift.max(0, iterations) {
            // Nesterov: evaluate the gradient at the extrapolated point.
            let momentum = Float(iteration) / Float(iteration + 3)
            var look = theta
            for i in look.indices { look[i] += momentum * (theta[i] - previous[i]) }
            for i in gradient.indices { gradient[i] = 0 }
            x.withUnsafeBufferPointer { xs in
                look.withUnsafeBufferPointer { t in
                    gradient.withUnsafeMutableBufferPointer { g in
                        for row in 0..<n {
                            let xi = UnsafeBufferPointer(rebasing: xs[(row * d)..<((row + 1) * d)])
                            scores(t, xi, into: &probabilities)
                            link(&probabilities, output)
                            for o in 0..<m {
                                let residual = (probabilities[o] - y[row * m + o]) / Float(n)
                                if residual == 0 { continue }
                                let base = o * width
                                for j in 0..<d { g[base + j] += residual * xi[j] }
                                g[base + d] += residual
                            }
                        }
                    }
                }
            }
            for o in 0..<m {
                for j in 0..<d { gradient[o * width + j] += regularization * look[o * width + j] }
            }
            previous = theta
            for i in theta.indices { theta[i] = look[i] - step * gradient[i] }
        }
        var weights: [Float] = []
        weights.reserveCapacity(m * d)
        var biases: [Float] = []
        for o in 0..<m {
            weights.append(contentsOf: theta[(o * width)..<(o * width + d)])
            biases.append(theta[o * width + d])
        }
        return LogisticRegression(output: output, weights: weights, biases: biases, featureCount: d)
    }

    /// `n x m` probabilities: a softmax row per example, or one sigmoid per label.
    public func probabilities(_ features: FeatureMatrix) -> FeatureMatrix {
        precondition(features.columns == featureCount, "LogisticRegression: \(features.columns) features, fitted on \(featureCount)")
        let m = biases.count
        var theta: [Float] = []
        for o in 0..<m {
            theta.append(contentsOf: weights[(o * featureCount)..<((o + 1) * featureCount)])
            theta.append(biases[o])
        }
        var values: [Float] = []
        values.reserveCapacity(features.rows * m)
        var row = [Float](repeating: 0, count: m)
        theta.withUnsafeBufferPointer { t in
            features.values.withUnsafeBufferPointer { xs in
                for index in 0..<features.rows {
                    let xi = UnsafeBufferPointer(rebasing: xs[(index * featureCount)..<((index + 1) * featureCount)])
                    Self.scores(t, xi, into: &row)
                    Self.link(&row, output)
                    values.append(contentsOf: row)
                }
            }
        }
        return FeatureMatrix(rows: features.rows, columns: m, values: values)
    }

    /// The most probable class of each example (softmax).
    public func predictedClasses(_ features: FeatureMatrix) -> [Int] {
        let p = probabilities(features)
        return (0..<p.rows).map { row in
            let scores = p[row: row]
            return (scores.indices.max { scores[$0] < scores[$1] } ?? scores.startIndex) - scores.startIndex
        }
    }

    /// Each example's labels with probability above one half (sigmoid).
    public func predictedLabels(_ features: FeatureMatrix) -> [[Bool]] {
        ProbeScores.labels(probabilities(features).rowArrays, above: 0.5)
    }

    /// `theta x + bias` for every output; `theta` is `[m x (d + 1)]` with the bias last.
    private static func scores(_ theta: UnsafeBufferPointer<Float>, _ x: UnsafeBufferPointer<Float>, into result: inout [Float]) {
        let d = x.count
        for o in result.indices {
            let base = o * (d + 1)
            var sum: Float = theta[base + d]
            for j in 0..<d { sum += theta[base + j] * x[j] }
            result[o] = sum
        }
    }

    /// Softmax over the row, or a sigmoid per element, in place.
    private static func link(_ values: inout [Float], _ output: Output) {
        switch output {
        case .softmax:
            let top = values.max() ?? 0
            var total: Float = 0
            for i in values.indices {
                values[i] = exp(values[i] - top)
                total += values[i]
            }
            for i in values.indices { values[i] /= total }
        case .sigmoid:
            for i in values.indices { values[i] = 1 / (1 + exp(-values[i])) }
        }
    }

    /// `lambda_max(X^T X / n)` of `X` with a column of ones appended, by 50 power iterations.
    static func largestEigenvalue(_ features: FeatureMatrix) -> Float {
        let (n, d) = (features.rows, features.columns)
        guard n > 0 else { return 1 }
        var v = [Double](repeating: 1 / Double(d + 1).squareRoot(), count: d + 1)
        var eigenvalue = 1.0
        for _ in 0..<50 {
            var next = [Double](repeating: 0, count: d + 1)
            for row in 0..<n {
                let x = features[row: row]
                var dot = v[d]
                var j = 0
                for value in x {
                    dot += Double(value) * v[j]
                    j += 1
                }
                j = 0
                for value in x {
                    next[j] += dot * Double(value)
                    j += 1
                }
                next[d] += dot
            }
            let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return 1 }
            eigenvalue = norm / Double(n)
            v = next.map { $0 / norm }
        }
        // Power iteration approaches from below: a margin keeps the step stable.
        return Float(eigenvalue * 1.05)
    }
}
