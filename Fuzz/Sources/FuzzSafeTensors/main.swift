import Foundation
import FuzzSupport
import GQN
import Tensors

/// safetensors files and gqn-train checkpoints: the header, the tensors' bounds, the recorded
/// checksum, and loading into a model, which must refuse anything that does not fit it.
nonisolated(unsafe) let trainer: GQNTrainer? = {
    var configuration = GQNConfiguration.tiny
    configuration.imageSize = 8
    configuration.scale = 4
    guard let model = try? GQNModel(configuration: configuration, seed: 1) else { return nil }
    return GQNTrainer(model: model, seed: 1)
}()

exit(FuzzSupport.run { input in
    let bytes = input
    guard let archive = try? SafeTensors(bytes: bytes, path: "input") else { return }
    // What decodes encodes to a file that decodes to the same tensors and metadata.
    let again = try? SafeTensors(bytes: SafeTensors(tensors: archive.tensors, metadata: archive.metadata).encoded())
    FuzzSupport.require(again?.metadata == archive.metadata, "metadata changed in a round trip")
    FuzzSupport.require(
        again.map { $0.tensors.mapValues(\.shape) == archive.tensors.mapValues(\.shape) } ?? false,
        "tensors changed in a round trip")
    let url = FuzzSupport.file(bytes, named: "checkpoint.safetensors")
    _ = try? trainer?.loadCheckpoint(from: url.path)
})
