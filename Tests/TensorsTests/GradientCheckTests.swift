import Testing
@testable import Tensors

extension TensorsTests {
    @Suite("Numerical gradient checks") struct GradientCheckTests {
        @Test("unary functions", arguments: ["relu", "sigmoid", "tanh", "softplus", "exp", "log", "square", "scale", "shift", "negate"])
        func unary(name: String) throws {
            let x = testValues([2, 3, 5], seed: 1, margin: 0.05, positive: name == "log")
            try expectGradientsMatch([x], epsilon: 1e-2) { inputs in
                let x = inputs[0]
                switch name {
                case "relu": return x.relu()
                case "sigmoid": return x.sigmoid()
                case "tanh": return x.tanh()
                case "softplus": return x.softplus()
                case "exp": return x.exp()
                case "log": return x.log()
                case "square": return x.squared()
                case "scale": return x * 2.5
                case "shift": return x + 1.5
                default: return -x
                }
            }
        }

        @Test("add, subtract and multiply with broadcasts", arguments: [
            ([2, 3, 4, 5], [2, 3, 4, 5]),
            ([2, 3, 4, 5], [2, 3, 1, 1]),
            ([2, 3, 4, 5], [2, 3]),
            ([2, 3], [2, 3, 4, 5]),
            ([3, 5], [1]),
            ([1], [3, 5]),
        ])
        func binary(lhs: [Int], rhs: [Int]) throws {
            let a = testValues(lhs, seed: 2)
            let b = testValues(rhs, seed: 3)
            try expectGradientsMatch([a, b]) { try $0[0] + $0[1] }
            try expectGradientsMatch([a, b]) { try $0[0] - $0[1] }
            try expectGradientsMatch([a, b]) { try $0[0] * $0[1] }
        }

        @Test func expandedOverGrid() throws {
            try expectGradientsMatch([testValues([2, 7], seed: 4)]) { try $0[0].expanded(to: [2, 7, 3, 3]) }
        }

        @Test func concatenateAndSplit() throws {
            let a = testValues([2, 3, 2, 2], seed: 5)
            let b = testValues([2, 1, 2, 2], seed: 6)
            let c = testValues([2, 4, 2, 2], seed: 7)
            try expectGradientsMatch([a, b, c]) { try Tensor.concatenate($0, alongAxis: 1) }
            try expectGradientsMatch([c]) { inputs in
                let parts = try inputs[0].split(sizes: [1, 3], alongAxis: 1)
                return try Tensor.concatenate([parts[1], parts[0] * 3], alongAxis: 1)
            }
        }

        @Test func splitWithUnusedPiece() throws {
            // Only the second piece reaches the output: the first piece's gradient must be zero.
            try expectGradientsMatch([testValues([2, 5, 3], seed: 8)]) { try $0[0].split(sizes: [2, 3], alongAxis: 1)[1].squared() }
        }

        @Test func reshape() throws {
            try expectGradientsMatch([testValues([2, 3, 4], seed: 9)]) { try $0[0].reshaped(to: [6, -1]).squared() }
        }

        @Test func reductions() throws {
            let x = testValues([3, 4, 5], seed: 10)
            try expectGradientsMatch([x]) { $0[0].sum() }
            try expectGradientsMatch([x]) { $0[0].mean() }
            for axis in 0..<3 {
                try expectGradientsMatch([x]) { try $0[0].sum(alongAxis: axis) }
                try expectGradientsMatch([x]) { try $0[0].mean(alongAxis: axis) }
            }
        }

        @Test("conv2d", arguments: [
            // (batch, cin, height, width, cout, kernel, stride, padding, bias)
            (2, 3, 5, 5, 4, 3, 1, 1, true),
            (2, 3, 6, 6, 4, 2, 2, 0, true),
            (1, 2, 7, 5, 3, 5, 2, 2, false),
            (3, 4, 3, 3, 2, 1, 1, 0, true),
            (2, 2, 7, 7, 3, 3, 3, 1, false),
        ])
        func conv2d(configuration: (Int, Int, Int, Int, Int, Int, Int, Int, Bool)) throws {
            let (batch, cin, height, width, cout, kernel, stride, padding, hasBias) = configuration
            let x = testValues([batch, cin, height, width], seed: 11)
            let w = testValues([cout, cin, kernel, kernel], seed: 12)
            let b = testValues([cout], seed: 13)
            try expectGradientsMatch(hasBias ? [x, w, b] : [x, w]) { inputs in
                try inputs[0].conv2d(inputs[1], bias: hasBias ? inputs[2] : nil, stride: stride, padding: padding)
            }
        }

