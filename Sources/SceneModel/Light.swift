/// A light source. All lights have a colour (linear RGB) and an intensity; the scene adds
/// an ambient term on top (``Scene/ambient``).
///
/// Irradiance conventions: a point light delivers `color * intensity / d^2` at distance
/// `d`; a directional light delivers `color * intensity` everywhere it is unoccluded; an
/// area light is a rectangle of point emitters totalling `intensity`, each delivering
/// `color * intensity * |cos theta_light| / d^2` (it emits from both faces), which gives
/// soft shadows.
public struct Light: Sendable, Equatable {
    /// Where the light comes from.
    public enum Kind: Sendable, Equatable {
        /// A point emitter at a position.
        case point(position: Vector3)
        /// A distant light shining along `direction` (for example `[0, 0, -1]` shines down).
        case directional(direction: Vector3)
        /// A rectangle centred at `center` spanned by edges `edgeU` and `edgeV`.
        case area(center: Vector3, edgeU: Vector3, edgeV: Vector3)
    }

    /// The light's geometry.
    public var kind: Kind
    /// Linear RGB colour.
    public var color: Vector3
    /// Scalar intensity multiplying the colour.
    public var intensity: Float

    /// Creates a light.
    public init(kind: Kind, color: Vector3 = [1, 1, 1], intensity: Float) {
        self.kind = kind
        self.color = color
        self.intensity = intensity
    }
}
