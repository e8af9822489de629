import Foundation
import SceneModel

/// A declarative distribution over scenes, read from a JSON file in `Scenes/`.
///
/// A spec says what a family's scenes are made of (room, objects, lights, cameras, image
/// settings); ``SceneFamily/sample(index:seed:)`` turns it, a dataset seed and a scene index
/// into one concrete scene. The JSON schema is specified in the `FamilySpecs` article.
public struct FamilySpec: Sendable, Equatable {
    /// What kind of scenes the family makes.
    public enum Content: Sendable, Equatable {
        /// A room with objects on its floor.
        case rooms(RoomSpec, ObjectsSpec)
        /// A Shepard-Metzler object: unit cubes joined face to face, floating in space.
        case shepardMetzler(ShepardMetzlerSpec)
    }

    /// The family's name (for example `rooms_ring_camera`).
    public var name: String
    /// Image width and height in pixels.
    public var imageSize: Int
    /// Samples per pixel (a perfect square).
    public var samplesPerPixel: Int
    /// Vertical field of view in radians.
    public var fieldOfView: Float
    /// Views rendered per scene.
    public var views: Int
    /// The scene content.
    public var content: Content
    /// The lights.
    public var lights: LightsSpec
    /// Where the cameras go.
    public var camera: CameraSpec
    /// The spec as JSON, exactly as validated (with any overrides applied): what the
    /// dataset manifest records.
    public var json: JSONValue

    /// Reads and validates a family spec file.
    /// - Throws: ``/SceneModel/SpecError`` naming the file, JSON path, expected and found.
    public static func load(contentsOf url: URL) throws -> FamilySpec {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SpecError(file: url.path, path: "$", expected: "a readable JSON file", found: error.localizedDescription)
        }
        return try FamilySpec(json: JSONValue.parse(data, file: url.path), file: url.path)
    }

    /// Validates a parsed spec.
    /// - Throws: ``/SceneModel/SpecError`` naming the first problem.
    public init(json: JSONValue, file: String? = nil) throws {
        self.json = json
        var root = try SpecReader(json, file: file)
        name = try root.string("name")
        var image = try root.object("image")
        imageSize = try image.integer("size", in: 1...16_384)
        samplesPerPixel = try image.integer("samplesPerPixel", default: 4, in: 1...4096)
        guard RenderSettings.samplesPerSide(forSamplesPerPixel: samplesPerPixel) != nil else {
            throw image.error("samplesPerPixel", expected: "a perfect square (1, 4, 9, 16, ...)", found: "\(samplesPerPixel)")
        }
        fieldOfView = Float(try image.number("fovDegrees", default: 50, in: 1...179) * .pi / 180)
        try image.finish()
        views = try root.integer("views", in: 1...1000)
        let kind = try root.choice("kind", from: ["rooms", "shepardMetzler"])
        if kind == "rooms" {
            var room = try root.object("room")
            var objects = try root.object("objects")
            content = .rooms(try RoomSpec(spec: &room), try ObjectsSpec(spec: &objects))
            try room.finish()
            try objects.finish()
        } else {
            var shape = try root.object("shepardMetzler")
            content = .shepardMetzler(try ShepardMetzlerSpec(spec: &shape))
            try shape.finish()
        }
        var lights = try root.object("lights")
        self.lights = try LightsSpec(spec: &lights)
        try lights.finish()
        var camera = try root.object("camera")
        self.camera = try CameraSpec(spec: &camera)
        try camera.finish()
        try root.finish()
        if case .shepardMetzler = content, case .orbit = self.camera {} else if case .shepardMetzler = content {
            throw SpecError(file: file, path: "$.camera.mode", expected: "\"orbit\" for a Shepard-Metzler family",
                            found: "another mode")
        }
    }

    /// The spec with common settings replaced, as `scenegen generate` does for `--size`,
    /// `--views`, `--spp`. The replacement happens on the JSON, so ``json`` stays the exact
    /// description of the scenes generated.
    /// - Throws: ``/SceneModel/SpecError`` when an override is invalid.
    public func overriding(imageSize: Int? = nil, views: Int? = nil, samplesPerPixel: Int? = nil) throws -> FamilySpec {
        guard case .object(var root) = json, case .object(var image) = root["image"] ?? .null else { return self }
        if let imageSize { image["size"] = .number(Double(imageSize)) }
        if let samplesPerPixel { image["samplesPerPixel"] = .number(Double(samplesPerPixel)) }
        root["image"] = .object(image)
        if let views { root["views"] = .number(Double(views)) }
        return try FamilySpec(json: .object(root))
    }
}
