import Foundation
import Testing
@testable import ShardFormat

/// A full disk (ENOSPC), simulated inside AtomicFile's writes: the error names the file, no
/// partial file appears under a final name, what was written before stays intact, and writing
/// again once there is space works.
@Suite("Disk full", .serialized)
struct DiskFullTests {
    init() throws { try SerialRunRequired.check() }

    /// Runs `body` with `bytes` of simulated free space, then frees the disk again.
    func withDiskSpace<T>(_ bytes: Int, _ body: () throws -> T) rethrows -> T {
        AtomicFile.simulatedDiskSpace.set(bytes)
        defer { AtomicFile.simulatedDiskSpace.set(nil) }
        return try body()
    }

    /// The directory's names, temporary files included.
    func names(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test("AtomicFile.save on a full disk: an error naming the file, the old contents kept, no temporary file left")
    func saveOnFullDisk() throws {
        let directory = try Fixtures.scratchDirectory()
        let url = directory.appendingPathComponent("manifest.json")
        try AtomicFile.save(Array("old contents".utf8), to: url)
        let error = withDiskSpace(100) {
            #expect(throws: ShardFormatError.self) { try AtomicFile.save([UInt8](repeating: 7, count: 1000), to: url) }
        }
        let message = error?.description ?? ""
        #expect(message.hasPrefix("\(url.path): write (to its temporary file .manifest.json.partial-"), "\(message)")
        #expect(message.hasSuffix("failed: No space left on device"), "\(message)")
        #expect(try String(contentsOf: url, encoding: .utf8) == "old contents")
        #expect(try names(directory) == ["manifest.json"])
        // Space again: the same save succeeds.
        try AtomicFile.save([UInt8](repeating: 7, count: 1000), to: url)
        #expect(try Data(contentsOf: url).count == 1000)
    }

    @Test("a shard that runs out of space: an error naming it, no file under its name, the earlier shard intact; retried, it is written")
    func shardOnFullDisk() throws {
        let schema = Fixtures.schema()
        let directory = try Fixtures.scratchDirectory()
        let (first, _) = try Fixtures.writeShard("a.gqnshard", in: directory, schema: schema, scenes: 0..<3)
        let firstBytes = try Data(contentsOf: first)
        let second = directory.appendingPathComponent("b.gqnshard")
        // Enough for the header and part of the records: the failure comes mid-shard.
        let error = withDiskSpace(firstBytes.count / 2) {
            #expect(throws: ShardFormatError.self) {
                _ = try Fixtures.writeShard("b.gqnshard", in: directory, schema: schema, scenes: 3..<6)
            }
        }
        #expect(error?.description.hasPrefix("\(second.path): write (to its temporary file .b.gqnshard.partial-") == true,
                "\(String(describing: error))")
        #expect(try names(directory) == ["a.gqnshard"], "no partial file, under any name")
        #expect(try Data(contentsOf: first) == firstBytes)
        try ShardReader(url: first).verify()

        _ = try Fixtures.writeShard("b.gqnshard", in: directory, schema: schema, scenes: 3..<6)
        #expect(try ShardReader(url: second).count == 3)
        // Every byte position of the failure: never a file under the final name.
        for space in stride(from: 0, to: firstBytes.count, by: 37) {
            let url = directory.appendingPathComponent("c.gqnshard")
            _ = withDiskSpace(space) {
                #expect(throws: ShardFormatError.self) {
                    _ = try Fixtures.writeShard("c.gqnshard", in: directory, schema: schema, scenes: 6..<9)
                }
            }
            #expect(!FileManager.default.fileExists(atPath: url.path), "space \(space)")
        }
        #expect(try names(directory) == ["a.gqnshard", "b.gqnshard"])
    }
}
