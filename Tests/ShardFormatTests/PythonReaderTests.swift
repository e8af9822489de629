import Foundation
import Testing
@testable import ShardFormat

/// Where the Python reader and an interpreter are.
enum PythonReader {
    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tools/read_shard.py")
}

/// `Tools/read_shard.py` relies only on what the format article states; its reading what this
/// module writes checks that the article suffices. Runs only where `python3` is installed.
@Suite("The Python reader of the spec reads our shards", .enabled(if: PythonReader.python != nil))
struct PythonReaderTests {
    /// Runs the script and returns its exit status and standard output.
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(PythonReader.python))
        process.arguments = [PythonReader.script.path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test("every field the Python reader decodes matches, and it verifies the manifest")
    func pythonReadsShards() throws {
        let directory = try Fixtures.scratchDirectory()
        let schema = Fixtures.schema(views: 2, depth: true, masks: true)
        let (url, summary) = try Fixtures.writeShard("train-00000-of-00001.gqnshard", in: directory, schema: schema, scenes: 5..<8)
        try Manifest(generator: "test", familySpec: .object([:]), datasetSeed: 1, schema: schema,
                     splits: [DatasetSplit(name: "train", firstSceneIndex: 5, sceneCount: 3)],
                     shards: [ShardEntry(summary: summary, split: "train")])
            .write(to: directory.appendingPathComponent(Manifest.fileName))

        let verify = try run(["--verify", directory.path])
        #expect(verify.status == 0)
        #expect(verify.output.contains("1 passed, 0 failed"))

        let dump = try run(["--json", url.path])
        #expect(dump.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any]
        let records = try #require(json?["records"] as? [[String: Any]])
        #expect(records.count == 3)
        for (index, object) in records.enumerated() {
            let expected = Fixtures.record(5 + UInt64(index), schema: schema)
            #expect((object["sceneIndex"] as? NSNumber)?.uint64Value == expected.sceneIndex)
            #expect((object["sceneSeed"] as? NSNumber)?.uint64Value == expected.sceneSeed)
            let views = try #require(object["views"] as? [[String: Any]])
            for (view, expectedView) in zip(views, expected.views) {
                #expect((view["pose"] as? [Double])?.map(Float.init) == [expectedView.pose.x, expectedView.pose.y,
                        expectedView.pose.z, expectedView.pose.yaw, expectedView.pose.pitch])
                #expect((view["cameraToWorld"] as? [Double])?.map(Float.init) == (0..<16).map { expectedView.cameraToWorld[$0] })
                #expect((view["intrinsics"] as? [Double])?.map(Float.init) == [expectedView.intrinsics.fx,
                        expectedView.intrinsics.fy, expectedView.intrinsics.cx, expectedView.intrinsics.cy])
                #expect(view["image"] as? Int == expectedView.image.count)
                #expect(view["depth"] as? Int == expectedView.depth?.count)
                #expect(view["mask"] as? Int == expectedView.mask?.count)
            }
            let labels = try #require(object["labels"] as? [String: Any])
            let room = labels["room"] as? [String: String]
            #expect(room?["floorTexture"] == expected.labels.room.floorTexture)
            let objects = try #require(labels["objects"] as? [[String: Any]])
            #expect(objects.compactMap { $0["shape"] as? String } == expected.labels.objects.map(\.shape))
            #expect(objects.compactMap { ($0["roll"] as? Double).map(Float.init) } == expected.labels.objects.map(\.roll))
            let lights = try #require(labels["lights"] as? [[String: Any]])
            #expect(lights.compactMap { ($0["intensity"] as? Double).map(Float.init) } == expected.labels.lights.map(\.intensity))
        }

        try Fixtures.corrupt(url) { $0[60] ^= 1 }
        #expect(try run([url.path]).status == 1)
    }
}
