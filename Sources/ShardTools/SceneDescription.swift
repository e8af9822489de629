import Foundation
import ShardFormat

/// One scene's record without its pixels, as `shardtool cat` prints it and `export` writes
/// it to `scene.json`.
public struct SceneDescription: Codable, Equatable, Sendable {
    /// One view's camera and the sizes of its stored images.
    public struct View: Codable, Equatable, Sendable {
        /// The view's number within the scene.
        public var view: Int
        /// The GQN 5-tuple (x, y, z, yaw, pitch).
        public var pose: CameraPose
        /// Camera-to-world, as four rows of four (OpenCV camera axes).
        public var cameraToWorld: [[Float]]
        /// Pinhole intrinsics in pixels.
        public var intrinsics: CameraIntrinsics
        /// Bytes of the stored colour image.
        public var imageBytes: Int
        /// Bytes of the depth PNG, when the schema has depth.
        public var depthBytes: Int?
        /// Bytes of the mask PNG, when the schema has masks.
        public var maskBytes: Int?
    }

    /// The scene's index in the dataset.
    public var sceneIndex: UInt64
    /// The seed the scene was generated from.
    public var sceneSeed: UInt64
    /// The shard file's name.
    public var shard: String
    /// The record's position in the shard.
    public var record: Int
    /// The views in order.
    public var views: [View]
    /// Room, objects and lights.
    public var labels: SceneLabels

    /// Describes a located record.
    public init(_ located: LocatedRecord) {
        let record = located.record
        sceneIndex = record.sceneIndex
        sceneSeed = record.sceneSeed
        shard = located.shardURL.lastPathComponent
        self.record = located.position
        views = record.views.enumerated().map { index, view in
            View(
                view: index, pose: view.pose,
                cameraToWorld: (0..<4).map { row in (0..<4).map { view.cameraToWorld[4 * row + $0] } },
                intrinsics: view.intrinsics, imageBytes: view.image.count,
                depthBytes: view.depth?.count, maskBytes: view.mask?.count
            )
        }
        labels = record.labels
    }

    /// Pretty-printed JSON with sorted keys, ending in a newline.
    public func json() throws -> Data {
        try JSONOutput.encode(self)
    }

    /// The human-readable report: identity, room, objects, lights, then one line per view
    /// and its camera-to-world rows.
    public func text() -> String {
        var lines = TextTable.keyValue([
            ("scene", "\(sceneIndex)"),
            ("seed", "\(sceneSeed)"),
            ("shard", "\(shard), record \(record)"),
            ("room", "walls \(labels.room.wallTexture), floor \(labels.room.floorTexture)"),
        ])
        lines.append("")
        lines.append("objects (\(labels.objects.count)):")
        lines += TextTable.render(
            header: ["#", "shape", "colour", "rgb", "position", "size", "yaw", "pitch", "roll"],
            rows: labels.objects.enumerated().map { index, object in
                ["\(index)", object.shape, object.colorName, Self.format(object.color), Self.format(object.position),
                 Self.format(object.size), Self.format(object.yaw), Self.format(object.pitch), Self.format(object.roll)]
            }
        ).map { "  " + $0 }
        lines.append("lights (\(labels.lights.count)):")
        lines += TextTable.render(
            header: ["#", "kind", "position", "direction", "rgb", "intensity"],
            rows: labels.lights.enumerated().map { index, light in
                ["\(index)", light.kind, Self.format(light.position), Self.format(light.direction), Self.format(light.color),
                 Self.format(light.intensity)]
            }
        ).map { "  " + $0 }
        lines.append("views (\(views.count)):")
        lines += TextTable.render(
            header: ["#", "x", "y", "z", "yaw", "pitch", "fx", "fy", "cx", "cy", "bytes (image/depth/mask)", "camera-to-world rows"],
            rows: views.map { view in
                let p = view.pose, k = view.intrinsics
                let bytes = ([view.imageBytes] + [view.depthBytes, view.maskBytes].compactMap { $0 }).map(String.init).joined(separator: "/")
                return ["\(view.view)"] + [p.x, p.y, p.z, p.yaw, p.pitch, k.fx, k.fy, k.cx, k.cy].map(Self.format)
                    + [bytes, view.cameraToWorld.map { $0.map(Self.format).joined(separator: " ") }.joined(separator: " | ")]
            },
            rightAligned: [true] + Array(repeating: true, count: 10) + [false]
        ).map { "  " + $0 }
        return lines.joined(separator: "\n")
    }

    /// Three decimals; negative zero (and anything that rounds to zero) prints as `0.000`.
    static func format(_ value: Float) -> String {
        let text = String(format: "%.3f", Double(value))
        return text == "-0.000" ? "0.000" : text
    }

    static func format(_ value: SIMD3<Float>) -> String {
        "(\(format(value.x)), \(format(value.y)), \(format(value.z)))"
    }
}

/// The JSON all commands print: pretty, keys sorted, no escaped slashes, a final newline.
enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // A diagnostic tool shows a corrupt NaN rather than refusing to print the record.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// One line of JSON, keys sorted, no escaped slashes, no final newline.
    static func line(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
