/// A named, contiguous range of scene indices, such as the training or test set.
public struct DatasetSplit: Codable, Hashable, Sendable {
    /// The split's name; also the prefix of its shard file names (`train`, `test`, ...).
    public var name: String
    /// The split's first scene index.
    public var firstSceneIndex: UInt64
    /// How many scenes the split has: scenes `firstSceneIndex ..< firstSceneIndex + sceneCount`.
    public var sceneCount: UInt64

    /// Creates a split.
    public init(name: String, firstSceneIndex: UInt64, sceneCount: UInt64) {
        self.name = name
        self.firstSceneIndex = firstSceneIndex
        self.sceneCount = sceneCount
    }
}
