import SceneModel

/// One scene drawn from a family: what to render, from where, and what is in it.
public struct SampledScene: Sendable {
    /// The scene's index in its dataset.
    public var index: Int
    /// The scene's own seed, derived from the dataset seed and index; it also keys each
    /// view's pixel noise (``renderSeed(view:)``).
    public var seed: UInt64
    /// Geometry, materials and lights (its camera is the first view's).
    public var scene: Scene
    /// One camera per view.
    public var cameras: [Camera]
    /// The labels.
    public var groundTruth: GroundTruth

    /// The seed of a view's per-pixel random streams.
    public func renderSeed(view: Int) -> UInt64 {
        mixSeed(seed, UInt64(view))
    }
}
