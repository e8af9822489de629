import Foundation
import SceneModel

/// A scene distribution ready to sample: scene `i` of a dataset is a pure function of
/// (spec, dataset seed, i), independent of which worker or thread draws it and in which
/// order.
public struct SceneFamily: Sendable {
    /// The family's spec.
    public let spec: FamilySpec

    /// Wraps a validated spec.
    public init(spec: FamilySpec) {
        self.spec = spec
    }

    /// Separate random streams per concern, so that (say) adding a light does not move
    /// every object.
    private enum Stream: UInt64 {
        case room = 1, objects, lights, cameras
    }

    /// Draws scene `index` of the dataset with seed `seed`.
    /// - Complexity: O(objects^2 + views) with bounded rejection sampling.
    public func sample(index: Int, seed: UInt64) -> SampledScene {
        let sceneSeed = mixSeed(seed, UInt64(index))
        func random(_ stream: Stream) -> SceneRandom { SceneRandom(seed: sceneSeed, stream: stream.rawValue) }
        var shapes: [Shape] = []
        var truth = GroundTruth(objects: [], lights: [], wall: nil, floor: nil, ambient: 0)
        var background = Vector3.zero
        var contentCenter = Vector3.zero
        var roomBounds: RoomSpec?
        switch spec.content {
        case .rooms(let room, let objects):
            var roomRandom = random(.room)
            let wall = room.walls[roomRandom.index(room.walls.count)]
            let floor = room.floors[roomRandom.index(room.floors.count)]
            truth.wall = wall.name
            truth.floor = floor.name
            shapes += Room(width: room.width, depth: room.depth, height: room.height, floor: floor.material,
                           walls: wall.material, ceiling: room.ceiling?.material).shapes
            var objectRandom = random(.objects)
            truth.objects = Self.placeObjects(objects, in: room, random: &objectRandom)
            contentCenter = [0, 0, room.height / 2]
            roomBounds = room
        case .shepardMetzler(let parts):
            var objectRandom = random(.objects)
            truth.objects = Self.shepardMetzler(parts, random: &objectRandom)
            background = Material.linear(fromSRGB: parts.background)
        }
        for (offset, object) in truth.objects.enumerated() {
            shapes.append(Shape(kind: object.shape, position: object.position, size: object.size,
                                orientation: Orientation(yaw: object.yaw, pitch: object.pitch, roll: object.roll),
                                material: Material(color: Material.linear(fromSRGB: object.color),
                                                   specular: objectSpecular(index: offset, sceneSeed: sceneSeed)),
                                instanceID: UInt8(offset + 1)))
        }
        var lightRandom = random(.lights)
        let (lights, lightTruth, ambient) = Self.drawLights(spec.lights, random: &lightRandom)
        truth.lights = lightTruth
        truth.ambient = ambient
        var cameraRandom = random(.cameras)
        if case .shepardMetzler = spec.content {
            contentCenter = .zero
        }
        let cameras = (0..<spec.views).map { _ in
            drawCamera(random: &cameraRandom, room: roomBounds, objects: truth.objects, center: contentCenter)
        }
        let scene = Scene(camera: cameras[0], shapes: shapes, lights: lights,
                          ambient: Vector3(repeating: ambient), background: background)
        return SampledScene(index: index, seed: sceneSeed, scene: scene, cameras: cameras, groundTruth: truth)
    }

    /// Highlight strength of the k-th object, from its own stream so that it does not
    /// disturb placement draws.
    private func objectSpecular(index: Int, sceneSeed: UInt64) -> Float {
        guard case .rooms(_, let objects) = spec.content, objects.specular.upperBound > 0 else { return 0 }
        var random = SceneRandom(seed: mixSeed(sceneSeed, UInt64(index)), stream: 5)
        return random.uniformFloat(objects.specular)
    }

    // MARK: Objects

    /// Radius of a circle around an object's centre containing its footprint for any yaw.
    static func footprintRadius(_ size: Vector3) -> Float {
        (size.x * size.x + size.y * size.y).squareRoot() / 2
    }

