import Foundation
import Testing
@testable import ShardFormat

@Suite("Shard write-behind")
struct WriteBehindTests {
    @Test("a shard written with writeback requested every 512 bytes has the bytes of one written without")
    func sameBytes() throws {
        let schema = Fixtures.schema(encoding: .raw, views: 2, masks: true)
        let directory = try Fixtures.scratchDirectory()
        func write(_ name: String, chunk: UInt64) throws -> (bytes: Data, summary: ShardSummary, requests: Int) {
            let url = directory.appendingPathComponent(name)
            let writer = try ShardWriter(url: url, schema: schema, replacingExisting: false, writeBehindChunk: chunk)
            for scene in UInt64(0)..<40 { try writer.append(Fixtures.record(scene, schema: schema)) }
            let summary = try writer.finish()
            return (try Data(contentsOf: url), summary, writer.writebackRequests)
        }
        let small = try write("small-chunks.gqnshard", chunk: 512)
        let usual = try write("usual-chunks.gqnshard", chunk: ShardWriter.defaultWriteBehindChunk)
        #expect(small.bytes == usual.bytes)
        #expect(small.summary.sha256 == usual.summary.sha256)
        // A request each time 512 bytes have piled up: at most one per 512 bytes, and at least
        // one per 512 bytes plus the largest single write (a record's payload, under 1 KiB here).
        let size = Int(small.summary.byteSize)
        #expect(small.requests <= size / 512)
        #expect(small.requests >= size / (512 + 1024))
        #expect(usual.requests == 0, "a shard of \(size) bytes is below one 4 MiB chunk")
        let reader = try ShardReader(url: directory.appendingPathComponent("small-chunks.gqnshard"))
        try reader.verify()
        #expect(try reader.record(at: 39) == Fixtures.record(39, schema: schema))
    }

    @Test("starting writeback reports the kernel's answer: 0 on an open file, EBADF on a closed descriptor")
    func startWriteback() throws {
        let directory = try Fixtures.scratchDirectory()
        let path = directory.appendingPathComponent("file").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(descriptor >= 0)
        let bytes = [UInt8](repeating: 7, count: 8192)
        #expect(bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == 8192)
        #expect(AtomicFile.startWriteback(descriptor, offset: 0, length: 8192) == 0)
        #expect(close(descriptor) == 0)
        #if os(Linux)
        #expect(AtomicFile.startWriteback(descriptor, offset: 0, length: 8192) == EBADF)
        #endif
    }
}
