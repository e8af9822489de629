/// Everything a shard stores about one scene: its identity, every view, and its ground truth.
///
/// One record per scene; a shard holds records in the order they were appended.
public struct SceneRecord: Codable, Hashable, Sendable {
    /// The scene's index in the dataset (scene `i` is a pure function of spec, seed and `i`).
    public var sceneIndex: UInt64
    /// The seed the scene was generated from.
    public var sceneSeed: UInt64
    /// The scene's views, exactly ``DatasetSchema/viewsPerScene`` of them.
    public var views: [ViewRecord]
    /// Ground truth: room, objects and lights.
    public var labels: SceneLabels

    /// Creates a record.
    public init(sceneIndex: UInt64, sceneSeed: UInt64, views: [ViewRecord], labels: SceneLabels) {
        self.sceneIndex = sceneIndex
        self.sceneSeed = sceneSeed
        self.views = views
        self.labels = labels
    }
}
