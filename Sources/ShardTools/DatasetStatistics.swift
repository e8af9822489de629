import Foundation
import ShardFormat

/// What `shardtool stats` reports: label and pose distributions over every record,
/// gathered one record at a time.
public struct DatasetStatistics: Codable, Equatable, Sendable {
    /// The smallest and largest value seen.
    public struct Extent: Codable, Equatable, Sendable {
        /// Smallest value.
        public var min: Float
        /// Largest value.
        public var max: Float

        mutating func include(_ value: Float) {
            min = Swift.min(min, value)
            max = Swift.max(max, value)
        }
    }

    /// Ranges of the GQN pose components over all views.
    public struct PoseRanges: Codable, Equatable, Sendable {
        /// Camera x.
        public var x: Extent
        /// Camera y.
        public var y: Extent
        /// Camera height z.
        public var z: Extent
        /// Yaw, radians.
        public var yaw: Extent
        /// Pitch, radians.
        public var pitch: Extent

        init(_ pose: CameraPose) {
            x = Extent(min: pose.x, max: pose.x)
            y = Extent(min: pose.y, max: pose.y)
            z = Extent(min: pose.z, max: pose.z)
            yaw = Extent(min: pose.yaw, max: pose.yaw)
            pitch = Extent(min: pose.pitch, max: pose.pitch)
        }

        mutating func include(_ pose: CameraPose) {
            x.include(pose.x)
            y.include(pose.y)
            z.include(pose.z)
            yaw.include(pose.yaw)
            pitch.include(pose.pitch)
        }
    }

    /// One bar of the objects-per-scene histogram.
    public struct HistogramBin: Codable, Equatable, Sendable {
        /// Objects in a scene.
        public var objects: Int
        /// Scenes with that many objects.
        public var scenes: Int
    }

    /// Records read.
    public var scenes = 0
    /// Views read.
    public var views = 0
    /// Objects read.
    public var objects = 0
    /// Objects per shape name.
    public var shapes: [String: Int] = [:]
    /// Objects per colour name.
    public var colorNames: [String: Int] = [:]
    /// Scenes per number of objects, in increasing order of objects.
    public var objectsPerScene: [HistogramBin] = []
    /// Scenes per wall texture.
    public var wallTextures: [String: Int] = [:]
    /// Scenes per floor texture.
    public var floorTextures: [String: Int] = [:]
    /// Lights per kind.
    public var lightKinds: [String: Int] = [:]
    /// Pose extents over all views; nil before the first view.
    public var poseRanges: PoseRanges?

    /// Empty statistics.
    public init() {}

    /// Counts every record of `input`, reading one at a time.
    /// - Throws: A record's ``/ShardFormat/ShardFormatError`` (run `verify` to list them all).
    public init(_ input: DatasetInput) throws {
        try input.forEachRecord { add($0.record) }
    }

    /// Adds one record.
    public mutating func add(_ record: SceneRecord) {
        scenes += 1
        views += record.views.count
        let labels = record.labels
        objects += labels.objects.count
        for object in labels.objects {
            shapes[object.shape, default: 0] += 1
            colorNames[object.colorName, default: 0] += 1
        }
        if let bin = objectsPerScene.firstIndex(where: { $0.objects == labels.objects.count }) {
            objectsPerScene[bin].scenes += 1
        } else {
            objectsPerScene.append(HistogramBin(objects: labels.objects.count, scenes: 1))
            objectsPerScene.sort { $0.objects < $1.objects }
        }
        wallTextures[labels.room.wallTexture, default: 0] += 1
        floorTextures[labels.room.floorTexture, default: 0] += 1
        for light in labels.lights {
            lightKinds[light.kind, default: 0] += 1
        }
        for view in record.views {
            if poseRanges == nil {
                poseRanges = PoseRanges(view.pose)
            } else {
                poseRanges?.include(view.pose)
            }
        }
    }

    /// Pretty-printed JSON with sorted keys, ending in a newline.
    public func json() throws -> Data {
        try JSONOutput.encode(self)
    }

    /// The human-readable report: totals, then each count table, most frequent first.
    public func text() -> String {
        var lines = TextTable.keyValue([("scenes", "\(scenes)"), ("views", "\(views)"), ("objects", "\(objects)")])
        func counts(_ title: String, _ table: [String: Int]) {
            lines.append("")
            let total = max(1, table.values.reduce(0, +))
            lines += TextTable.render(
                header: [title, "count", "share"],
                rows: table.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { name, count in
                    [name, "\(count)", String(format: "%.1f%%", 100 * Double(count) / Double(total))]
                },
                rightAligned: [false, true, true]
            )
        }
        counts("shape", shapes)
        counts("colour", colorNames)
        lines.append("")
        lines += TextTable.render(header: ["objects/scene", "scenes"],
                                  rows: objectsPerScene.map { ["\($0.objects)", "\($0.scenes)"] },
                                  rightAligned: [true, true])
        counts("wall texture", wallTextures)
        counts("floor texture", floorTextures)
        counts("light kind", lightKinds)
        if let poseRanges {
            lines.append("")
            let rows: [(String, Extent)] = [("x", poseRanges.x), ("y", poseRanges.y), ("z", poseRanges.z),
                                            ("yaw", poseRanges.yaw), ("pitch", poseRanges.pitch)]
            lines += TextTable.render(
                header: ["pose", "min", "max"],
                rows: rows.map { [$0.0, SceneDescription.format($0.1.min), SceneDescription.format($0.1.max)] },
                rightAligned: [false, true, true]
            )
        }
        return lines.joined(separator: "\n")
    }
}
