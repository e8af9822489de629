import Foundation
import Testing
import Tensors
@testable import GQN

extension GQNTests {
    @Suite("Context aggregation") struct ContextAggregationTests {
        @Test("mean is the sum over views divided by K, with the same parameters", arguments: [RepresentationKind.pool, .tower])
        func meanIsSumOverK(representation: RepresentationKind) throws {
            let summing = try GQNModel(configuration: testConfiguration(representation), seed: 3)
            var averagingConfiguration = testConfiguration(representation)
            averagingConfiguration.contextAggregation = .mean
            let averaging = try GQNModel(configuration: averagingConfiguration, seed: 3)
            for views in [1, 3] {
                let batch = try randomBatch(summing.configuration, batch: 2, views: views, seed: 11)
                let sum = try summing.representation(contextImages: batch.contextImages, contextViewpoints: batch.contextViewpoints)
                let mean = try averaging.representation(contextImages: batch.contextImages, contextViewpoints: batch.contextViewpoints)
                #expect(sum.shape == mean.shape)
                let worst = zip(sum.scalars, mean.scalars).map { abs($0 / Float(views) - $1) }.max() ?? .infinity
                let scale = sum.scalars.map { abs($0) }.max() ?? 0
                #expect(scale > 0 && worst <= 1e-6 * max(scale, 1), "K = \(views): worst difference \(worst)")
            }
        }

        @Test("a configuration without the field decodes as sum; sum is not written, mean is")
        func codable() throws {
            let summing = testConfiguration()
            let json = try JSONEncoder().encode(summing)
            #expect(!String(decoding: json, as: UTF8.self).contains("contextAggregation"))
            #expect(try JSONDecoder().decode(GQNConfiguration.self, from: json) == summing)
            var averaging = summing
            averaging.contextAggregation = .mean
            let averagingJSON = try JSONEncoder().encode(averaging)
            #expect(String(decoding: averagingJSON, as: UTF8.self).contains("\"contextAggregation\":\"mean\""))
            #expect(try JSONDecoder().decode(GQNConfiguration.self, from: averagingJSON) == averaging)
        }
    }
}
