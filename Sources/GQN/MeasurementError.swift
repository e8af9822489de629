/// Why an evaluation or a probe could not measure what it was asked to.
public enum MeasurementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The dataset could not be read (manifest, split, shards); `reason` is the loader's or
    /// ShardFormat's message, naming the file.
    case unreadableData(path: String, reason: String)
    /// The split holds no scene to measure.
    case noScenes(path: String, split: String)
    /// The measurement needs ground-truth objects, and no scene of the split lists any.
    case missingLabels(path: String, split: String)
    /// A setting is out of range for this dataset or model.
    case invalidSetting(name: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .unreadableData(let path, let reason):
            return "\(path): \(reason)"
        case .noScenes(let path, let split):
            return "\(path): split \(split): expected at least one scene, found none"
        case .missingLabels(let path, let split):
            return "\(path): split \(split): expected scenes with ground-truth objects (labels.objects), "
                + "found none in any scene (a dataset written by scenegen generate carries them)"
        case .invalidSetting(let name, let expected, let found):
            return "\(name): expected \(expected), found \(found)"
        }
    }
}
