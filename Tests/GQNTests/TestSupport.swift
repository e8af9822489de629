import Foundation
import Testing
import Tensors
@testable import GQN

/// The parent of every GQN suite: serialised so the suites do not fight over the two cores.
@Suite(.serialized) struct GQNTests {}

/// A test-sized configuration: 8x8 images, a 2x2 state grid, a handful of channels.
func testConfiguration(
    _ representation: RepresentationKind = .pool, sharedCores: Bool = true, steps: Int = 2,
    imageSize: Int = 8
) -> GQNConfiguration {
    GQNConfiguration(
        name: "test", imageSize: imageSize, representationChannels: 6, hiddenChannels: 4, latentChannels: 2,
        steps: steps, lstmKernel: 3, scale: 4, representation: representation, batchSize: 2, maxContextViews: 2,
        sharedCores: sharedCores)
}

/// A deterministic batch: random images in [0, 1] and viewpoints in the GQN layout.
func randomBatch(_ configuration: GQNConfiguration, batch: Int, views: Int, seed: UInt64) throws -> GQNTensorBatch {
    let s = configuration.imageSize
    func viewpoints(_ count: Int, _ seed: UInt64) throws -> Tensor {
        let raw = Tensor.randomUniform(shape: [count, 3], lower: -1, upper: 1, seed: seed).scalars
        var values: [Float] = []
        for i in 0..<count {
            let yaw = raw[3 * i] * .pi
            let pitch = raw[3 * i + 1] * 0.5
            values += [raw[3 * i], raw[3 * i + 1], raw[3 * i + 2], cos(yaw), sin(yaw), cos(pitch), sin(pitch)]
        }
        return try Tensor(shape: [count, 7], scalars: values)
    }
    return GQNTensorBatch(
        contextImages: Tensor.randomUniform(shape: [batch, views, 3, s, s], lower: 0, upper: 1, seed: seed),
        contextViewpoints: try viewpoints(batch * views, seed &+ 1).reshaped(to: [batch, views, 7]),
        queryImages: Tensor.randomUniform(shape: [batch, 3, s, s], lower: 0, upper: 1, seed: seed &+ 2),
        queryViewpoints: try viewpoints(batch, seed &+ 3))
}

/// The loss of a batch and the gradient of every parameter (flattened, in name order).
func lossAndGradients(
    _ model: GQNModel, _ batch: GQNTensorBatch, sigma: Float = 1, noiseSeed: UInt64 = 5
) throws -> (loss: Float, gradients: [String: [Float]]) {
    let parameters = model.parameters
    parameters.zeroGradients()
    let tape = Tape()
    let result = try model.loss(batch, pixelStandardDeviation: sigma, noiseSeed: noiseSeed, tracked: parameters.track(on: tape))
    try tape.backward(from: result.loss)
    var gradients: [String: [Float]] = [:]
    for name in parameters.names {
        guard let handle = parameters.parameter(named: name) else { continue }
        gradients[name] = parameters.gradient(handle).scalars
    }
    return (result.lossValue, gradients)
}

/// The relative error `|a - b| / max(|a|, |b|, tiny)` in the Euclidean norm.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var difference = 0.0, normA = 0.0, normB = 0.0
    for (x, y) in zip(a, b) {
        difference += Double(x - y) * Double(x - y)
        normA += Double(x) * Double(x)
        normB += Double(y) * Double(y)
    }
    return difference.squareRoot() / Swift.max(normA.squareRoot(), normB.squareRoot(), 1e-12)
}

/// A temporary directory removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gqn-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
