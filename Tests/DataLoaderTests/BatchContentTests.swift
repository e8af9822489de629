import Foundation
import ImageCodec
import ShardFormat
import Testing
@testable import DataLoader

/// What a batch holds: shapes, views, viewpoints, pixels, context counts.
@Suite("DataLoader batch contents")
struct BatchContentTests {
    /// The viewpoint vector of a pose, computed here independently of the loader.
    static func viewpoint(_ pose: CameraPose) -> [Float] {
        [pose.x, pose.y, pose.z, cos(pose.yaw), sin(pose.yaw), cos(pose.pitch), sin(pose.pitch)]
    }

    /// Checks every sample of `batches` against the records in the shards: context and query
    /// views are distinct views of the sample's scene, viewpoints match the record's poses, and
    /// every pixel equals the stored image's byte / 255 in NCHW order.
    /// With `configuration`, also checks that each scene's views are the ones
    /// ``LoaderConfiguration/views(ofScene:epoch:viewsPerScene:contextCount:)`` states.
    static func checkAgainstShards(_ batches: [GQNBatch], directory: URL, views: Int,
                                   configuration: LoaderConfiguration? = nil) throws {
        let manifest = try Manifest.load(from: directory.appendingPathComponent(Manifest.fileName))
        var queryViews: Set<Int> = []
        for batch in batches {
            let (h, w, k) = (batch.height, batch.width, batch.contextCount)
            let plane = h * w
            #expect(batch.contextImages.count == batch.batchSize * k * 3 * plane)
            #expect(batch.queryImage.count == batch.batchSize * 3 * plane)
            #expect(batch.contextViewpoints.count == batch.batchSize * k * 7 && batch.queryViewpoint.count == batch.batchSize * 7)
            for b in 0..<batch.batchSize {
                let scene = batch.sceneIndices[b]
                let entry = try #require(manifest.shards.first {
                    $0.firstSceneIndex <= scene && scene < $0.firstSceneIndex + UInt64($0.recordCount)
                })
                let reader = try ShardReader(url: try manifest.shardURL(for: entry, in: directory))
                let record = try reader.record(at: Int(scene - entry.firstSceneIndex))
                #expect(record.sceneIndex == scene)
                let poses = record.views.map { viewpoint($0.pose) }
                // Which stored view each slot holds, found by its viewpoint (slot 0 = query).
                var chosen: [Int] = []
                for slot in 0...k {
                    let vector = slot == 0
                        ? Array(batch.queryViewpoint[(b * 7)..<(b * 7 + 7)])
                        : Array(batch.contextViewpoints[((b * k + slot - 1) * 7)..<((b * k + slot) * 7)])
                    let view = try #require(poses.firstIndex(of: vector), "scene \(scene) slot \(slot): viewpoint \(vector)")
                    chosen.append(view)
                    let image = record.views[view].image
                    let bytes = reader.schema.imageEncoding == .png ? try PNGCodec.decodeRGB8(image).samples : image
                    let base = slot == 0 ? b * 3 * plane : (b * k + slot - 1) * 3 * plane
                    let pixels = slot == 0 ? batch.queryImage : batch.contextImages
                    var mismatches = 0
                    for c in 0..<3 {
                        for y in 0..<h {
                            for x in 0..<w where pixels[base + c * plane + y * w + x] != Float(bytes[(y * w + x) * 3 + c]) / 255 {
                                mismatches += 1
                            }
                        }
                    }
                    #expect(mismatches == 0, "scene \(scene) slot \(slot)")
                }
                #expect(Set(chosen).count == k + 1, "views \(chosen) of scene \(scene) are not distinct")
                if let configuration {
                    #expect(chosen == configuration.views(ofScene: scene, epoch: batch.epoch, viewsPerScene: views,
                                                          contextCount: k))
                }
                queryViews.insert(chosen[0])
            }
        }
        // The query is drawn per scene, not always the same view.
        #expect(queryViews.count > 1)
    }

    @Test("views, viewpoints and pixels match the shards (PNG and raw)",
          arguments: [DatasetSchema.ImageEncoding.png, .raw])
    func contents(encoding: DatasetSchema.ImageEncoding) throws {
        // 13 x 7 pixels: not a multiple of the 8-pixel conversion step.
        let directory = try LoaderFixtures.dataset(views: 6, width: 13, height: 7, encoding: encoding)
        let configuration = LoaderFixtures.configuration(directory, context: .random(1...5))
        let batches = try LoaderFixtures.drain(GQNLoader(configuration: configuration))
        #expect(batches.first?.height == 7 && batches.first?.width == 13)
        try Self.checkAgainstShards(batches, directory: directory, views: 6, configuration: configuration)
    }

    @Test("K fixed: every batch has K context views")
    func fixedContext() throws {
        let directory = try LoaderFixtures.dataset()
        let batches = try LoaderFixtures.drain(GQNLoader(configuration: LoaderFixtures.configuration(directory, context: .fixed(3))))
        #expect(!batches.isEmpty && batches.allSatisfy { $0.contextCount == 3 })
        #expect(batches.allSatisfy { $0.viewCount == $0.batchSize * 4 })
    }

    @Test("K drawn per batch: in range, varying, and the same on every rank and for one process with the global batch")
    func drawnContext() throws {
        let directory = try LoaderFixtures.dataset(splits: [("train", 80)])
        let configuration = LoaderFixtures.configuration(directory, batchSize: 2, context: .random(2...4))
        let batches = try LoaderFixtures.drain(GQNLoader(configuration: configuration))
        let counts = batches.map(\.contextCount)
        #expect(counts.count == 40 && counts.allSatisfy { (2...4).contains($0) })
        #expect(Set(counts) == [2, 3, 4])
        // Two ranks with batch 1 split the global batches of 2 that one process reads: each
        // rank's batch i has the K of the single process's batch i.
        var ranks = configuration
        ranks.batchSize = 1
        ranks.worldSize = 2
        let perRank = try (0..<2).map { rank in
            ranks.rank = rank
            return try LoaderFixtures.drain(GQNLoader(configuration: ranks)).map(\.contextCount)
        }
        #expect(perRank[0] == counts && perRank[1] == counts)
        var otherSeed = configuration
        otherSeed.seed += 1
        #expect(try LoaderFixtures.drain(GQNLoader(configuration: otherSeed)).map(\.contextCount) != counts)
        // A smaller K uses a prefix of the views a larger K would use.
        let small = BatchAssembler.viewChoice(viewsPerScene: 10, picks: 3, seed: 1, epoch: 2, sceneIndex: 3)
        let large = BatchAssembler.viewChoice(viewsPerScene: 10, picks: 6, seed: 1, epoch: 2, sceneIndex: 3)
        #expect(Array(large.prefix(3)) == small && Set(large).count == 6)
        let otherEpoch = (0..<20).map { BatchAssembler.viewChoice(viewsPerScene: 10, picks: 4, seed: 1, epoch: $0, sceneIndex: 3) }
        #expect(Set(otherEpoch).count > 1)
    }
}
