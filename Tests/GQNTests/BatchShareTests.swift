import Foundation
import Tensors
import Testing

@testable import GQN

extension GQNTests {
    @Suite("Data-parallel shares of a batch") struct BatchShareTests {
        /// Rows `rows` of every tensor of `batch`.
        static func rows(_ batch: GQNTensorBatch, _ rows: [Int]) throws -> GQNTensorBatch {
            func pick(_ tensor: Tensor) throws -> Tensor {
                let per = tensor.count / tensor.shape[0]
                let scalars = tensor.scalars
                return try Tensor(shape: [rows.count] + tensor.shape.dropFirst(), scalars: rows.flatMap { scalars[($0 * per)..<(($0 + 1) * per)] })
            }
            return GQNTensorBatch(
                contextImages: try pick(batch.contextImages), contextViewpoints: try pick(batch.contextViewpoints),
                queryImages: try pick(batch.queryImages), queryViewpoints: try pick(batch.queryViewpoints))
        }

        /// The loss and the flat gradient of one pass.
        static func lossAndGradient(_ model: GQNModel, _ batch: GQNTensorBatch, share: BatchShare?) throws -> (Float, [Float]) {
            model.parameters.zeroGradients()
            let tape = Tape()
            let loss = try model.loss(
                batch, pixelStandardDeviation: 1.5, noiseSeed: 99, tracked: model.parameters.track(on: tape), share: share)
            try tape.backward(from: loss.loss)
            return (loss.lossValue, model.parameters.withUnsafeMutableGradients { Array($0) })
        }

        @Test("two ranks' shares (rows 0, 2 and 1, 3) average to the whole batch's loss and gradient")
        func sharesAverageToWhole() throws {
            let model = try GQNModel(configuration: testConfiguration(.tower, imageSize: 8), seed: 3)
            let batch = try randomBatch(model.configuration, batch: 4, views: 2, seed: 6)
            let (wholeLoss, wholeGradient) = try Self.lossAndGradient(model, batch, share: nil)
            var losses: [Float] = []
            var sum = [Float](repeating: 0, count: wholeGradient.count)
            for rank in 0..<2 {
                let share = BatchShare(globalSize: 4, rank: rank, ranks: 2)
                #expect(share.rows(count: 2) == [rank, rank + 2])
                let (loss, gradient) = try Self.lossAndGradient(model, try Self.rows(batch, share.rows(count: 2)), share: share)
                losses.append(loss)
                for index in sum.indices { sum[index] += gradient[index] }
            }
            #expect(abs((losses[0] + losses[1]) / 2 - wholeLoss) <= 1e-5 * abs(wholeLoss))
            let scale = wholeGradient.map(abs).max() ?? 1
            let largest = zip(sum, wholeGradient).map { abs($0 / 2 - $1) }.max() ?? 0
            #expect(largest <= 1e-5 * scale, "largest gradient difference \(largest) of \(scale)")
            // Without the share, a rank's rows would get the noise of rows 0 and 1: another loss.
            let (unshared, _) = try Self.lossAndGradient(model, try Self.rows(batch, [1, 3]), share: nil)
            #expect(unshared != losses[1])
        }

        @Test("a trainer alone is unchanged by the communicator: its default is a single process")
        func singleTrainer() throws {
            let model = try GQNModel(configuration: testConfiguration(), seed: 1)
            let trainer = GQNTrainer(model: model, seed: 2)
            #expect(trainer.communicator.size == 1)
            try trainer.checkReplicasAgree()
            try trainer.train(on: try randomBatch(model.configuration, batch: 2, views: 2, seed: 1))
            #expect(trainer.lastAllreduceSeconds == 0)
        }
    }
}
