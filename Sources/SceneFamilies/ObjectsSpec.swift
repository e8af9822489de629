import SceneModel

/// The objects of a rooms family: how many, which shapes, how big, which colours, how
/// far apart.
public struct ObjectsSpec: Sendable, Equatable {
    /// One allowed shape and its proportions.
    public struct ShapeChoice: Sendable, Equatable {
        /// The shape kind.
        public var kind: ShapeKind
        /// Extents relative to the drawn scale (x, y, z), e.g. `[0.6, 0.6, 1.2]` for a capsule.
        public var aspect: Vector3
    }

    /// How many objects a scene has, drawn uniformly.
    public var count: ClosedRange<Int>
    /// The shapes drawn from, uniformly.
    public var shapes: [ShapeChoice]
    /// The scale (scene units) multiplying each shape's aspect, drawn uniformly.
    public var scale: ClosedRange<Double>
    /// Whether objects turn about the vertical by a uniform random yaw.
    public var randomYaw: Bool
    /// How colours are drawn.
    public var colors: ColorSpec
    /// Highlight strength, drawn uniformly.
    public var specular: ClosedRange<Double>
    /// Minimum free distance between any two objects' footprints.
    public var gap: Float
    /// Minimum free distance between a footprint and a wall.
    public var wallMargin: Float
    /// When set, footprints stay inside the square |x|, |y| <= this (for example inside
    /// a camera ring); otherwise anywhere in the room.
    public var placementHalfSize: Float?

    init(spec: inout SpecReader) throws {
        count = try spec.integerRange("count", in: 0...255)
        shapes = try spec.objects("shapes", minimumCount: 1).map { item in
            var item = item
            let solids = ShapeKind.allCases.filter { $0 != .plane && $0 != .rectangle }.map(\.rawValue)
            let kind = ShapeKind(rawValue: try item.choice("type", from: solids)) ?? .box
            let aspect = try item.vector("aspect", default: [1, 1, 1])
            guard aspect.min() > 0 else {
                throw item.error("aspect", expected: "positive proportions", found: "\(aspect)")
            }
            try item.finish()
            return ShapeChoice(kind: kind, aspect: aspect)
        }
        scale = try spec.range("scale", in: 0.01...100)
        randomYaw = try spec.bool("randomYaw", default: true)
        var colors = try spec.object("colors")
        self.colors = try ColorSpec(spec: &colors)
        try colors.finish()
        specular = try spec.range("specular", default: 0...0, in: 0...100)
        gap = Float(try spec.number("gap", default: 0.1, in: 0...100))
        wallMargin = Float(try spec.number("wallMargin", default: 0.2, in: 0...100))
        placementHalfSize = spec.has("placementHalfSize")
            ? Float(try spec.number("placementHalfSize", in: 0.01...1000)) : nil
    }
}
