import Foundation
import ShardFormat
import Testing
@testable import scenegen

/// End-to-end generation: determinism across threads, workers and interruptions.
@Suite("scenegen generate", .serialized)
struct GenerateTests {
    static let family = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenes/rooms_ring_camera.json").path

    /// A fresh scratch directory.
    func scratch(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scenegen-tests-\(getpid())/\(name)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return url
    }

    /// Runs `scenegen generate` in-process with small settings.
    func generate(_ out: URL, _ extra: [String] = []) throws {
        let command = try Generate.parse([
            "--family", Self.family, "--scenes", "14", "--shard-size", "4", "--size", "16", "--views", "3",
            "--spp", "1", "--out", out.path, "--split", "train=0.7,test=0.3", "--masks",
        ] + extra)
        try command.validate()
        try command.run()
    }

    /// Every file of a dataset directory and its bytes (temporary files excluded).
    func contents(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where !name.hasPrefix(".") {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return files
    }

    func shardFiles(_ files: [String: Data]) -> [String: Data] {
        files.filter { $0.key.hasSuffix(".gqnshard") }
    }

    @Test("the plan: contiguous splits, shards of K scenes in index order")
    func plan() throws {
        let splits = GenerationPlan.splits([("train", 0.7), ("test", 0.3)], scenes: 14)
        #expect(splits.map(\.sceneCount) == [10, 4] && splits.map(\.firstSceneIndex) == [0, 10])
        let out = try scratch("plan")
        try generate(out)
        let manifest = try Manifest.load(from: out.appendingPathComponent(Manifest.fileName))
        #expect(manifest.shards.map(\.file) == [
            "train-00000-of-00003.gqnshard", "train-00001-of-00003.gqnshard", "train-00002-of-00003.gqnshard",
            "test-00000-of-00001.gqnshard",
        ])
        #expect(manifest.shards.map(\.recordCount) == [4, 4, 2, 4])
        #expect(manifest.shards.map(\.firstSceneIndex) == [0, 4, 8, 10])
        let reader = try ShardReader(url: out.appendingPathComponent("test-00000-of-00001.gqnshard"))
        let record = try reader.record(at: 1)
        #expect(record.sceneIndex == 11 && record.views.count == 3 && record.views[0].mask != nil)
        #expect(!record.labels.objects.isEmpty && !record.labels.room.wallTexture.isEmpty)
    }

    @Test("1 and 2 threads write byte-identical shards")
    func threads() throws {
        let one = try scratch("threads-1"), two = try scratch("threads-2")
        try generate(one, ["--threads", "1"])
        try generate(two, ["--threads", "2"])
        let a = try contents(one), b = try contents(two)
        #expect(shardFiles(a).count == 4)
        #expect(a == b)
    }

    @Test("2 workers plus a merge equal 1 worker")
    func workers() throws {
        let single = try scratch("workers-1"), split = try scratch("workers-2")
        try generate(single)
        try generate(split, ["--worker-index", "1", "--worker-count", "2"])
        #expect(!FileManager.default.fileExists(atPath: split.appendingPathComponent(Manifest.fileName).path))
        try generate(split, ["--worker-index", "0", "--worker-count", "2"])
        let merged = try Manifest.merge(partialManifestsAt: Manifest.partialManifestURLs(in: split), datasetDirectory: split)
        let full = try Manifest.load(from: single.appendingPathComponent(Manifest.fileName))
        #expect(merged.shards == full.shards)
        #expect(merged.familySpec == full.familySpec && merged.schema == full.schema && merged.splits == full.splits)
        #expect(shardFiles(try contents(single)) == shardFiles(try contents(split)))
    }

    @Test("an interrupted run, resumed, equals an uninterrupted one")
    func resume() throws {
        let clean = try scratch("resume-clean"), interrupted = try scratch("resume-interrupted")
        try generate(clean)
        try generate(interrupted)
        // Simulate a crash in the middle of the third shard: its file and the manifest were
        // never published, and a half-written temporary file of a dead process remains.
        let fm = FileManager.default
        try fm.removeItem(at: interrupted.appendingPathComponent("train-00002-of-00003.gqnshard"))
        try fm.removeItem(at: interrupted.appendingPathComponent("test-00000-of-00001.gqnshard"))
        try fm.removeItem(at: interrupted.appendingPathComponent(Manifest.fileName))
        let stale = interrupted.appendingPathComponent(".train-00002-of-00003.gqnshard.partial-999999-1f")
        try Data("half a shard".utf8).write(to: stale)
        try generate(interrupted)
        #expect(try contents(clean) == contents(interrupted))
        #expect(!fm.fileExists(atPath: stale.path), "the abandoned temporary file was cleaned up")
    }

    @Test("different arguments into the same directory are refused; same arguments verify")
    func mixing() throws {
        let out = try scratch("mixing")
        try generate(out)
        #expect(throws: (any Error).self) { try generate(out, ["--seed", "5"]) }
        #expect(throws: (any Error).self) { try generate(out, ["--shard-size", "5"]) }
        try generate(out) // same arguments: verifies and completes nothing
        // A corrupted existing shard is reported, not silently replaced.
        let shard = out.appendingPathComponent("train-00001-of-00003.gqnshard")
        var bytes = try Data(contentsOf: shard)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: shard)
        #expect(throws: (any Error).self) { try generate(out) }
        #expect(try Data(contentsOf: shard) == bytes, "the corrupt shard is left as it was")
    }

    @Test("bad arguments are rejected before any work")
    func validation() throws {
        let out = try scratch("validation")
        #expect(throws: (any Error).self) { try generate(out, ["--split", "train=0.5,test=0.2"]) }
        #expect(throws: (any Error).self) { try generate(out, ["--worker-index", "2", "--worker-count", "2"]) }
        #expect(throws: (any Error).self) {
            let command = try Generate.parse(["--family", "no_such_family", "--scenes", "1", "--out", out.path])
            try command.run()
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(Manifest.fileName).path))
    }
}
