import Foundation
import ImageCodec
import Testing

/// Runs the built `shardtool` (beside the test bundle) and returns its exit status and output.
func runShardtool(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("shardtool") }
    let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                                  "shardtool is not built next to the tests: \(candidates.map(\.path))")
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

@Suite("shardtool command line")
struct CommandLineTests {
    @Test("info, verify, cat and grid exit 0 on a sound dataset and print what they should")
    func sound() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let info = try runShardtool(["info", directory.path, "--json"])
        #expect(info.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(object["scenes"] as? Int == 5)

        let verify = try runShardtool(["verify", directory.path])
        #expect(verify.status == 0)
        #expect(verify.stdout == "verified 2 shards, 5 scenes: OK\n")
        #expect(verify.stderr.isEmpty)  // not a terminal: no progress line

        let cat = try runShardtool(["cat", directory.path, "--record", "3", "--json"])
        #expect(cat.status == 0)
        #expect(cat.stdout.contains("\"sceneIndex\" : 3"))

        let out = try TestData.scratchDirectory().appendingPathComponent("grid.png")
        let grid = try runShardtool(["grid", directory.path, "--records", "0...2", "--views", "1", "--out", out.path])
        #expect(grid.status == 0)
        let sheet = try PNGCodec.decodeRGB8([UInt8](Data(contentsOf: out)))
        #expect(sheet.width == TestData.width + 4 && sheet.height == 3 * TestData.height + 8)
    }

    @Test("batches lists the loader's batches: exact epochs, distinct views, states, one JSON line each")
    func batches() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let result = try runShardtool(["batches", directory.path, "--batch-size", "2", "--context", "1",
                                       "--seed", "3", "--epochs", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        // 3 training scenes in batches of 2: 2 batches an epoch.
        #expect(lines.map { $0["epoch"] as? Int } == [0, 0, 1, 1])
        #expect(lines.map { $0["batchNumber"] as? Int } == [0, 1, 0, 1])
        for epoch in 0..<2 {
            let scenes = lines[(2 * epoch)..<(2 * epoch + 2)].flatMap { $0["sceneIndices"] as? [Int] ?? [] }
            #expect(scenes.sorted() == [0, 1, 2], "epoch \(epoch): \(scenes)")
            let state = lines[2 * epoch + 1]["state"] as? [String: Any]
            #expect(state?["epoch"] as? Int == epoch + 1 && state?["position"] as? Int == 0)
        }
        for line in lines {
            let views = try #require(line["views"] as? [[Int]])
            #expect(views.allSatisfy { Set($0).count == 2 && $0.allSatisfy { (0..<TestData.views).contains($0) } })
            #expect(line["queryImageCRC32C"] is Int && line["contextCount"] as? Int == 1)
        }
        let bad = try runShardtool(["batches", directory.path, "--context", "3...1"])
        #expect(bad.status != 0 && bad.stderr.contains("--context: expected K or LOW...HIGH, found 3...1"))
    }

    @Test("bad input exits non-zero with a one-line message, never a crash")
    func badInput() throws {
        let (directory, _) = try TestData.twoShardDataset()
        let cases: [([String], String)] = [
            (["info", directory.path + "/missing"], "missing: no such file or directory"),
            (["cat", directory.path, "--record", "99"], "record 99 out of range: expected a scene index in 0..<5"),
            (["grid", directory.path, "--records", "4..2", "--out", "/tmp/x.png"], "--records"),
            (["cat", directory.appendingPathComponent("manifest.json.nope").path, "--record", "0"], "no such file"),
            (["merge", directory.path], "found none"),
            (["export", directory.path, "--format", "gqn-tfrecord", "--dataset", "rooms_ring_camera", "--out", "/tmp/gqn-x"],
             "image size does not fit GQN dataset rooms_ring_camera: expected 64x64, found 8x6"),
            (["export", directory.path, "--format", "gqn-tfrecord", "--dataset", "rooms", "--out", "/tmp/gqn-x"],
             "--dataset rooms: expected one of jaco, mazes"),
            (["export", directory.path, "--format", "gqn-tfrecord", "--record", "1", "--out", "/tmp/gqn-x"],
             "--record and --shard apply to --format scene-png only"),
            (["export", directory.path, "--out", "/tmp/gqn-x"], "--record"),
            (["import", directory.path, "--dataset", "jaco", "--out", directory.path + "/imported"],
             "no TFRecord files of GQN dataset jaco: expected a directory jaco/train or jaco/test under it"),
        ]
        for (arguments, message) in cases {
            let result = try runShardtool(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), "\(arguments)")
        }

        let url = directory.appendingPathComponent("train-00000-of-00001.gqnshard")
        try Data("not a shard".utf8).write(to: url)
        let verify = try runShardtool(["verify", directory.path])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("error: \(url.path): truncated: expected at least 72 bytes, found 11"))
        #expect(verify.stdout.hasSuffix("verified 2 shards, 2 scenes: 2 problems\n"))
    }
}
