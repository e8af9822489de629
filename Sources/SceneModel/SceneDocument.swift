import Foundation

/// A scene read from a JSON file, with the render settings the file asks for.
///
/// The schema is specified in the `SceneJSON` article of this module's documentation.
/// Every key is checked: an unknown key, a missing field or a wrong type throws a
/// ``SpecError`` naming the JSON path, what was expected and what was found.
public struct SceneDocument: Sendable, Equatable {
    /// The scene, camera and image size included.
    public var scene: Scene
    /// Samples per pixel the file asks for (a perfect square; default 4).
    public var samplesPerPixel: Int

    /// Reads and validates a scene file.
    /// - Throws: ``SpecError`` for unreadable files, bad JSON or a bad schema.
    public static func load(contentsOf url: URL) throws -> SceneDocument {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SpecError(file: url.path, path: "$", expected: "a readable JSON file", found: "\(error.localizedDescription)")
        }
        return try SceneDocument(json: try JSONValue.parse(data, file: url.path), file: url.path)
    }

    /// Validates a parsed scene document.
    /// - Throws: ``SpecError`` naming the first problem.
    public init(json: JSONValue, file: String? = nil) throws {
        var root = try SpecReader(json, file: file)
        var image = try root.object("image")
        let width = try image.integer("width", in: 1...PNGLimits.maximumDimension)
        let height = try image.integer("height", in: 1...PNGLimits.maximumDimension)
        samplesPerPixel = try image.integer("samplesPerPixel", default: 4, in: 1...4096)
        guard RenderSettings.samplesPerSide(forSamplesPerPixel: samplesPerPixel) != nil else {
            throw image.error("samplesPerPixel", expected: "a perfect square (1, 4, 9, 16, ...)", found: "\(samplesPerPixel)")
        }
        try image.finish()

        var cameraSpec = try root.object("camera")
        let camera = try Self.camera(&cameraSpec, width: width, height: height)
        try cameraSpec.finish()

        var shapes: [Shape] = []
        if var roomSpec = try root.optionalObject("room") {
            shapes += try Self.room(&roomSpec).shapes
            try roomSpec.finish()
        }
        let objectSpecs = root.has("shapes") ? try root.objects("shapes") : []
        guard objectSpecs.count <= 255 else {
            throw root.error("shapes", expected: "at most 255 shapes (instance masks are 8-bit)", found: "\(objectSpecs.count)")
        }
        for (index, var spec) in objectSpecs.enumerated() {
            shapes.append(try Self.shape(&spec, instanceID: UInt8(index + 1)))
            try spec.finish()
        }
        var lights: [Light] = []
        for var spec in try root.objects("lights", minimumCount: 1) {
            lights.append(try Self.light(&spec))
            try spec.finish()
        }
        let ambient = try root.color("ambient", default: [0.1, 0.1, 0.1])
        let background = Material.linear(fromSRGB: try root.color("background", default: [0, 0, 0]))
        try root.finish()
        scene = Scene(camera: camera, shapes: shapes, lights: lights, ambient: ambient, background: background)
    }

    private static func radians(_ degrees: Double) -> Float { Float(degrees * .pi / 180) }

    private static func camera(_ spec: inout SpecReader, width: Int, height: Int) throws -> Camera {
        let position = try spec.vector("position")
        let fov = radians(try spec.number("fovDegrees", default: 50, in: 1...179))
        if spec.has("lookAt") {
            if spec.has("yawDegrees") || spec.has("pitchDegrees") {
                throw spec.error("lookAt", expected: "either \"lookAt\" or \"yawDegrees\"/\"pitchDegrees\"", found: "both")
            }
            let target = try spec.vector("lookAt")
            guard target != position else {
                throw spec.error("lookAt", expected: "a point other than the camera position", found: "the same point")
            }
            return Camera(position: position, lookingAt: target, verticalFieldOfView: fov, width: width, height: height)
        }
        return Camera(position: position, yaw: radians(try spec.number("yawDegrees")),
                      pitch: radians(try spec.number("pitchDegrees", default: 0, in: -90...90)),
                      verticalFieldOfView: fov, width: width, height: height)
    }

    private static func room(_ spec: inout SpecReader) throws -> Room {
        var floor = try spec.object("floor")
        var walls = try spec.object("walls")
        var ceilingMaterial: Material?
        if var ceiling = try spec.optionalObject("ceiling") {
            ceilingMaterial = try Material(spec: &ceiling)
            try ceiling.finish()
        }
        let room = Room(width: Float(try spec.number("width", default: 7, in: 0.01...1e4)),
                        depth: Float(try spec.number("depth", default: 7, in: 0.01...1e4)),
                        height: Float(try spec.number("height", default: 3, in: 0.01...1e4)),
                        floor: try Material(spec: &floor), walls: try Material(spec: &walls),
                        ceiling: ceilingMaterial)
        try floor.finish()
        try walls.finish()
        return room
    }

    /// Reads `size`: a positive number (uniform) or `[x, y, z]`.
    private static func size(_ spec: inout SpecReader) throws -> Vector3 {
        let value = try spec.value("size")
        if case .number(let uniform) = value, uniform > 0 {
            return Vector3(repeating: Float(uniform))
        }
        guard case .array(let items) = value, items.count == 3 else {
            throw spec.error("size", expected: "a positive number or an array of 3 positive numbers", found: value.kindDescription)
        }
        let size = try spec.vector("size")
        guard size.min() > 0 else {
            throw spec.error("size", expected: "positive extents", found: "\(size)")
        }
        return size
    }

    private static func shape(_ spec: inout SpecReader, instanceID: UInt8) throws -> Shape {
        let kinds = ShapeKind.allCases.map(\.rawValue)
        let kind = ShapeKind(rawValue: try spec.choice("type", from: kinds)) ?? .sphere
        var materialSpec = try spec.object("material")
        let material = try Material(spec: &materialSpec)
        try materialSpec.finish()
        switch kind {
        case .rectangle:
            let edgeU = try spec.vector("edgeU"), edgeV = try spec.vector("edgeV")
            guard edgeU.length > 0, edgeV.length > 0, abs(edgeU.normalized.dot(edgeV.normalized)) < 1e-4 else {
                throw spec.error("edgeV", expected: "non-zero edges perpendicular to \"edgeU\"", found: "\(edgeV)")
            }
            return .rectangle(center: try spec.vector("position"), edgeU: edgeU, edgeV: edgeV, material: material,
                              instanceID: instanceID)
        case .plane:
            let normal = try spec.vector("normal")
            guard normal.length > 0 else { throw spec.error("normal", expected: "a non-zero vector", found: "\(normal)") }
            return .plane(point: try spec.vector("position"), normal: normal, material: material, instanceID: instanceID)
        default:
            let position = try spec.vector("position")
            var size = try size(&spec)
            if kind == .sphere || kind == .icosahedron { size = Vector3(repeating: size.x) }
            if kind == .capsule && size.z < size.x {
                throw spec.error("size", expected: "a capsule height (z) at least its diameter (x)", found: "\(size)")
            }
            let rotation = try spec.vector("rotationDegrees", default: .zero)
            let orientation = Orientation(yaw: rotation.x * .pi / 180, pitch: rotation.y * .pi / 180,
                                          roll: rotation.z * .pi / 180)
            return Shape(kind: kind, position: position, size: size, orientation: orientation, material: material,
                         instanceID: instanceID)
        }
    }

    private static func light(_ spec: inout SpecReader) throws -> Light {
        let type = try spec.choice("type", from: ["point", "directional", "area"])
        let color = try spec.color("color", default: [1, 1, 1])
        let intensity = Float(try spec.number("intensity", in: 0...1e9))
        let kind: Light.Kind
        switch type {
        case "point":
            kind = .point(position: try spec.vector("position"))
        case "directional":
            let direction = try spec.vector("direction")
            guard direction.length > 0 else {
                throw spec.error("direction", expected: "a non-zero vector", found: "\(direction)")
            }
            kind = .directional(direction: direction)
        default:
            let edgeU = try spec.vector("edgeU"), edgeV = try spec.vector("edgeV")
            guard edgeU.cross(edgeV).length > 0 else {
                throw spec.error("edgeV", expected: "an edge not parallel to \"edgeU\"", found: "\(edgeV)")
            }
            kind = .area(center: try spec.vector("position"), edgeU: edgeU, edgeV: edgeV)
        }
        return Light(kind: kind, color: color, intensity: intensity)
    }
}

/// The image-size limit shared with the PNG codec (the ray tracer does not import it).
enum PNGLimits {
    static let maximumDimension = 16_384
}
