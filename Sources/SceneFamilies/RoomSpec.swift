import SceneModel

/// The room of a rooms family: its size and the wall and floor looks it draws from.
public struct RoomSpec: Sendable, Equatable {
    /// A named material: the name goes into the labels.
    public struct Look: Sendable, Equatable {
        /// A label such as "red" or "blue checker".
        public var name: String
        /// How it renders.
        public var material: Material
    }

    /// Extent along x.
    public var width: Float
    /// Extent along y.
    public var depth: Float
    /// Wall height.
    public var height: Float
    /// Wall looks, one drawn per scene (the GQN rooms have 5).
    public var walls: [Look]
    /// Floor looks, one drawn per scene (the GQN rooms have 3).
    public var floors: [Look]
    /// An optional ceiling, so that cameras looking up see a room rather than the void.
    public var ceiling: Look?

    init(spec: inout SpecReader) throws {
        width = Float(try spec.number("width", default: 7, in: 0.5...1000))
        depth = Float(try spec.number("depth", default: 7, in: 0.5...1000))
        height = Float(try spec.number("height", default: 3, in: 0.1...1000))
        walls = try Self.looks(&spec, key: "walls")
        floors = try Self.looks(&spec, key: "floors")
        if var item = try spec.optionalObject("ceiling") {
            ceiling = try Self.look(&item)
        }
    }

    private static func looks(_ spec: inout SpecReader, key: String) throws -> [Look] {
        try spec.objects(key, minimumCount: 1).map { item in
            var item = item
            return try look(&item)
        }
    }

    private static func look(_ item: inout SpecReader) throws -> Look {
        let name = try item.string("name")
        let material = try Material(spec: &item)
        try item.finish()
        return Look(name: name, material: material)
    }
}
