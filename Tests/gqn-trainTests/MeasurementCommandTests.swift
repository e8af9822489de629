import DataLoader
import Foundation
import GQN
import ImageCodec
import ShardFormat
import Tensors
import Testing

@testable import gqn_train
@testable import scenegen

/// eval over object and room pixels, sample --uncertainty and probe, run in-process.
@Suite("gqn-train measurements", .serialized)
struct MeasurementCommandTests {
    init() throws { try SerialRunRequired.check() }

    /// The error message a throwing body gives.
    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test("eval's object and room MSEs match a hand computation on a two-scene split with known masks")
    func regionsByHand() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 4), ("test", 2)], views: 4, masks: true)
        let run = TrainFixtures.path("regions")
        try GQNTrainTests.fit(data, out: run, steps: 2)
        let report = try Evaluate.parse([
            "--checkpoint", run, "--data", data.path, "--context", "3", "--samples", "2", "--threads", "1",
        ]).makeReport()
        let figures = try #require(report.results.first)
        #expect(report.masks && report.samples == 2 && report.notes.isEmpty)
        let objects = try #require(figures.objects)
        let room = try #require(figures.room)

        // The same queries as the evaluation, and the model's prior mean for them.
        let evaluation = Evaluation(contextCounts: [3])
        let loader = try GQNLoader(configuration: evaluation.loaderConfiguration(directory: data, split: "test", context: 3, masks: true))
        let batch = try #require(try loader.next())
        let (trainer, _) = try RunFiles.loadTrainer(from: run + "/checkpoint.safetensors")
        let tensors = try GQNTensorBatch(batch)
        let priorMean = try trainer.model.generate(
            contextImages: tensors.contextImages, contextViewpoints: tensors.contextViewpoints,
            queryViewpoints: tensors.queryViewpoints, usePriorMean: true
        ).scalars

        // Sums by hand from the fixture's pixels and masks (the query identified by its x).
        var sums: [Bool: (pixels: Int, mean: Double, nearest: Double, model: Double)] = [true: (0, 0, 0, 0), false: (0, 0, 0, 0)]
        let nearest = [0: 1, 1: 0, 2: 1, 3: 1]  // xs = 0, 1, 5, 2: the closest other x
        let plane = 32 * 32
        for scene in 0..<2 {
            let sceneIndex = UInt64(4 + scene)
            let query = try #require(TrainFixtures.xs.firstIndex(of: batch.queryViewpoint[scene * 7]))
            let truth = TrainFixtures.pixels(scene: sceneIndex, view: query).map { Double($0) / 255 }
            let others = (0..<4).filter { $0 != query }.map { TrainFixtures.pixels(scene: sceneIndex, view: $0).map { Double($0) / 255 } }
            let nearestPixels = TrainFixtures.pixels(scene: sceneIndex, view: try #require(nearest[query])).map { Double($0) / 255 }
            let mask = TrainFixtures.mask(scene: sceneIndex, view: query)
            for pixel in 0..<plane {
                let isObject = mask[pixel] > 0
                var entry = try #require(sums[isObject])
                entry.pixels += 1
                for channel in 0..<3 {
                    let i = pixel * 3 + channel  // interleaved fixture bytes
                    let mean = others.map { $0[i] }.reduce(0, +) / 3
                    entry.mean += (mean - truth[i]) * (mean - truth[i])
                    entry.nearest += (nearestPixels[i] - truth[i]) * (nearestPixels[i] - truth[i])
                    let model = Double(priorMean[(scene * 3 + channel) * plane + pixel])
                    entry.model += (model - truth[i]) * (model - truth[i])
                }
                sums[isObject] = entry
            }
        }
        for (figures, isObject) in [(objects, true), (room, false)] {
            let hand = try #require(sums[isObject])
            let values = Double(3 * hand.pixels)
            #expect(figures.pixels == hand.pixels)
            #expect(abs(figures.mseBaselineContextMean - hand.mean / values) < 1e-6)
            #expect(abs(figures.mseBaselineNearestPose - hand.nearest / values) < 1e-6)
            #expect(abs(figures.msePriorMean - hand.model / values) < 1e-6)
        }
        #expect(objects.pixels > 100 && room.pixels > 100 && objects.pixels + room.pixels == 2 * plane)
        #expect(abs(objects.pixelFraction + room.pixelFraction - 1) < 1e-12)
        // The regions' figures are the whole image's, split: pooled means recombine exactly.
        let whole = figures.image
        func recombined(_ value: (RegionFigures) -> Double?) -> Double {
            ((value(objects) ?? .nan) * Double(objects.pixels) + (value(room) ?? .nan) * Double(room.pixels)) / Double(whole.pixels)
        }
        #expect(abs(recombined(\.msePriorSample) - whole.msePriorSample) < 1e-9)
        #expect(abs(recombined(\.msePosteriorReconstruction) - whole.msePosteriorReconstruction) < 1e-9)
        #expect(abs(recombined(\.sampleVariance) - (whole.sampleVariance ?? .nan)) < 1e-9)
        #expect((whole.sampleVariance ?? 0) > 0)
        #expect(objects.mseBaselineContextMean != room.mseBaselineContextMean)
    }

    @Test("eval on a dataset without masks says so and reports the whole image only")
    func evalWithoutMasks() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 4), ("test", 2)], views: 4)
        let run = TrainFixtures.path("nomasks")
        try GQNTrainTests.fit(data, out: run, steps: 2)
        let report = try Evaluate.parse(["--checkpoint", run, "--data", data.path, "--threads", "1"]).makeReport()
        #expect(!report.masks)
        #expect(report.notes.contains { $0.contains("no instance masks") && $0.contains("--masks") }, "\(report.notes)")
        #expect(report.notes.contains { $0.contains("sample_variance") })
        let figures = try #require(report.results.first)
        #expect(figures.objects == nil && figures.room == nil && figures.image.sampleVariance == nil)
        let json = try RunDirectory.encodeJSON(report)
        #expect(json.contains("\"notes\"") && !json.contains("\"objects\""))
    }

    @Test("sample --uncertainty draws a row per context count: truth, mean, samples, variance map, context")
    func uncertaintyPicture() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 4), ("test", 2)], views: 4)
        let run = TrainFixtures.path("uncertainty")
        try GQNTrainTests.fit(data, out: run, steps: 2)
        let out = TrainFixtures.path("uncertainty") + ".png"
        let command = try Sample.parse([
            "--checkpoint", run, "--data", data.path, "--scene", "0", "--context", "2", "--samples", "2", "--out", out,
            "--threads", "1", "--uncertainty",
        ])
        try command.run()
        let sheet = try PNGCodec.decodeRGB8(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        // 2 rows; columns: truth, mean, 2 samples, variance map, up to 2 context views; 32-pixel tiles, 2-pixel padding.
        #expect(sheet.width == 7 * 32 + 8 * 2 && sheet.height == 2 * 32 + 3 * 2)
        let single = Self.message {
            _ = try Sample.parse(["--checkpoint", run, "--data", data.path, "--scene", "0", "--samples", "1", "--out", out, "--uncertainty"])
        }
        #expect(single.contains("--samples") && single.contains("at least 2"), "\(single)")
    }

    static let family = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenes/rooms_ring_camera.json").path

    @Test("probe runs end to end on a tiny dataset from scenegen generate")
    func probeEndToEnd() throws {
        let data = TrainFixtures.path("scenes")
        let generate = try Generate.parse([
            "--family", Self.family, "--scenes", "48", "--shard-size", "24", "--size", "32", "--views", "4", "--spp", "1",
            "--out", data, "--split", "train=0.75,test=0.25", "--masks", "--threads", "1",
        ])
        try generate.validate()
        try generate.run()
        let run = TrainFixtures.path("probe-run")
        try GQNTrainTests.fit(URL(fileURLWithPath: data), out: run, steps: 2)
        let out = TrainFixtures.path("probe") + ".json"
        let command = try ProbeCommand.parse([
            "--checkpoint", run, "--data", data, "--context", "2", "--train-scenes", "30", "--out", out, "--threads", "1",
        ])
        let report = try command.makeReport()
        #expect(report.context == 2 && report.testScenes == 12)
        #expect(report.results.map(\.features) == [.representation, .untrainedRepresentation, .pixels])
        #expect(report.results.allSatisfy { $0.trainScenes == 30 })
        #expect(report.results.map(\.featureCount) == [64, 64, 3 * 8 * 8])
        #expect(Set(report.vocabulary.shapes).isSubset(of: ["box", "sphere", "cylinder", "capsule", "cone", "icosahedron", "triangularPrism"]))
        #expect(report.vocabulary.shapes.count >= 3 && report.vocabulary.colours.count >= 2 && report.vocabulary.maximumCount == 3)
        for result in report.results {
            for score in [
                result.countAccuracy, result.countMajorityAccuracy, result.shapesF1, result.coloursF1, result.cellsF1,
                result.shapesAP, result.coloursAP, result.cellsAP,
            ] {
                #expect((0...1).contains(score), "\(result)")
            }
            #expect(Set(result.regularization.keys).isSuperset(of: ["count", "shapes", "colours", "cells"]))
            #expect(Set(result.thresholds.keys) == ["shapes", "colours", "cells"])
            #expect(result.thresholds.values.allSatisfy { (0.05...0.95).contains($0) })
        }
        let b = report.baselines
        for score in [b.shapesF1AllPresent, b.coloursF1AllPresent, b.cellsF1AllPresent, b.shapesF1Frequent, b.coloursF1Frequent, b.cellsF1Frequent] {
            #expect((0...1).contains(score), "\(b)")
        }
        #expect(b.cellsF1AllPresent > 0 && b.shapesF1AllPresent > 0)
        for chance in [b.shapesAPChance, b.coloursAPChance, b.cellsAPChance] { #expect(chance > 0 && chance <= 1, "\(b)") }
        // The trained and untrained networks differ, so their features (and usually scores) do.
        #expect(report.results[0] != report.results[1])
        let table = report.table()
        #expect(table.contains("untrained_representation") && table.contains("count acc") && table.contains("cells:"))

        try command.run()
        let written = try JSONDecoder().decode(ProbeReport.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(written == report)
    }

    @Test("probe on a dataset whose scenes list no objects fails with a clear message")
    func probeWithoutLabels() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 4), ("test", 2)], views: 4)
        let run = TrainFixtures.path("nolabels")
        try GQNTrainTests.fit(data, out: run, steps: 2)
        let text = Self.message { _ = try ProbeCommand.parse(["--checkpoint", run, "--data", data.path, "--threads", "1"]).makeReport() }
        #expect(text.contains("labels.objects") && text.contains("split train"), "\(text)")
        let split = Self.message {
            _ = try ProbeCommand.parse(["--checkpoint", run, "--data", data.path, "--test-split", "val", "--threads", "1"]).makeReport()
        }
        #expect(split.contains("val"), "\(split)")
    }
}
