import ArgumentParser
import DataLoader
import Foundation

/// `shardtool bench DIR --loader`: the data loader's throughput.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the data loader's throughput and print JSON.",
        discussion: """
            Reads one epoch of the split per run through GQNLoader (shard shuffle, shuffle \
            buffer, CRC-32C check of every record, PNG decode, UInt8 -> Float32 NCHW batches) \
            after one warm-up epoch, and prints a JSON line last with views_per_s: decoded views \
            per second into batches, the median of the runs.

            Example: shardtool bench data/rooms --loader --threads 2
            """
    )

    @Argument(help: "The dataset directory.")
    var directory: String

    @Flag(help: "Measure the streaming loader (the only benchmark so far).")
    var loader = false

    @Option(help: "Decoding threads.")
    var threads: Int = 2

    @Option(help: "The split to read (default: the manifest's first).")
    var split: String?

    @Option(help: "Scenes per batch.")
    var batchSize: Int = 36

    @Option(help: "Context views per scene (default: views per scene - 1, so every view is decoded).")
    var context: Int?

    @Option(help: "Timed runs (the median is reported).")
    var runs: Int = 5

    func validate() throws {
        guard loader else { throw ValidationError("say what to measure: --loader") }
        guard threads >= 1, batchSize >= 1, runs >= 1 else {
            throw ValidationError("--threads, --batch-size and --runs must be at least 1")
        }
    }

    func run() throws {
        let result = try LoaderBenchmark.run(
            directory: URL(fileURLWithPath: directory), split: split, threads: threads, batchSize: batchSize,
            contextCount: context, runs: runs)
        print(try result.jsonLine())
    }
}
