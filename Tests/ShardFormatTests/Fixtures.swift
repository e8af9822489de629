import Foundation
@testable import ShardFormat

/// Small records and scratch directories for the tests. Images are fake PNG streams (the
/// signature followed by arbitrary bytes): the module never decodes them.
enum Fixtures {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Deterministic filler bytes that differ by `seed`.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    static func fakePNG(_ count: Int, seed: UInt64) -> [UInt8] {
        pngSignature + bytes(count, seed: seed)
    }

    /// A fake JPEG stream: the SOI marker and an APP0 marker, then filler.
    static func fakeJPEG(_ count: Int, seed: UInt64) -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xE0] + bytes(count, seed: seed)
    }

    static func schema(
        encoding: DatasetSchema.ImageEncoding = .png, views: Int = 3, depth: Bool = false, masks: Bool = false
    ) -> DatasetSchema {
        DatasetSchema(width: 4, height: 3, imageEncoding: encoding, viewsPerScene: views, hasDepth: depth, hasMasks: masks)
    }

    /// A record that fits `schema`, with every field distinct and derived from `scene`.
    static func record(_ scene: UInt64, schema: DatasetSchema) -> SceneRecord {
        let s = Float(scene)
        let views = (0..<schema.viewsPerScene).map { v -> ViewRecord in
            let f = Float(v)
            let seed = scene * 100 + UInt64(v)
            let image: [UInt8] = switch schema.imageEncoding {
            case .png: fakePNG(20 + v, seed: seed)
            case .raw: bytes(schema.rawImageByteCount, seed: seed)
            case .jpeg: fakeJPEG(20 + v, seed: seed)
            }
            return ViewRecord(
                image: image,
                pose: CameraPose(x: s + 0.25, y: -f, z: 1.5, yaw: 0.1 * f, pitch: -0.3),
                cameraToWorld: SIMD16<Float>((0..<16).map { Float($0) * 0.5 + s - f }),
                intrinsics: CameraIntrinsics(fx: 68.6 + f, fy: 68.7, cx: 32, cy: 31.5),
                depth: schema.hasDepth ? fakePNG(7, seed: seed + 1_000_000) : nil,
                mask: schema.hasMasks ? fakePNG(5, seed: seed + 2_000_000) : nil
            )
        }
        let labels = SceneLabels(
            room: RoomLabel(wallTexture: "cerise", floorTexture: "blue ü"),
            objects: (0..<Int(scene % 3 + 1)).map { o in
                ObjectLabel(
                    shape: ["sphere", "cone", "icosahedron"][o], colorName: ["red", "cyan", "blue"][o],
                    color: SIMD3(0.1, 0.2, Float(o) / 3),
                    position: SIMD3(s, Float(o), 0.5), size: SIMD3(0.4, 0.5, 0.6),
                    yaw: 1, pitch: 0, roll: -Float.pi
                )
            },
            lights: [LightLabel(kind: "point", position: SIMD3(0, 0, 3), direction: SIMD3(0, 0, -1),
                                color: SIMD3(1, 0.9, 0.8), intensity: 12.5 + s)]
        )
        return SceneRecord(sceneIndex: scene, sceneSeed: scene &* 7919 &+ 0xDEAD_BEEF_0000, views: views, labels: labels)
    }

    /// One directory per test process, removed when the process exits.
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ShardFormatTests-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        atexit { try? FileManager.default.removeItem(at: Fixtures.root) }
        return url
    }()

    /// A fresh, empty directory inside ``root``.
    static func scratchDirectory() throws -> URL {
        let url = root.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes scenes `scenes` to `name` in `directory`.
    @discardableResult
    static func writeShard(
        _ name: String, in directory: URL, schema: DatasetSchema, scenes: Range<UInt64>
    ) throws -> (url: URL, summary: ShardSummary) {
        let url = directory.appendingPathComponent(name)
        let writer = try ShardWriter(url: url, schema: schema)
        for scene in scenes {
            try writer.append(record(scene, schema: schema))
        }
        return (url, try writer.finish())
    }

    /// Reads a file, lets `change` edit its bytes, and writes it back.
    static func corrupt(_ url: URL, _ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        change(&bytes)
        try Data(bytes).write(to: url)
    }
}

extension [UInt8] {
    /// Overwrites 8 bytes at `offset` with `value`, little-endian.
    mutating func storeUInt64(_ value: UInt64, at offset: Int) {
        for k in 0..<8 { self[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
    }

    func loadUInt64(at offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }
}

/// Tests that set process-wide state (the compute thread count, the buffer pool's counters, a
/// simulated full disk) and compare results bit for bit: tests running alongside would see that
/// state and disturb those results, so they run only in a serial run (`swift test --no-parallel`,
/// as Tools/test.sh runs the suite), and refuse with this message in a parallel one.
struct SerialRunRequired: Error, CustomStringConvertible {
    var description: String {
        "this suite sets process-wide state (thread count, allocation counters, simulated disk space) and must not run "
            + "alongside other tests: run `swift test --no-parallel` (Tools/test.sh does)"
    }

    /// Throws unless the test process was started for a serial run.
    static func check() throws {
        guard CommandLine.arguments.contains("--no-parallel") else { throw SerialRunRequired() }
    }
}
