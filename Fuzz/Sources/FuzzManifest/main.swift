import Foundation
import FuzzSupport
import ShardFormat

/// manifest.json: decoding, the format and schema checks, and every shard path against the
/// dataset directory (absolute, `..`, empty: all refused).
exit(FuzzSupport.run { input in
    let url = FuzzSupport.file(input, named: Manifest.fileName)
    guard let manifest = try? Manifest.load(from: url) else { return }
    let directory = url.deletingLastPathComponent().standardizedFileURL
    for shard in manifest.shards {
        guard let shardURL = try? manifest.shardURL(for: shard, in: directory) else { continue }
        FuzzSupport.require(
            shardURL.standardizedFileURL.path.hasPrefix(directory.path + "/"),
            "shard path \(shard.file) leaves the dataset directory")
    }
    _ = try? manifest.encoded()
})
