import Foundation
import FuzzSupport
import ShardFormat

/// manifest.json: decoding, the format and schema checks, and every shard path against the
/// dataset directory (absolute, `..`, empty: all refused).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let url = FuzzSupport.file(FuzzSupport.bytes(data, size), named: Manifest.fileName)
    guard let manifest = try? Manifest.load(from: url) else { return 0 }
    let directory = url.deletingLastPathComponent().standardizedFileURL
    for shard in manifest.shards {
        guard let shardURL = try? manifest.shardURL(for: shard, in: directory) else { continue }
        FuzzSupport.require(
            shardURL.standardizedFileURL.path.hasPrefix(directory.path + "/"),
            "shard path \(shard.file) leaves the dataset directory")
    }
    _ = try? manifest.encoded()
    return 0
}
