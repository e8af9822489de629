import Foundation
import SceneModel

/// A ``/SceneModel/Scene`` flattened for tracing: plain structs with precomputed frames, bounds and
/// light terms, so the per-ray loops touch no class instances, closures or existentials.
struct CompiledScene: Sendable {
    struct ShapeRecord: Sendable {
        var kind: ShapeKind
        var center: Vector3
        var orientation: Orientation
        /// Kind-specific parameters (half extents, radii, slopes): see `init(scene:)`.
        var parameters: SIMD4<Float>
        /// Squared bounding radius; infinite for planes.
        var boundingRadiusSquared: Float
        var materialIndex: Int
        /// Range of this shape's face planes in `planes` (convex polyhedra only).
        var planeStart: Int
        var planeCount: Int
        var instanceID: UInt8
        /// This record's index in `shapes`.
        var index: Int
    }

    /// A plane or rectangle reduced to what its intersection test needs.
    struct FlatRecord: Sendable {
        var normal: Vector3
        /// `normal . center`: the plane is `normal . p = offset`.
        var offset: Float
        var center: Vector3
        var xAxis: Vector3
        var yAxis: Vector3
        /// Half extents along the local axes; infinite for planes.
        var halfX: Float
        var halfY: Float
        /// Index into `shapes`.
        var shape: Int
    }

    struct MaterialRecord: Sendable {
        var color: Vector3
        var secondColor: Vector3
        /// 0 solid, 1 checker, 2 stripes across local x, 3 stripes across local y.
        var pattern: Int
        var inverseScale: Float
        var specular: Float
        var shininess: Float
    }

    struct LightRecord: Sendable {
        /// 0 point, 1 directional, 2 area.
        var kind: Int
        /// Point position, area centre, or the unit direction towards a directional light.
        var vector: Vector3
        var edgeU: Vector3
        var edgeV: Vector3
        var areaNormal: Vector3
        /// Colour times intensity.
        var radiance: Vector3

        /// The unit direction from `point` towards the light (a random point of an area
        /// light, drawing two numbers from `rng`), its distance (infinite for directional
        /// lights) and the irradiance it brings at normal incidence.
        @inline(__always)
        func incidence(at point: Vector3, rng: inout PCG32) -> (toLight: Vector3, distance: Float, irradiance: Vector3) {
            switch kind {
            case 0:
                let toLight = vector - point
                let distanceSquared = toLight.dot(toLight)
                let distance = distanceSquared.squareRoot()
                return (toLight / distance, distance, radiance / distanceSquared)
            case 1:
                return (vector, .infinity, radiance)
            default:
                let sample = vector + (rng.nextFloat() - 0.5) * edgeU + (rng.nextFloat() - 0.5) * edgeV
                let toLight = sample - point
                let distanceSquared = toLight.dot(toLight)
                let distance = distanceSquared.squareRoot()
                let direction = toLight / distance
                return (direction, distance, radiance * (abs(areaNormal.dot(direction)) / distanceSquared))
            }
        }
    }

    /// Every shape, for materials, instance ids and texture frames.
    var shapes: [ShapeRecord] = []
    /// The flat shapes (planes, rectangles), tested by plane distance first.
    var flats: [FlatRecord] = []
    /// The solid shapes, tested by bounding sphere first.
    var solids: [ShapeRecord] = []
    var materials: [MaterialRecord] = []
    var lights: [LightRecord] = []
    /// Face planes of convex polyhedra in local space: (normal, offset) with `n . p <= offset` inside.
    var planes: [SIMD4<Float>] = []
    var ambient: Vector3
    var background: Vector3

