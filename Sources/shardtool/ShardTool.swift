import ArgumentParser

@main
struct ShardTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shardtool",
        abstract: "Inspect, verify, preview, merge, export and import sharded GQN datasets.",
        discussion: """
            PATH is a dataset directory holding manifest.json (or the manifest itself), or a \
            single .gqnshard file. In a dataset, record numbers are global scene indices; in a \
            single shard, record positions 0..<count. shardtool reads shard files only: it never \
            renders.

            Example: shardtool verify data/rooms && shardtool grid data/rooms --out out/rooms.png
            """,
        subcommands: [Info.self, Verify.self, Cat.self, Export.self, Import.self, Grid.self, Stats.self, Merge.self, Bench.self, Batches.self]
    )
}

/// The PATH argument every reading subcommand takes.
struct InputArgument: ParsableArguments {
    @Argument(help: "A dataset directory (with manifest.json) or a single .gqnshard file.")
    var path: String
}
