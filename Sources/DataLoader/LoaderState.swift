/// Where a loader's stream stands: save it with a checkpoint and pass it to
/// ``GQNLoader/init(configuration:resumingFrom:)`` to continue exactly there.
///
/// `position` counts scenes of the epoch's global order (all ranks together) consumed so
/// far: after `b` batches on every rank it is `b * batchSize * worldSize` (capped at the
/// split's size). When a rank finishes an epoch its state moves to `(epoch + 1, 0)`.
/// ``seed`` and ``sceneCount`` are there to catch a resume against another seed or dataset.
public struct LoaderState: Codable, Equatable, Hashable, Sendable {
    /// The epoch being read.
    public var epoch: Int
    /// Scenes of the epoch's global order consumed by all ranks together.
    public var position: Int
    /// The configuration's seed.
    public var seed: UInt64
    /// The number of scenes in the split.
    public var sceneCount: Int

    /// Creates a state.
    public init(epoch: Int, position: Int, seed: UInt64, sceneCount: Int) {
        self.epoch = epoch
        self.position = position
        self.seed = seed
        self.sceneCount = sceneCount
    }
}
