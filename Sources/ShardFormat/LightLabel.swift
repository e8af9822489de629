/// Ground truth for one light.
public struct LightLabel: Codable, Hashable, Sendable {
    /// Light kind as the scene family spells it, for example `"point"` or `"directional"`.
    public var kind: String
    /// Position in world units (meaningless for directional lights; stored as given).
    public var position: SIMD3<Float>
    /// Direction the light shines, world frame (meaningless for point lights; stored as given).
    public var direction: SIMD3<Float>
    /// Colour as red, green, blue.
    public var color: SIMD3<Float>
    /// Intensity, in the scene family's units.
    public var intensity: Float

    /// Creates a light label.
    public init(kind: String, position: SIMD3<Float>, direction: SIMD3<Float>, color: SIMD3<Float>, intensity: Float) {
        self.kind = kind
        self.position = position
        self.direction = direction
        self.color = color
        self.intensity = intensity
    }
}
