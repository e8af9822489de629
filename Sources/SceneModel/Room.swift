/// A rectangular room centred on the origin: a floor at z = 0, four walls and an optional
/// ceiling, all facing inwards and all written as instance 0 in masks.
public struct Room: Sendable, Equatable {
    /// Extent along x.
    public var width: Float
    /// Extent along y.
    public var depth: Float
    /// Wall height.
    public var height: Float
    /// The floor's material.
    public var floor: Material
    /// The walls' material.
    public var walls: Material
    /// The ceiling's material, or nil for an open room.
    public var ceiling: Material?

    /// Creates a room (GQN rooms are 7 x 7).
    public init(width: Float = 7, depth: Float = 7, height: Float = 3, floor: Material, walls: Material,
                ceiling: Material? = nil) {
        self.width = width
        self.depth = depth
        self.height = height
        self.floor = floor
        self.walls = walls
        self.ceiling = ceiling
    }

    /// The rectangles making up the room. Wall textures use the wall's horizontal direction
    /// as local x and the vertical as local y.
    public var shapes: [Shape] {
        let (hx, hy, h) = (width / 2, depth / 2, height)
        let up = Vector3(0, 0, h)
        var shapes: [Shape] = [
            .rectangle(center: [0, 0, 0], edgeU: [width, 0, 0], edgeV: [0, depth, 0], material: floor),
            .rectangle(center: [0, hy, h / 2], edgeU: [width, 0, 0], edgeV: up, material: walls),
            .rectangle(center: [0, -hy, h / 2], edgeU: [-width, 0, 0], edgeV: up, material: walls),
            .rectangle(center: [hx, 0, h / 2], edgeU: [0, -depth, 0], edgeV: up, material: walls),
            .rectangle(center: [-hx, 0, h / 2], edgeU: [0, depth, 0], edgeV: up, material: walls),
        ]
        if let ceiling {
            shapes.append(.rectangle(center: [0, 0, h], edgeU: [width, 0, 0], edgeV: [0, -depth, 0], material: ceiling))
        }
        return shapes
    }
}
