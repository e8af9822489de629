import ArgumentParser
import Foundation
import ShardTools

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the partial manifests of a distributed generation into manifest.json.",
        discussion: """
            Reads every manifest.worker-*-of-*.json in DIR and checks that they come from the same \
            generation, that every worker is present once, that each split's shards cover its scenes \
            exactly, and that every shard file has the listed size and SHA-256; then writes \
            DIR/manifest.json atomically. An identical manifest.json is left alone (exit 0); a \
            different one is replaced only with --force.

            Example: shardtool merge data/rooms
            """
    )

    @Argument(help: "The dataset directory holding the partial manifests and the shards.")
    var directory: String

    @Flag(help: "Replace an existing manifest.json that differs from the merged one.")
    var force = false

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw ValidationError("\(directory): expected a dataset directory, found nothing there")
        }
        guard isDirectory.boolValue else {
            throw ValidationError("\(directory): expected a dataset directory, found a file")
        }
        let outcome = try ManifestMerging.merge(in: URL(fileURLWithPath: directory), force: force)
        print(outcome.summary)
    }
}
