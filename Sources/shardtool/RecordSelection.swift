import ArgumentParser
import ShardTools

/// Which record `cat` and `export` read.
struct RecordSelection: ParsableArguments {
    @Option(help: "In a dataset, the global scene index (with --shard, the position in that shard); in a shard file, the record position.")
    var record: UInt64?

    @Option(help: "A shard file name from the manifest: read --record from that shard (datasets only).")
    var shard: String?

    /// The selected record of `input`.
    /// - Throws: A validation error when `--record` is missing; the reading errors.
    func locate(in input: DatasetInput) throws -> LocatedRecord {
        guard let record else { throw ValidationError("Missing expected argument '--record <record>'") }
        return try input.record(record, shard: shard)
    }
}
