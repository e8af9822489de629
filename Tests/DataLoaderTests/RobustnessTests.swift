import Foundation
import ShardFormat
import Testing
@testable import DataLoader

/// Corrupt records and early stops.
@Suite("DataLoader corruption and threads")
struct RobustnessTests {
    /// A dataset whose shard 1 has record 2 (scene 10) corrupted; returns the shard and the record offset.
    func corruptedDataset() throws -> (URL, URL, UInt64) {
        let directory = try LoaderFixtures.dataset()
        let shard = directory.appendingPathComponent(ShardName.fileName(split: "train", index: 1, count: 5))
        let offset = try LoaderFixtures.corrupt(shard, record: 2)
        return (directory, shard, offset)
    }

    @Test("by default a corrupt record is an error naming shard, record and offset")
    func corruptionFails() throws {
        let (directory, shard, offset) = try corruptedDataset()
        let loader = try GQNLoader(configuration: LoaderFixtures.configuration(directory))
        var delivered: [UInt64] = []
        var caught: DataLoaderError?
        do {
            while let batch = try loader.next() { delivered += batch.sceneIndices }
        } catch {
            caught = error
        }
        guard case .corruptRecord(let path, let record, let at, let reason) = caught else {
            Issue.record("expected a corrupt-record error, got \(String(describing: caught))")
            return
        }
        #expect(path == shard.path && record == 2 && at == offset)
        #expect(reason.contains("CRC-32C mismatch"))
        #expect(caught!.description.contains("record 2, byte offset \(offset)"))
        #expect(!delivered.contains(10))
        // The loader stays failed and its threads are gone.
        #expect(throws: caught!) { _ = try loader.next() }
        #expect(loader.pipeline.liveWorkerCount == 0)
    }

    @Test("with .skip a corrupt record is skipped and counted, every other scene delivered once")
    func corruptionSkips() throws {
        let (directory, _, _) = try corruptedDataset()
        var configuration = LoaderFixtures.configuration(directory)
        configuration.corruptRecords = .skip
        let loader = try GQNLoader(configuration: configuration)
        let batches = try LoaderFixtures.drain(loader)
        let scenes = batches.flatMap(\.sceneIndices)
        #expect(scenes.count == 36 && Set(scenes) == Set(0..<37).subtracting([10]))
        #expect(loader.skippedRecords == 1)
        // The batch that lost the scene is one shorter, with consistent buffers.
        let short = try #require(batches.first { $0.batchSize == 3 && $0.batchNumber < batches.count - 1 })
        #expect(short.contextImages.count == 3 * 2 * 3 * 6 * 8 && short.queryViewpoint.count == 3 * 7)
        try BatchContentTests.checkAgainstShards(batches, directory: directory, views: 5)
    }

    @Test("an unreadable shard fails by default and is skipped whole with .skip")
    func unreadableShard() throws {
        let directory = try LoaderFixtures.dataset()
        let shard = directory.appendingPathComponent(ShardName.fileName(split: "train", index: 4, count: 5))
        var bytes = [UInt8](try Data(contentsOf: shard))
        bytes.removeLast(3)
        try Data(bytes).write(to: shard)
        #expect(throws: DataLoaderError.self) { _ = try LoaderFixtures.drain(GQNLoader(configuration: LoaderFixtures.configuration(directory))) }
        var configuration = LoaderFixtures.configuration(directory)
        configuration.corruptRecords = .skip
        let loader = try GQNLoader(configuration: configuration)
        let scenes = try LoaderFixtures.drain(loader).flatMap(\.sceneIndices)
        #expect(Set(scenes) == Set(0..<32) && scenes.count == 32 && loader.skippedRecords == 5)
    }

    @Test("a manifest path outside the dataset directory is refused")
    func unsafePath() throws {
        let directory = try LoaderFixtures.dataset()
        let url = directory.appendingPathComponent(Manifest.fileName)
        var manifest = try Manifest.load(from: url)
        manifest.shards[0].file = "../elsewhere.gqnshard"
        try manifest.write(to: url, replacingExisting: true)
        #expect(throws: DataLoaderError.self) { _ = try GQNLoader(configuration: LoaderFixtures.configuration(directory)) }
    }

    @Test("stop() ends the threads, even while they wait on a full prefetch queue")
    func stopReleasesThreads() throws {
        let directory = try LoaderFixtures.dataset()
        let loader = try GQNLoader(configuration: LoaderFixtures.configuration(directory, epochs: nil))
        _ = try loader.next()
        // Let the threads fill the prefetch queue and block.
        Thread.sleep(forTimeInterval: 0.2)
        #expect(loader.pipeline.liveWorkerCount == 2)
        loader.stop()
        #expect(loader.pipeline.liveWorkerCount == 0)
        #expect(try loader.next() == nil)
        loader.stop()
    }

    @Test("releasing the loader mid-epoch releases its pipeline and threads")
    func releaseFreesEverything() throws {
        let directory = try LoaderFixtures.dataset()
        weak var pipeline: DecodePipeline?
        do {
            let loader = try GQNLoader(configuration: LoaderFixtures.configuration(directory, epochs: nil))
            pipeline = loader.pipeline
            _ = try loader.next()
            #expect(pipeline != nil)
        }
        // deinit waits until every thread has left its loop; each thread then drops its
        // reference to the pipeline as it exits, a moment later.
        let deadline = Date().addingTimeInterval(5)
        while pipeline != nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(pipeline == nil)
    }

    @Test("threads exit on their own after the last epoch")
    func threadsExitAtEnd() throws {
        let directory = try LoaderFixtures.dataset()
        let loader = try GQNLoader(configuration: LoaderFixtures.configuration(directory))
        _ = try LoaderFixtures.drain(loader)
        let deadline = Date().addingTimeInterval(5)
        while loader.pipeline.liveWorkerCount > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(loader.pipeline.liveWorkerCount == 0)
    }
}
