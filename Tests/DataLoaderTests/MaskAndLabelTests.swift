import Foundation
import ImageCodec
import ShardFormat
import Testing
@testable import DataLoader

/// The optional parts of a batch: the query views' instance masks and the scenes' labels.
@Suite("DataLoader masks and labels")
struct MaskAndLabelTests {
    @Test("masks and labels, when asked, are the query view's mask and the scene's labels")
    func masksAndLabels() throws {
        let directory = try LoaderFixtures.dataset(masks: true)
        var configuration = LoaderFixtures.configuration(directory, batchSize: 5, context: .random(1...3))
        configuration.queryMasks = true
        configuration.labels = true
        let batches = try LoaderFixtures.drain(try GQNLoader(configuration: configuration))
        #expect(batches.reduce(0) { $0 + $1.batchSize } == 37)
        var objectPixels = 0
        for batch in batches {
            let masks = try #require(batch.queryMasks)
            let labels = try #require(batch.labels)
            let plane = batch.height * batch.width
            #expect(masks.count == batch.batchSize * plane && labels.count == batch.batchSize)
            for b in 0..<batch.batchSize {
                let scene = batch.sceneIndices[b]
                // The query view, found by its viewpoint.
                let vector = Array(batch.queryViewpoint[(b * 7)..<(b * 7 + 7)])
                let view = try #require((0..<5).first { GQNBatch.viewpoint(LoaderFixtures.pose(scene: scene, view: $0)) == vector })
                #expect(Array(masks[(b * plane)..<((b + 1) * plane)]) == LoaderFixtures.mask(scene: scene, view: view, width: 8, height: 6))
                #expect(labels[b] == LoaderFixtures.labels(scene: scene))
                objectPixels += masks[(b * plane)..<((b + 1) * plane)].filter { $0 > 0 }.count
            }
        }
        #expect(objectPixels > 0)
        // The images and views are those of a loader that was not asked for masks or labels.
        var plain = configuration
        plain.queryMasks = false
        plain.labels = false
        let plainBatches = try LoaderFixtures.drain(try GQNLoader(configuration: plain))
        #expect(plainBatches.allSatisfy { $0.queryMasks == nil && $0.labels == nil })
        #expect(plainBatches.map(\.queryImage) == batches.map(\.queryImage))
        #expect(plainBatches.map(\.contextViewpoints) == batches.map(\.contextViewpoints))
    }

    @Test("asking a dataset without masks for them is a clear error")
    func missingMasks() throws {
        let directory = try LoaderFixtures.dataset()
        var configuration = LoaderFixtures.configuration(directory)
        configuration.queryMasks = true
        let manifest = directory.appendingPathComponent(Manifest.fileName).path
        #expect(throws: DataLoaderError.missingMasks(path: manifest)) { try GQNLoader(configuration: configuration) }
        #expect(DataLoaderError.missingMasks(path: manifest).description.contains("scenegen generate --masks"))
        // Labels need nothing special: every record has them (possibly with no objects).
        configuration.queryMasks = false
        configuration.labels = true
        let batch = try #require(try GQNLoader(configuration: configuration).next())
        #expect(batch.labels?.count == batch.batchSize)
    }

    @Test("prefix keeps the first scenes of every part")
    func prefix() throws {
        let directory = try LoaderFixtures.dataset(masks: true)
        var configuration = LoaderFixtures.configuration(directory, batchSize: 4)
        configuration.queryMasks = true
        configuration.labels = true
        let batch = try #require(try GQNLoader(configuration: configuration).next())
        let cut = batch.prefix(3)
        let plane = 8 * 6
        #expect(cut.batchSize == 3 && cut.sceneIndices == Array(batch.sceneIndices.prefix(3)))
        #expect(cut.contextImages == Array(batch.contextImages.prefix(3 * 2 * 3 * plane)))
        #expect(cut.queryImage == Array(batch.queryImage.prefix(3 * 3 * plane)))
        #expect(cut.queryViewpoint == Array(batch.queryViewpoint.prefix(21)))
        #expect(cut.contextViewpoints == Array(batch.contextViewpoints.prefix(3 * 2 * 7)))
        #expect(cut.queryMasks == batch.queryMasks.map { Array($0.prefix(3 * plane)) })
        #expect(cut.labels == batch.labels.map { Array($0.prefix(3)) })
        #expect(batch.prefix(9) == batch)
    }

    @Test("the viewpoint vector of a pose")
    func viewpoint() {
        let (yaw, pitch): (Float, Float) = (0.5, -0.25)
        let pose = CameraPose(x: 1, y: 2, z: 3, yaw: yaw, pitch: pitch)
        #expect(GQNBatch.viewpoint(pose) == [1, 2, 3, cos(yaw), sin(yaw), cos(pitch), sin(pitch)])
    }
}
