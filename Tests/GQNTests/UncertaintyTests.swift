import Foundation
import Tensors
import Testing
@testable import GQN

/// The spread of prior samples: zero when every latent is the prior mean, positive when sampled.
@Suite("uncertainty")
struct UncertaintyTests {
    @Test("the variance across prior samples is zero with the prior mean, positive when sampled")
    func varianceZeroOrPositive() throws {
        let configuration = testConfiguration()
        let model = try GQNModel(configuration: configuration, seed: 3)
        let batch = try randomBatch(configuration, batch: 2, views: 2, seed: 11)
        func samples(_ latents: PriorSamples.Latents, count: Int = 3) throws -> PriorSamples {
            try PriorSamples(
                model: model, contextImages: batch.contextImages, contextViewpoints: batch.contextViewpoints,
                queryViewpoints: batch.queryViewpoints, count: count, latents: latents)
        }
        let atMean = try samples(.priorMean)
        #expect(atMean.count == 3 && atMean.shape == [2, 3, 8, 8])
        let zero = try #require(atMean.variance())
        #expect(zero.count == 2 * 3 * 8 * 8 && zero.allSatisfy { $0 == 0 })

        let sampled = try samples(.sampled(seed: 5))
        let variance = try #require(sampled.variance())
        #expect(variance.allSatisfy { $0 >= 0 })
        #expect(variance.reduce(0, +) / Float(variance.count) > 1e-8)
        #expect(sampled.samples[0] != sampled.samples[1])
        // The same seed gives the same samples; one sample has no variance.
        #expect(try samples(.sampled(seed: 5)).samples == sampled.samples)
        #expect(try samples(.sampled(seed: 5), count: 1).variance() == nil)
        #expect(throws: MeasurementError.self) { try samples(.priorMean, count: 0) }
    }

    @Test("the variance is the unbiased one, by hand")
    func varianceByHand() throws {
        let configuration = testConfiguration()
        let model = try GQNModel(configuration: configuration, seed: 3)
        let batch = try randomBatch(configuration, batch: 1, views: 1, seed: 2)
        let sampled = try PriorSamples(
            model: model, contextImages: batch.contextImages, contextViewpoints: batch.contextViewpoints,
            queryViewpoints: batch.queryViewpoints, count: 3, latents: .sampled(seed: 1))
        let variance = try #require(sampled.variance())
        let values = sampled.samples.map { Double($0[7]) }
        let mean = values.reduce(0, +) / 3
        let expected = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2
        #expect(abs(Double(variance[7]) - expected) < 1e-9)
    }

    @Test("the heat map: black at 0, red, yellow, white at the maximum and above")
    func heatMap() {
        let map = VarianceHeatMap(maximum: 0.3)
        func near(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Bool { ((a - b) * (a - b)).sum() < 1e-10 }
        #expect(map.colour(0) == SIMD3(0, 0, 0))
        #expect(near(map.colour(0.05), SIMD3(0.5, 0, 0)))
        #expect(near(map.colour(0.1), SIMD3(1, 0, 0)))
        #expect(near(map.colour(0.15), SIMD3(1, 0.5, 0)))
        #expect(near(map.colour(0.2), SIMD3(1, 1, 0)))
        #expect(near(map.colour(0.25), SIMD3(1, 1, 0.5)))
        #expect(map.colour(0.3) == SIMD3(1, 1, 1) && map.colour(7) == SIMD3(1, 1, 1) && map.colour(-1) == SIMD3(0, 0, 0))
        let picture = map.picture([0, 0.3])
        #expect(picture == [0, 1, 0, 1, 0, 1])
        #expect(VarianceHeatMap.pixelVariance([1, 2, 3, 4, 5, 6][...], plane: 2) == [3, 4])
    }

    @Test("context uncertainty: one row per K, the query never among the context, one shared scale")
    func contextRows() throws {
        let configuration = testConfiguration()
        let model = try GQNModel(configuration: configuration, seed: 3)
        let batch = try randomBatch(configuration, batch: 1, views: 3, seed: 4)
        let images = (0..<3).map { view in Array(batch.contextImages.scalars[(view * 192)..<((view + 1) * 192)]) }
        let viewpoints = (0..<3).map { view in Array(batch.contextViewpoints.scalars[(view * 7)..<((view + 1) * 7)]) }
        let measured = try ContextUncertainty(
            model: model, views: images, viewpoints: viewpoints, query: 2, contextCounts: [1, 2], samples: 3, seed: 8)
        #expect(measured.rows.map(\.context) == [1, 2])
        #expect(measured.rows.allSatisfy { $0.samples.count == 3 && $0.pixelVariance.count == 64 && $0.meanVariance > 0 })
        #expect(measured.largestPixelVariance == measured.rows.flatMap(\.pixelVariance).max())
        #expect(throws: MeasurementError.self) {
            try ContextUncertainty(model: model, views: images, viewpoints: viewpoints, query: 1, contextCounts: [1, 2], samples: 3, seed: 8)
        }
        #expect(throws: MeasurementError.self) {
            try ContextUncertainty(model: model, views: images, viewpoints: viewpoints, query: 2, contextCounts: [1], samples: 1, seed: 8)
        }
    }
}
