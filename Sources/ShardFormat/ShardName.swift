/// Shard and manifest file names.
///
/// Shards are named `<split>-<index>-of-<count>.gqnshard` with both numbers zero-padded to
/// five digits (more when `count` needs them), so a split's shards expand from one brace
/// pattern: `train-{00000..00063}-of-00064.gqnshard`.
public enum ShardName {
    /// The shard file extension, without the dot.
    public static let fileExtension = "gqnshard"

    /// The file name of shard `index` of `count` in `split`, for example
    /// `train-00003-of-00064.gqnshard`.
    public static func fileName(split: String, index: Int, count: Int) -> String {
        let width = max(5, String(count).count)
        return "\(split)-\(padded(index, width))-of-\(padded(count, width)).\(fileExtension)"
    }

    /// The name of worker `worker`'s partial manifest among `workerCount`, for example
    /// `manifest.worker-00003-of-00008.json`.
    public static func partialManifestFileName(worker: Int, workerCount: Int) -> String {
        let width = max(5, String(workerCount).count)
        return "manifest.worker-\(padded(worker, width))-of-\(padded(workerCount, width)).json"
    }

    /// Whether `fileName` looks like a partial manifest name.
    static func isPartialManifestFileName(_ fileName: String) -> Bool {
        fileName.hasPrefix("manifest.worker-") && fileName.hasSuffix(".json")
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