    init(scene: Scene) {
        ambient = scene.ambient
        background = scene.background
        for shape in scene.shapes {
            let half = shape.size / 2
            var parameters = SIMD4<Float>(half.x, half.y, half.z, 0)
            var planeStart = 0, planeCount = 0
            switch shape.kind {
            case .sphere:
                parameters = SIMD4(half.x, half.x * half.x, 0, 0)
            case .cylinder:
                parameters = SIMD4(half.x, half.z, 0, 0)
            case .cone:
                // radius, half height, slope (radius lost per unit of height)
                parameters = SIMD4(half.x, half.z, half.z > 0 ? half.x / shape.size.z : 0, 0)
            case .capsule:
                // radius, half length of the axis segment between the cap centres
                parameters = SIMD4(half.x, max(half.z - half.x, 0), 0, 0)
            case .icosahedron:
                planeStart = planes.count
                planes += Self.icosahedronPlanes(circumradius: half.x)
                planeCount = planes.count - planeStart
            case .triangularPrism:
                planeStart = planes.count
                planes += Self.prismPlanes(halfExtents: half)
                planeCount = planes.count - planeStart
            case .plane, .rectangle, .box:
                break
            }
            let radius = shape.boundingRadius
            if shape.kind == .plane || shape.kind == .rectangle {
                let normal = shape.orientation.zAxis
                let bounded = shape.kind == .rectangle
                flats.append(FlatRecord(normal: normal, offset: normal.dot(shape.position), center: shape.position,
                                        xAxis: shape.orientation.xAxis, yAxis: shape.orientation.yAxis,
                                        halfX: bounded ? half.x : .infinity, halfY: bounded ? half.y : .infinity,
                                        shape: shapes.count))
            }
            shapes.append(ShapeRecord(
                kind: shape.kind, center: shape.position, orientation: shape.orientation,
                parameters: parameters, boundingRadiusSquared: radius * radius,
                materialIndex: materials.count, planeStart: planeStart, planeCount: planeCount,
                instanceID: shape.instanceID, index: shapes.count))
            materials.append(Self.compile(shape.material))
        }
        solids = shapes.filter { $0.kind != .plane && $0.kind != .rectangle }
        for light in scene.lights {
            let radiance = light.color * light.intensity
            switch light.kind {
            case .point(let position):
                lights.append(LightRecord(kind: 0, vector: position, edgeU: .zero, edgeV: .zero,
                                          areaNormal: .zero, radiance: radiance))
            case .directional(let direction):
                lights.append(LightRecord(kind: 1, vector: -direction.normalized, edgeU: .zero, edgeV: .zero,
                                          areaNormal: .zero, radiance: radiance))
            case .area(let center, let edgeU, let edgeV):
                lights.append(LightRecord(kind: 2, vector: center, edgeU: edgeU, edgeV: edgeV,
                                          areaNormal: edgeU.cross(edgeV).normalized, radiance: radiance))
            }
        }
    }

    private static func compile(_ material: Material) -> MaterialRecord {
        var record = MaterialRecord(color: material.color, secondColor: material.color, pattern: 0,
                                    inverseScale: 1, specular: material.specular, shininess: material.shininess)
        switch material.texture {
        case .solid:
            break
        case .checker(let second, let scale):
            record.pattern = 1
            record.secondColor = second
            record.inverseScale = 1 / scale
        case .stripes(let second, let scale, let alongY):
            record.pattern = alongY ? 3 : 2
            record.secondColor = second
            record.inverseScale = 1 / scale
        }
        return record
    }

    /// The 20 face planes of a regular icosahedron with the given circumradius.
    static func icosahedronPlanes(circumradius: Float) -> [SIMD4<Float>] {
        let phi: Float = (1 + Float(5).squareRoot()) / 2
        var vertices: [Vector3] = []
        for a: Float in [-1, 1] {
            for b: Float in [-phi, phi] {
                vertices += [Vector3(0, a, b), Vector3(a, b, 0), Vector3(b, 0, a)]
            }
        }
        // Unnormalised vertices have edge length 2; faces are triples of mutual neighbours.
        func adjacent(_ i: Int, _ j: Int) -> Bool { abs((vertices[i] - vertices[j]).length - 2) < 1e-3 }
        let scale = circumradius / Vector3(0, 1, phi).length
        var planes: [SIMD4<Float>] = []
        for i in 0..<12 {
            for j in (i + 1)..<12 where adjacent(i, j) {
                for k in (j + 1)..<12 where adjacent(i, k) && adjacent(j, k) {
                    let centroid = (vertices[i] + vertices[j] + vertices[k]) / 3
                    let normal = centroid.normalized
                    planes.append(SIMD4(normal.x, normal.y, normal.z, normal.dot(vertices[i]) * scale))
                }
            }
        }
        return planes
    }

    /// The 5 face planes of a triangular prism: triangle in x-z (base at z = -h, apex at
    /// z = +h, half base `w`), extruded over y in [-d, d].
    static func prismPlanes(halfExtents: Vector3) -> [SIMD4<Float>] {
        let (w, d, h) = (halfExtents.x, halfExtents.y, halfExtents.z)
        // Slanted sides pass through (+-w, -h) and (0, h): normal (+-2h, 0, w), offset through the apex.
        let right = Vector3(2 * h, 0, w).normalized
        let left = Vector3(-2 * h, 0, w).normalized
        return [
            SIMD4(0, 0, -1, h),
            SIMD4(0, 1, 0, d),
            SIMD4(0, -1, 0, d),
            SIMD4(right.x, right.y, right.z, right.z * h),
            SIMD4(left.x, left.y, left.z, left.z * h),
        ]
    }
}