        @Test("transposedConv2d", arguments: [
            (2, 3, 3, 3, 2, 4, 4, 0, false),
            (2, 2, 3, 4, 3, 3, 2, 1, true),
            (1, 3, 2, 2, 2, 2, 3, 0, true),
        ])
        func transposedConv2d(configuration: (Int, Int, Int, Int, Int, Int, Int, Int, Bool)) throws {
            let (batch, cin, height, width, cout, kernel, stride, padding, hasBias) = configuration
            let x = testValues([batch, cin, height, width], seed: 14)
            let w = testValues([cin, cout, kernel, kernel], seed: 15)
            let b = testValues([cout], seed: 16)
            try expectGradientsMatch(hasBias ? [x, w, b] : [x, w]) { inputs in
                try inputs[0].transposedConv2d(inputs[1], bias: hasBias ? inputs[2] : nil, stride: stride, padding: padding)
            }
        }

        @Test func lstmCell() throws {
            let gates = testValues([2, 8, 3, 3], seed: 17)
            let cell = testValues([2, 2, 3, 3], seed: 18)
            // Both outputs used.
            try expectGradientsMatch([gates, cell]) { inputs in
                let (h, c) = try Tensor.lstmCell(gates: inputs[0], cell: inputs[1])
                return try Tensor.concatenate([h, c * 0.7], alongAxis: 1)
            }
            // Only the hidden state used (the last step of a generator).
            try expectGradientsMatch([gates, cell]) { try Tensor.lstmCell(gates: $0[0], cell: $0[1]).hidden }
        }

        @Test func gaussianNegativeLogLikelihood() throws {
            let target = testValues([3, 2, 4], seed: 19)
            let mean = testValues([3, 2, 4], seed: 20)
            try expectGradientsMatch([target, mean]) {
                try Tensor.gaussianNegativeLogLikelihood(of: $0[0], mean: $0[1], standardDeviation: 0.7)
            }
        }

        @Test func gaussianKLDivergence() throws {
            let shape = [2, 3, 2, 2]
            let inputs = [
                testValues(shape, seed: 21), testValues(shape, seed: 22, positive: true),
                testValues(shape, seed: 23), testValues(shape, seed: 24, positive: true),
            ]
            try expectGradientsMatch(inputs, epsilon: 5e-3) {
                try Tensor.gaussianKLDivergence(
                    meanQ: $0[0], standardDeviationQ: $0[1], meanP: $0[2], standardDeviationP: $0[3])
            }
        }

        @Test func composedGraphWithReuse() throws {
            // A tensor used twice accumulates both gradients.
            let x = testValues([2, 3, 4, 4], seed: 25)
            let w = testValues([3, 3, 3, 3], seed: 26)
            try expectGradientsMatch([x, w]) { inputs in
                let y = try inputs[0].conv2d(inputs[1], padding: 1).relu()
                return try (y * inputs[0]).sum(alongAxis: 1) + y.sum()
            }
        }

        @Test("sums hand their gradient buffer on: self-sums, chains, subtraction and later reuse")
        func sumsPassGradients() throws {
            let a = testValues([2, 3, 4], seed: 27)
            let b = testValues([2, 3, 4], seed: 28)
            let c = testValues([2, 3, 4], seed: 29)
            try expectGradientsMatch([a, b, c]) { inputs in
                let (a, b, c) = (inputs[0], inputs[1], inputs[2])
                let doubled = try a + a  // both operands are one tensor
                let chain = try (doubled + b) - c  // the left operand takes the buffer, twice
                let reused = try chain + (b * c)  // b and c also receive gradients elsewhere
                return try (reused * reused).sum() + (a - b).squared().sum()
            }
        }
    }
}
