import ArgumentParser

/// Which record `cat` and `export` read.
struct RecordSelection: ParsableArguments {
    @Option(help: "In a dataset, the global scene index (with --shard, the position in that shard); in a shard file, the record position.")
    var record: UInt64

    @Option(help: "A shard file name from the manifest: read --record from that shard (datasets only).")
    var shard: String?
}