    /// Height of an object's centre when it rests on the floor (yaw-only rotation).
    static func restingHeight(_ kind: ShapeKind, size: Vector3) -> Float {
        switch kind {
        case .icosahedron:
            // The lowest vertex of a regular icosahedron in its standard pose sits at
            // phi / sqrt(1 + phi^2) of the circumradius below the centre.
            return 0.850_650_8 * size.x / 2
        case .sphere:
            return size.x / 2
        default:
            return size.z / 2
        }
    }

    /// Places objects on the floor without overlaps: rejection sampling of footprints
    /// (bounded attempts; an object that finds no room is left out).
    static func placeObjects(_ spec: ObjectsSpec, in room: RoomSpec, random: inout SceneRandom) -> [GroundTruth.Object] {
        let count = random.integer(spec.count)
        var placed: [GroundTruth.Object] = []
        for _ in 0..<count {
            let choice = spec.shapes[random.index(spec.shapes.count)]
            var size = choice.aspect * random.uniformFloat(spec.scale)
            if choice.kind == .sphere || choice.kind == .icosahedron { size = Vector3(repeating: size.x) }
            if choice.kind == .capsule { size.z = max(size.z, size.x) }
            let yaw = spec.randomYaw ? random.uniformFloat(-Double.pi...Double.pi) : 0
            let color = spec.colors.draw(&random)
            let radius = footprintRadius(size)
            let halfWidth = min(room.width / 2 - spec.wallMargin, spec.placementHalfSize ?? .infinity)
            let halfDepth = min(room.depth / 2 - spec.wallMargin, spec.placementHalfSize ?? .infinity)
            let limitX = Double(halfWidth - radius), limitY = Double(halfDepth - radius)
            guard limitX > 0, limitY > 0 else { continue }
            for _ in 0..<200 {
                let x = random.uniformFloat(-limitX...limitX), y = random.uniformFloat(-limitY...limitY)
                let clear = placed.allSatisfy { other in
                    let distance = (SIMD2(x, y) - SIMD2(other.position.x, other.position.y))
                    return (distance * distance).sum().squareRoot() >= radius + footprintRadius(other.size) + spec.gap
                }
                if clear {
                    placed.append(GroundTruth.Object(
                        shape: choice.kind, colorName: color.name, color: color.srgb,
                        position: [x, y, restingHeight(choice.kind, size: size)], size: size,
                        yaw: yaw, pitch: 0, roll: 0))
                    break
                }
            }
        }
        return placed
    }

