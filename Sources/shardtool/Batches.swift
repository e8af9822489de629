import ArgumentParser
import DataLoader
import Foundation
import ShardTools

/// `shardtool batches DIR ...`: the loader's batches as JSON lines, for checking other loaders
/// (the Python package's tests) against the Swift one. Hidden from the help.
struct Batches: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the batches the data loader returns, one JSON line each, without pixels.",
        discussion: """
            Each line: epoch, batchNumber, contextCount, sceneIndices, views (query first, then \
            the context views, per scene), state (the loader's state after the batch), the \
            CRC-32C of the query and context Float32 buffers, and the query viewpoints.

            Example: shardtool batches data/rooms --batch-size 4 --context 1...3 --seed 7 --epochs 2
            """,
        shouldDisplay: false
    )

    @Argument(help: "The dataset directory.")
    var directory: String

    @Option(help: "The split to read.")
    var split = "train"

    @Option(help: "Scenes per batch.")
    var batchSize = 16

    @Option(help: "Context views per scene: K, or LOW...HIGH for K drawn per batch.")
    var context = "3"

    @Option(help: "The loader seed.")
    var seed: UInt64 = 0

    @Flag(help: "Read in scene-index order.")
    var noShuffle = false

    @Option(help: "Shuffle buffer capacity in scenes.")
    var shuffleBuffer = 10_000

    @Option(help: "This rank.")
    var rank = 0

    @Option(help: "How many ranks share each epoch.")
    var worldSize = 1

    @Flag(help: "Drop each epoch's final partial batches.")
    var dropLast = false

    @Option(help: "The first epoch.")
    var firstEpoch = 0

    @Option(help: "How many epochs.")
    var epochs = 1

    @Option(help: "Resume from this state's position (with --first-epoch as its epoch).")
    var resumePosition: Int?

    func contextCount() throws -> LoaderConfiguration.ContextCount {
        let bounds = context.components(separatedBy: "...").map { Int($0) }
        switch bounds.count {
        case 1:
            if let k = bounds[0] { return .fixed(k) }
        case 2:
            if let low = bounds[0], let high = bounds[1], low <= high { return .random(low...high) }
        default:
            break
        }
        throw ValidationError("--context: expected K or LOW...HIGH, found \(context)")
    }

    func validate() throws {
        _ = try contextCount()
    }

    func run() throws {
        let configuration = LoaderConfiguration(
            directory: URL(fileURLWithPath: directory), split: split, batchSize: batchSize, context: try contextCount(),
            seed: seed, shuffle: !noShuffle, shuffleBufferSize: shuffleBuffer, rank: rank, worldSize: worldSize,
            dropLast: dropLast, firstEpoch: firstEpoch, epochs: epochs)
        let resume = try resumePosition.map { position in
            LoaderState(epoch: firstEpoch, position: position, seed: seed,
                        sceneCount: try GQNLoader(configuration: configuration).sceneCount)
        }
        try BatchListing.list(configuration, resumingFrom: resume) { print(try $0.jsonLine()) }
    }
}
