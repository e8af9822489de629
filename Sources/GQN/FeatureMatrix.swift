/// A dense matrix of Float32 features, one row per example, stored row-major: the input and
/// target type of the linear probes (``RidgeRegression``, ``LogisticRegression``).
public struct FeatureMatrix: Sendable, Equatable {
    /// Examples.
    public let rows: Int
    /// Features per example.
    public let columns: Int
    /// `rows * columns` values, row after row.
    public private(set) var values: [Float]

    /// Creates a matrix from its row-major values.
    /// - Precondition: `values.count == rows * columns`.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns, "FeatureMatrix: \(values.count) values for \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Creates a matrix from equally long rows (`columns` gives the width of an empty matrix).
    public init(rowVectors: [[Float]], columns: Int? = nil) {
        let width = rowVectors.first?.count ?? columns ?? 0
        precondition(rowVectors.allSatisfy { $0.count == width }, "FeatureMatrix: rows of different lengths")
        self.init(rows: rowVectors.count, columns: width, values: Array(rowVectors.joined()))
    }

    /// Row `index`.
    public subscript(row index: Int) -> ArraySlice<Float> {
        values[(index * columns)..<((index + 1) * columns)]
    }

    /// Every row as its own array, in order.
    public var rowArrays: [[Float]] {
        (0..<rows).map { Array(self[row: $0]) }
    }

    /// The element at (`row`, `column`).
    public subscript(row: Int, column: Int) -> Float {
        values[row * columns + column]
    }

    /// The rows at `indices`, in that order.
    public func selecting(rows indices: some Sequence<Int>) -> FeatureMatrix {
        var selected: [Float] = []
        var count = 0
        for index in indices {
            selected.append(contentsOf: self[row: index])
            count += 1
        }
        return FeatureMatrix(rows: count, columns: columns, values: selected)
    }

    /// Per-column shift and scale to zero mean and unit standard deviation, fitted on one
    /// matrix (the training examples) and applied to others (held-out examples) unchanged.
    public struct Standardization: Sendable, Equatable {
        /// Column means of the fitted matrix.
        public let means: [Float]
        /// Column standard deviations (population); 1 for a constant column, which then maps to 0.
        public let deviations: [Float]

        /// Fits the column means and deviations of `matrix`.
        public init(fitting matrix: FeatureMatrix) {
            let n = Double(Swift.max(1, matrix.rows))
            var sums = [Double](repeating: 0, count: matrix.columns)
            for row in 0..<matrix.rows {
                for (column, value) in matrix[row: row].enumerated() { sums[column] += Double(value) }
            }
            let means = sums.map { $0 / n }
            var squares = [Double](repeating: 0, count: matrix.columns)
            for row in 0..<matrix.rows {
                for (column, value) in matrix[row: row].enumerated() {
                    let d = Double(value) - means[column]
                    squares[column] += d * d
                }
            }
            self.means = means.map { Float($0) }
            deviations = squares.map { squares in
                let deviation = (squares / n).squareRoot()
                return deviation > 1e-6 ? Float(deviation) : 1
            }
        }

        /// `(x - mean) / deviation`, column by column.
        public func apply(_ matrix: FeatureMatrix) -> FeatureMatrix {
            precondition(matrix.columns == means.count, "Standardization: \(matrix.columns) columns, fitted on \(means.count)")
            var values = matrix.values
            for row in 0..<matrix.rows {
                for column in 0..<matrix.columns {
                    let i = row * matrix.columns + column
                    values[i] = (values[i] - means[column]) / deviations[column]
                }
            }
            return FeatureMatrix(rows: matrix.rows, columns: matrix.columns, values: values)
        }
    }
}
