import Testing
@testable import Tensors

extension TensorsTests {
    @Suite("Engine: memory reuse, determinism, noise, initialisation") struct EngineTests {
        init() throws { try SerialRunRequired.check() }

        /// A miniature GQN-like step: conv, LSTM cell, transposed conv, losses, Adam.
        func step(_ parameters: ParameterSet, _ handles: [ParameterSet.Parameter], _ adam: inout Adam, seed: UInt64) throws -> Float {
            let tape = Tape()
            let p = parameters.track(on: tape)
            let x = Tensor.randomUniform(shape: [4, 3, 8, 8], lower: 0, upper: 1, seed: seed)
            let a = try x.conv2d(p[handles[0]], bias: p[handles[1]], stride: 2).relu()
            let (h, _) = try Tensor.lstmCell(gates: try a.conv2d(p[handles[2]], padding: 1), cell: Tensor(shape: [4, 4, 4, 4]))
            let u = try h.transposedConv2d(p[handles[3]], stride: 2)
            let mean = try u.conv2d(p[handles[4]]).sigmoid()
            let nll = try Tensor.gaussianNegativeLogLikelihood(of: x, mean: mean, standardDeviation: 0.7)
            let stats = try h.split(sizes: [2, 2], alongAxis: 1)
            let kl = try Tensor.gaussianKLDivergence(
                meanQ: stats[0], standardDeviationQ: stats[1].softplus() + 1e-4,
                meanP: Tensor(shape: stats[0].shape), standardDeviationP: Tensor(shape: stats[0].shape, repeating: 1))
            let loss = try (nll + kl).mean()
            try tape.backward(from: loss)
            adam.update(parameters)
            parameters.zeroGradients()
            return loss.scalar ?? .nan
        }

        func makeParameters() throws -> (ParameterSet, [ParameterSet.Parameter]) {
            let parameters = ParameterSet(seed: 11)
            let handles = [
                try parameters.add("a.weight", shape: [8, 3, 2, 2], initializer: .pytorchDefault(fanIn: 12)),
                try parameters.add("a.bias", shape: [8], initializer: .pytorchDefault(fanIn: 12)),
                try parameters.add("lstm.weight", shape: [16, 8, 3, 3], initializer: .pytorchDefault(fanIn: 72)),
                try parameters.add("up.weight", shape: [4, 4, 2, 2], initializer: .pytorchDefault(fanIn: 16)),
                try parameters.add("out.weight", shape: [3, 4, 1, 1], initializer: .pytorchDefault(fanIn: 4)),
            ]
            return (parameters, handles)
        }

        @Test func steadyStateStepAllocatesNothing() throws {
            let (parameters, handles) = try makeParameters()
            var adam = Adam()
            _ = try step(parameters, handles, &adam, seed: 1)
            _ = try step(parameters, handles, &adam, seed: 2)
            let before = BufferPool.statistics.allocations
            _ = try step(parameters, handles, &adam, seed: 3)
            #expect(BufferPool.statistics.allocations == before)
            #expect(BufferPool.statistics.reuses > 0)
        }

        @Test func stepsAreDeterministic() throws {
            var losses: [[Float]] = []
            var weights: [[Float]] = []
            for _ in 0..<2 {
                let (parameters, handles) = try makeParameters()
                var adam = Adam(learningRate: 1e-2)
                losses.append(try (1...3).map { try step(parameters, handles, &adam, seed: UInt64($0)) })
                weights.append(parameters.tensor(handles[2]).scalars)
            }
            #expect(losses[0] == losses[1])
            #expect(weights[0] == weights[1])
            #expect(losses[0].allSatisfy { $0.isFinite })
        }

        @Test func sumIsIndependentOfThreadCount() throws {
            let previous = ComputeThreads.count
            defer { ComputeThreads.set(previous) }
            let x = Tensor.randomNormal(shape: [100_003], seed: 3)
            ComputeThreads.set(1)
            let one = x.sum().scalar
            let rowsOne = try x.reshaped(to: [1, 100_003]).sum(alongAxis: 1).scalars
            ComputeThreads.set(2)
            #expect(x.sum().scalar == one)
            #expect(try x.reshaped(to: [1, 100_003]).sum(alongAxis: 1).scalars == rowsOne)
            #expect(ComputeThreads.blasThreads == 2)
        }

        @Test func normalNoiseIsSeededAndStandard() throws {
            let a = Tensor.randomNormal(shape: [200_001], seed: 42)
            let b = Tensor.randomNormal(shape: [200_001], seed: 42)
            let c = Tensor.randomNormal(shape: [200_001], seed: 43)
            #expect(a.scalars == b.scalars)
            #expect(a.scalars != c.scalars)
            let values = a.scalars.map(Double.init)
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            #expect(abs(mean) < 0.01)
            #expect(abs(variance - 1) < 0.02)
            #expect(values.allSatisfy { $0.isFinite })
        }

        @Test func pytorchDefaultInitialisationBounds() throws {
            let parameters = ParameterSet(seed: 9)
            let w = try parameters.add("w", shape: [64, 32, 3, 3], initializer: .pytorchDefault(fanIn: 32 * 9))
            let values = parameters.tensor(w).scalars
            let bound = 1 / Float(32 * 9).squareRoot()
            #expect(values.allSatisfy { abs($0) <= bound })
            #expect(values.max()! > 0.95 * bound)
            #expect(values.min()! < -0.95 * bound)
            #expect(throws: TensorError.self) { try parameters.add("w", shape: [1], initializer: .zeros) }
        }

        @Test func trackedTensorsFromDifferentTapesAreRejected() throws {
            let (first, second) = (Tape(), Tape())
            let x = first.watch(Tensor(shape: [2]))
            let y = second.watch(Tensor(shape: [2]))
            #expect(throws: TensorError.differentTapes(operation: "add")) { try x + y }
            #expect(throws: TensorError.self) { try Tensor(shape: [2, 3]) + Tensor(shape: [3, 2]) }
        }
    }
}
