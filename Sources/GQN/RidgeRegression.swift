/// Linear least squares with an L2 penalty on the weights (not the intercepts), solved in
/// closed form: the linear probe for continuous targets.
///
/// Minimises `(1/n) sum_i |y_i - W x_i - b|^2 + lambda |W|^2` by centring `x` and `y` and
/// solving `(X^T X / n + lambda I) W^T = X^T Y / n` with a Cholesky factorisation in Double;
/// then `b = mean(y) - W mean(x)`.
public struct RidgeRegression: Sendable, Equatable {
    /// `[outputs][features]`.
    public let weights: [[Double]]
    /// `[outputs]`.
    public let intercepts: [Double]

    /// Fits `targets` (one column per output) on `features`.
    /// - Parameters:
    ///   - features: `n x d`.
    ///   - targets: `n x m`.
    ///   - regularization: lambda, at least 0 (0 needs `X^T X` to be positive definite).
    /// - Returns: nil when the system is singular (lambda 0 and collinear features) or there are no rows.
    /// - Complexity: O(n d^2 + d^3 + n d m).
    public static func fit(features: FeatureMatrix, targets: FeatureMatrix, regularization: Double) -> RidgeRegression? {
        precondition(features.rows == targets.rows, "RidgeRegression: \(features.rows) feature rows, \(targets.rows) target rows")
        let (n, d, m) = (features.rows, features.columns, targets.columns)
        guard n > 0 else { return nil }
        let xMean = columnMeans(features), yMean = columnMeans(targets)
        // Gram matrix and right-hand sides of the centred data, scaled by 1/n.
        var gram = [Double](repeating: 0, count: d * d)
        var rhs = [Double](repeating: 0, count: d * m)
        var x = [Double](repeating: 0, count: d)
        for row in 0..<n {
            for j in 0..<d { x[j] = Double(features[row, j]) - xMean[j] }
            for a in 0..<d where x[a] != 0 {
                for b in a..<d { gram[a * d + b] += x[a] * x[b] }
                for o in 0..<m { rhs[a * m + o] += x[a] * (Double(targets[row, o]) - yMean[o]) }
            }
        }
        for a in 0..<d {
            for b in a..<d {
                gram[a * d + b] /= Double(n)
                gram[b * d + a] = gram[a * d + b]
            }
            gram[a * d + a] += regularization
            for o in 0..<m { rhs[a * m + o] /= Double(n) }
        }
        guard let solution = choleskySolve(gram, rhs, size: d, columns: m) else { return nil }
        let weights = (0..<m).map { o in (0..<d).map { solution[$0 * m + o] } }
        let intercepts = (0..<m).map { o in yMean[o] - zip(weights[o], xMean).reduce(0) { $0 + $1.0 * $1.1 } }
        return RidgeRegression(weights: weights, intercepts: intercepts)
    }

    /// `n x m` predictions `W x + b`.
    public func predict(_ features: FeatureMatrix) -> FeatureMatrix {
        var values: [Float] = []
        values.reserveCapacity(features.rows * weights.count)
        for row in 0..<features.rows {
            let x = features[row: row]
            for (w, b) in zip(weights, intercepts) {
                values.append(Float(zip(w, x).reduce(b) { $0 + $1.0 * Double($1.1) }))
            }
        }
        return FeatureMatrix(rows: features.rows, columns: weights.count, values: values)
    }

    private static func columnMeans(_ matrix: FeatureMatrix) -> [Double] {
        var sums = [Double](repeating: 0, count: matrix.columns)
        for row in 0..<matrix.rows {
            for (column, value) in matrix[row: row].enumerated() { sums[column] += Double(value) }
        }
        return sums.map { $0 / Double(Swift.max(1, matrix.rows)) }
    }

    /// Solves `A X = B` for a symmetric positive definite `size x size` matrix `A` (row-major)
    /// and `size x columns` `B`; nil when `A` is not positive definite.
    static func choleskySolve(_ a: [Double], _ b: [Double], size d: Int, columns m: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var sum = a[i * d + j]
                for k in 0..<j { sum -= l[i * d + k] * l[j * d + k] }
                if i == j {
                    guard sum > 1e-12 else { return nil }
                    l[i * d + i] = sum.squareRoot()
                } else {
                    l[i * d + j] = sum / l[j * d + j]
                }
            }
        }
        var x = b
        for o in 0..<m {
            for i in 0..<d {  // L y = b
                var sum = x[i * m + o]
                for k in 0..<i { sum -= l[i * d + k] * x[k * m + o] }
                x[i * m + o] = sum / l[i * d + i]
            }
            for i in stride(from: d - 1, through: 0, by: -1) {  // L^T x = y
                var sum = x[i * m + o]
                for k in (i + 1)..<d { sum -= l[k * d + i] * x[k * m + o] }
                x[i * m + o] = sum / l[i * d + i]
            }
        }
        return x
    }
}
