/// The kinds of surface the ray tracer intersects: the seven GQN object shapes and the
/// planes and rectangles rooms are made of.
///
/// Every shape is centred on its position and sized by `size`, the full extents of its
/// local bounding box (x width, y depth, z height), except where noted:
///
/// | kind | local geometry |
/// |---|---|
/// | `plane` | the infinite plane z = 0 (normal +z); `size` unused |
/// | `rectangle` | `size.x` by `size.y` in the plane z = 0, normal +z |
/// | `box` | `size.x` x `size.y` x `size.z` |
/// | `sphere` | radius `size.x / 2` |
/// | `cylinder` | axis z, radius `size.x / 2`, height `size.z`, capped |
/// | `cone` | axis z, base radius `size.x / 2` at z = -`size.z`/2, apex at +`size.z`/2, capped |
/// | `capsule` | axis z, radius `size.x / 2`, total height `size.z` (at least the diameter) |
/// | `icosahedron` | regular, circumscribed sphere of diameter `size.x` |
/// | `triangularPrism` | triangle of base `size.x` and height `size.z` in the x-z plane, apex up, extruded `size.y` along y |
public enum ShapeKind: String, Sendable, CaseIterable, Codable {
    case plane
    case rectangle
    case box
    case sphere
    case cylinder
    case cone
    case capsule
    case icosahedron
    case triangularPrism
}

/// One surface of a scene: a kind, a placement, a size and a material.
public struct Shape: Sendable, Equatable {
    /// What kind of surface this is.
    public var kind: ShapeKind
    /// The centre of the shape in world space.
    public var position: Vector3
    /// Full extents of the local bounding box; see ``ShapeKind`` for each kind's meaning.
    public var size: Vector3
    /// Rotation from the shape's local frame to the world.
    public var orientation: Orientation
    /// How the surface reflects light.
    public var material: Material
    /// The value this shape writes into instance masks: 0 for the room, k for the k-th object.
    public var instanceID: UInt8

    /// Creates a shape.
    public init(kind: ShapeKind, position: Vector3, size: Vector3, orientation: Orientation = .identity,
                material: Material, instanceID: UInt8 = 0) {
        self.kind = kind
        self.position = position
        self.size = size
        self.orientation = orientation
        self.material = material
        self.instanceID = instanceID
    }

    /// A rectangle spanned by two perpendicular edge vectors around a centre; its normal is
    /// `edgeU x edgeV`.
    /// - Precondition: the edges are non-zero and perpendicular.
    public static func rectangle(center: Vector3, edgeU: Vector3, edgeV: Vector3, material: Material,
                                 instanceID: UInt8 = 0) -> Shape {
        let x = edgeU.normalized
        let z = edgeU.cross(edgeV).normalized
        let orientation = Orientation(xAxis: x, yAxis: z.cross(x), zAxis: z)
        return Shape(kind: .rectangle, position: center, size: Vector3(edgeU.length, edgeV.length, 0),
                     orientation: orientation, material: material, instanceID: instanceID)
    }

    /// An infinite plane through `point` with the given normal.
    /// - Precondition: `normal` is non-zero.
    public static func plane(point: Vector3, normal: Vector3, material: Material, instanceID: UInt8 = 0) -> Shape {
        let z = normal.normalized
        let helper: Vector3 = abs(z.z) < 0.9 ? [0, 0, 1] : [1, 0, 0]
        let x = helper.cross(z).normalized
        return Shape(kind: .plane, position: point, size: .zero,
                     orientation: Orientation(xAxis: x, yAxis: z.cross(x), zAxis: z),
                     material: material, instanceID: instanceID)
    }

    /// The radius of a sphere around ``position`` that contains the whole shape
    /// (infinite for planes).
    public var boundingRadius: Float {
        switch kind {
        case .plane: return .infinity
        case .rectangle: return (size.x * size.x + size.y * size.y).squareRoot() / 2
        case .sphere, .icosahedron: return size.x / 2
        case .box, .triangularPrism, .cylinder, .cone, .capsule:
            return (size.x * size.x + size.y * size.y + size.z * size.z).squareRoot() / 2
        }
    }
}