    /// A self-avoiding chain of cubes on the integer lattice, centred on the origin.
    static func shepardMetzler(_ spec: ShepardMetzlerSpec, random: inout SceneRandom) -> [GroundTruth.Object] {
        let steps: [SIMD3<Int>] = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]]
        var cells: [SIMD3<Int>] = [.zero]
        while cells.count < spec.parts {
            let free = steps.map { cells[cells.count - 1] &+ $0 }.filter { !cells.contains($0) }
            if free.isEmpty {
                // Boxed in (rare for chains this short): start over; still a pure function of the seed.
                cells = [.zero]
                continue
            }
            cells.append(free[random.index(free.count)])
        }
        let centroid = cells.reduce(SIMD3<Float>.zero) { $0 + SIMD3<Float>(Float($1.x), Float($1.y), Float($1.z)) }
            / Float(cells.count)
        return cells.map { cell in
            let color = spec.colors.draw(&random)
            let position = (SIMD3<Float>(Float(cell.x), Float(cell.y), Float(cell.z)) - centroid) * spec.cubeSize
            return GroundTruth.Object(shape: .box, colorName: color.name, color: color.srgb, position: position,
                                      size: Vector3(repeating: spec.cubeSize), yaw: 0, pitch: 0, roll: 0)
        }
    }

    // MARK: Lights

    static func drawLights(_ spec: LightsSpec, random: inout SceneRandom)
        -> (lights: [Light], truth: [GroundTruth.LightSource], ambient: Float) {
        let count = random.integer(spec.count)
        var lights: [Light] = []
        var truth: [GroundTruth.LightSource] = []
        for _ in 0..<count {
            let type = spec.types[random.index(spec.types.count)]
            let position = Vector3(random.uniformFloat(spec.x), random.uniformFloat(spec.y), random.uniformFloat(spec.z))
            let color = Vector3(random.uniformFloat(Double(spec.colorMin.x)...Double(spec.colorMax.x)),
                                random.uniformFloat(Double(spec.colorMin.y)...Double(spec.colorMax.y)),
                                random.uniformFloat(Double(spec.colorMin.z)...Double(spec.colorMax.z)))
            switch type {
            case .point:
                let intensity = random.uniformFloat(spec.intensity)
                lights.append(Light(kind: .point(position: position), color: color, intensity: intensity))
                truth.append(.init(kind: "point", position: position, direction: .zero, color: color, intensity: intensity))
            case .area:
                let intensity = random.uniformFloat(spec.intensity)
                let side = random.uniformFloat(spec.areaSize)
                lights.append(Light(kind: .area(center: position, edgeU: [side, 0, 0], edgeV: [0, -side, 0]),
                                    color: color, intensity: intensity))
                truth.append(.init(kind: "area", position: position, direction: [0, 0, -1], color: color,
                                   intensity: intensity))
            case .directional:
                let intensity = random.uniformFloat(spec.directionalIntensity)
                let direction = position == .zero ? Vector3(0, 0, -1) : -position.normalized
                lights.append(Light(kind: .directional(direction: direction), color: color, intensity: intensity))
                truth.append(.init(kind: "directional", position: .zero, direction: direction, color: color,
                                   intensity: intensity))
            }
        }
        return (lights, truth, random.uniformFloat(spec.ambient))
    }

    // MARK: Cameras

    private func drawCamera(random: inout SceneRandom, room: RoomSpec?, objects: [GroundTruth.Object],
                            center: Vector3) -> Camera {
        let (size, fov) = (spec.imageSize, spec.fieldOfView)
        switch spec.camera {
        case .ring(let radius, let height, let targetHeight):
            let angle = random.uniform(0...(2 * Double.pi))
            let r = random.uniform(radius)
            let position = Vector3(Float(r * cos(angle)), Float(r * sin(angle)), random.uniformFloat(height))
            let target = Vector3(0, 0, random.uniformFloat(targetHeight))
            return Camera(position: position, lookingAt: target, verticalFieldOfView: fov, width: size, height: size)
        case .free(let height, let pitch, let yawSpread, let wallMargin, let clearance):
            let halfWidth = Double(max((room?.width ?? 2) / 2 - wallMargin, 0))
            let halfDepth = Double(max((room?.depth ?? 2) / 2 - wallMargin, 0))
            var position = Vector3.zero
            for _ in 0..<1000 {
                position = Vector3(random.uniformFloat(-halfWidth...halfWidth), random.uniformFloat(-halfDepth...halfDepth),
                                   random.uniformFloat(height))
                if !Self.isNearObject(position, objects: objects, clearance: clearance) { break }
            }
            let towardsCentre = atan2(-Double(position.y), -Double(position.x))
            let yaw = towardsCentre + random.uniform(-yawSpread...yawSpread)
            return Camera(position: position, yaw: Float(remainder(yaw, 2 * Double.pi)),
                          pitch: random.uniformFloat(pitch), verticalFieldOfView: fov, width: size, height: size)
        case .orbit(let distance, let pitch):
            let yaw = random.uniform(-Double.pi...Double.pi)
            let elevation = random.uniform(pitch)
            let d = random.uniform(distance)
            let offset = Vector3(Float(d * cos(elevation) * cos(yaw)), Float(d * cos(elevation) * sin(yaw)),
                                 Float(d * sin(elevation)))
            return Camera(position: center + offset, lookingAt: center, verticalFieldOfView: fov, width: size, height: size)
        }
    }

    /// Whether a point lies within `clearance` of an object's bounding sphere.
    static func isNearObject(_ point: Vector3, objects: [GroundTruth.Object], clearance: Float) -> Bool {
        objects.contains { object in
            let radius = (object.size * object.size).sum().squareRoot() / 2
            return (point - object.position).length < radius + clearance
        }
    }
}
