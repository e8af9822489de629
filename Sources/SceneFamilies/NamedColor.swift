import SceneModel

/// A colour with a name, as palettes list them.
public struct NamedColor: Sendable, Equatable {
    /// The label written into the ground truth, e.g. "red".
    public var name: String
    /// sRGB components in [0, 1].
    public var srgb: Vector3
}
