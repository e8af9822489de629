import SceneModel

/// A Shepard-Metzler object: `parts` cubes joined face to face in a random self-avoiding
/// chain, each randomly coloured, floating in front of a plain background.
public struct ShepardMetzlerSpec: Sendable, Equatable {
    /// Number of cubes in the chain.
    public var parts: Int
    /// Edge length of each cube in scene units.
    public var cubeSize: Float
    /// How each cube's colour is drawn.
    public var colors: ColorSpec
    /// Background colour (sRGB).
    public var background: Vector3

    init(spec: inout SpecReader) throws {
        parts = try spec.integer("parts", in: 1...255)
        cubeSize = Float(try spec.number("cubeSize", default: 0.5, in: 0.001...100))
        var colors = try spec.object("colors")
        self.colors = try ColorSpec(spec: &colors)
        try colors.finish()
        background = try spec.color("background", default: [0, 0, 0])
    }
}
