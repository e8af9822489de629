import Foundation
import ImageCodec
import Testing
@testable import ShardFormat
@testable import scenegen

/// End-to-end generation: determinism across threads, workers and interruptions.
@Suite("scenegen generate", .serialized)
struct GenerateTests {
    init() throws { try SerialRunRequired.check() }

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

    /// The message of the error `body` throws, as the command line prints it, or "no error".
    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return Generate.message(for: error) }
        return "no error"
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

    @Test("a disk that fills in the third shard: an error naming it, earlier shards intact, no partial file; rerun with space, the same dataset")
    func diskFull() throws {
        let clean = try scratch("disk-full-clean"), full = try scratch("disk-full")
        try generate(clean)
        let size = { (name: String) in try Data(contentsOf: clean.appendingPathComponent(name)).count }
        let space = try size("generation.json") + size("train-00000-of-00003.gqnshard") + size("train-00001-of-00003.gqnshard")
            + size("train-00002-of-00003.gqnshard") / 2
        AtomicFile.simulatedDiskSpace.set(space)
        let failure = message { try generate(full) }
        AtomicFile.simulatedDiskSpace.set(nil)
        let third = full.appendingPathComponent("train-00002-of-00003.gqnshard").path
        #expect(failure.contains("\(third): write (to its temporary file .train-00002-of-00003.gqnshard.partial-"), "\(failure)")
        #expect(failure.contains("No space left on device"), "\(failure)")
        let names = try FileManager.default.contentsOfDirectory(atPath: full.path).filter { !$0.hasSuffix(".lock") }.sorted()
        #expect(names == ["generation.json", "train-00000-of-00003.gqnshard", "train-00001-of-00003.gqnshard"], "\(names)")
        for name in names where name.hasSuffix(".gqnshard") {
            #expect(try Data(contentsOf: full.appendingPathComponent(name)) == Data(contentsOf: clean.appendingPathComponent(name)))
        }
        try generate(full)
        #expect(try contents(full) == contents(clean))
    }

    @Test("different arguments into the same directory are refused; same arguments verify")
    func mixing() throws {
        let out = try scratch("mixing")
        try generate(out)
        let before = try contents(out)
        let seed = message { try generate(out, ["--seed", "5"]) }
        #expect(seed.contains("\(out.path) holds a dataset generated with other arguments: --seed (0 there, 5 here)"), "\(seed)")
        let shardSize = message { try generate(out, ["--shard-size", "5"]) }
        #expect(shardSize.contains("--shard-size (4 there, 5 here)"), "\(shardSize)")
        #expect(try contents(out) == before, "a refused run changes nothing")
        try generate(out) // same arguments: verifies and completes nothing
        // A corrupted existing shard is reported, not silently replaced.
        let shard = out.appendingPathComponent("train-00001-of-00003.gqnshard")
        var bytes = try Data(contentsOf: shard)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: shard)
        let corrupt = message { try generate(out) }
        #expect(corrupt.contains("\(shard.path): existing shard: expected a complete shard of this dataset") && corrupt.contains("CRC-32C mismatch"), "\(corrupt)")
        #expect(try Data(contentsOf: shard) == bytes, "the corrupt shard is left as it was")
    }

    @Test("bad arguments are rejected before any work")
    func validation() throws {
        let out = try scratch("validation")
        let split = message { try generate(out, ["--split", "train=0.5,test=0.2"]) }
        #expect(split.contains("--split: fractions must sum to 1, found 0.7"), "\(split)")
        let worker = message { try generate(out, ["--worker-index", "2", "--worker-count", "2"]) }
        #expect(worker.contains("--worker-index must be in 0..<--worker-count (2), found 2"), "\(worker)")
        let family = message {
            let command = try Generate.parse(["--family", "no_such_family", "--scenes", "1", "--out", out.path])
            try command.run()
        }
        #expect(family.contains("no family \"no_such_family\"") && family.contains("rooms_ring_camera"), "\(family)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(Manifest.fileName).path))
    }

    @Test("a second generate into a directory being written is refused, naming it and the writer's PID; nothing changes")
    func secondWriterRefused() throws {
        let out = try scratch("locked")
        try generate(out, ["--scenes", "4"])
        let before = try contents(out)
        let holder = try DirectoryLock(directory: out, name: "scenegen-generate")
        let refused = message { try generate(out, ["--scenes", "4"]) }
        #expect(refused.contains("\(out.path): another process (PID \(getpid())) is writing into this directory"), "\(refused)")
        #expect(try contents(out) == before)
        holder.release()
        try generate(out, ["--scenes", "4"])

        // Workers of one distributed run write side by side: each holds its own lock.
        let shared = try scratch("locked-workers")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        let workerZero = try DirectoryLock(directory: shared, name: "scenegen-generate-worker-0-of-2")
        try generate(shared, ["--worker-index", "1", "--worker-count", "2"])
        let second = message { try generate(shared, ["--worker-index", "0", "--worker-count", "2"]) }
        #expect(second.contains("another process (PID \(getpid()))"), "\(second)")
        workerZero.release()
    }

    @Test("the lock dies with its process: a generate killed with SIGKILL while writing leaves it free, and a rerun completes the dataset")
    func lockReleasedWhenWriterDies() throws {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let executable = try #require(
            [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("scenegen") }
                .first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "scenegen is not built next to the tests")
        let out = try scratch("killed"), clean = try scratch("killed-clean")
        let arguments = ["--scenes", "1000", "--shard-size", "10", "--threads", "1"]
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "generate", "--family", Self.family, "--size", "16", "--views", "3", "--spp", "1", "--out", out.path,
            "--split", "train=0.7,test=0.3", "--masks",
        ] + arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until it has written a first shard (it holds the lock from before its first file).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).contains(where: {
            $0.hasSuffix(".gqnshard")
        }) {
            usleep(2_000)
        }
        let refused = message { try generate(out, arguments) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(refused.contains("another process (PID \(process.processIdentifier))"), "\(refused)")
        #expect(process.terminationReason == .uncaughtSignal, "the writer finished before it could be killed")

        try generate(out, arguments)
        try generate(clean, arguments)
        let (resumed, fresh) = (try contents(out), try contents(clean))
        // Name what differs, so a failure says where to look (CI saw one, once, under load).
        let differing = Set(resumed.keys).union(fresh.keys).sorted().filter { resumed[$0] != fresh[$0] }.map {
            "\($0) (\(resumed[$0].map { "\($0.count) B" } ?? "missing") resumed, \(fresh[$0].map { "\($0.count) B" } ?? "missing") fresh"
                + (resumed[$0] != nil && fresh[$0] != nil && $0.hasSuffix(".gqnshard")
                    ? "; " + firstDifference(out.appendingPathComponent($0), clean.appendingPathComponent($0)) : "") + ")"
        }
        #expect(differing.isEmpty, "files that differ after the resumed run: \(differing.joined(separator: ", "))")
    }
}

