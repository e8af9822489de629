import ArgumentParser
import Foundation
import ShardTools

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a dataset or a shard: scenes, views, image size, splits, shards, bytes.",
        discussion: """
            Reads the manifest (or the shard's header and index) only; no record is decoded. For a \
            dataset: scenes, views per scene, image size and encoding, depth and masks, splits, shard \
            count, total bytes, generator and seed. For a single shard: its record count and schema.

            Example: shardtool info data/rooms --json
            """
    )

    @OptionGroup var input: InputArgument

    @Flag(help: "Print JSON (fields: kind, path, scenes, viewsPerScene, width, height, channels, encoding, hasDepth, hasMasks, shardCount, totalBytes, splits, generator, datasetSeed; records and schema for a shard).")
    var json = false

    func run() throws {
        let info = DatasetInfo(try DatasetInput.open(path: input.path))
        if json {
            try printJSON(info.json())
        } else {
            print(info.table())
        }
    }
}

/// Writes JSON bytes that already end in a newline to standard output.
func printJSON(_ data: Data) {
    FileHandle.standardOutput.write(data)
}
