/// A procedural surface pattern that alternates a material's colour with a second colour.
///
/// Patterns are evaluated in the surface's own coordinates: for rectangles and planes the
/// local (x, y) of the surface (so a wall's stripes follow the wall), for solid shapes the
/// local (x, y, z) relative to the shape's centre.
public enum Texture: Sendable, Equatable {
    /// One colour everywhere.
    case solid
    /// A checkerboard of squares (cubes on solids) of side `scale` scene units.
    case checker(secondColor: Vector3, scale: Float)
    /// Parallel bands of width `scale` across the surface's local x axis (vertical bands on
    /// a wall whose local x is horizontal), or across local y when `alongY` is true.
    case stripes(secondColor: Vector3, scale: Float, alongY: Bool)
}