/// The first field in which two shards' records differ (scene, view, field, byte sizes, and
/// whether the decoded pixels differ too), for a failure message.
func firstDifference(_ left: URL, _ right: URL) -> String {
    do {
        let (a, b) = (try ShardReader(url: left), try ShardReader(url: right))
        guard a.count == b.count else { return "\(a.count) records against \(b.count)" }
        for index in 0..<a.count {
            let (x, y) = (try a.record(at: index), try b.record(at: index))
            guard x != y else { continue }
            let scene = "record \(index) (scene \(x.sceneIndex) against \(y.sceneIndex))"
            if x.sceneIndex != y.sceneIndex || x.sceneSeed != y.sceneSeed { return "\(scene): index or seed" }
            if x.labels != y.labels { return "\(scene): labels \(x.labels) against \(y.labels)" }
            for (view, (u, v)) in zip(x.views, y.views).enumerated() where u != v {
                func pixels(_ png: [UInt8]?, grey: Bool) -> [UInt8]? {
                    guard let png else { return nil }
                    return try? (grey ? PNGCodec.decodeGray8(png) : PNGCodec.decodeRGB8(png)).samples
                }
                if u.image != v.image {
                    let same = pixels(u.image, grey: false) == pixels(v.image, grey: false)
                    return "\(scene) view \(view): image PNG \(u.image.count) B against \(v.image.count) B, pixels \(same ? "equal" : "differ")"
                }
                if u.mask != v.mask {
                    let same = pixels(u.mask, grey: true) == pixels(v.mask, grey: true)
                    return "\(scene) view \(view): mask PNG \(u.mask?.count ?? 0) B against \(v.mask?.count ?? 0) B, pixels \(same ? "equal" : "differ")"
                }
                return "\(scene) view \(view): pose, matrix, intrinsics or depth"
            }
        }
        return "records equal (the files differ elsewhere)"
    } catch {
        return "unreadable: \(error)"
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
