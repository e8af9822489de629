import DataLoader
import Foundation
import GQN
import ShardFormat
import Tensors
import Testing

@testable import gqn_train

/// The commands run in-process; the suite is serial because they set the process-wide thread count.
@Suite("gqn-train", .serialized)
struct GQNTrainTests {
    init() throws { try SerialRunRequired.check() }

    static func fit(_ data: URL, out: String, steps: Int, extra: [String] = []) throws {
        let command = try Fit.parse([
            "--data", data.path, "--config", "tiny", "--steps", "\(steps)", "--out", out, "--batch", "2",
            "--seed", "5", "--threads", "1", "--log-every", "1", "--checkpoint-every", "2", "--sample-every", "3",
        ] + extra)
        try command.run()
    }

    /// metrics.jsonl lines without the wall-clock field.
    static func metrics(_ run: String) throws -> [String] {
        let text = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
        return text.split(separator: "\n").map { String($0.replacing(/,"elapsed_s":[0-9.]+/, with: "")) }
    }

    /// Per metrics.jsonl line: the step, sigma and learning rate.
    static func scheduleValues(_ run: String) throws -> [(step: Int, sigma: Double, lr: Double)] {
        try metrics(run).map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return (
                try #require(object["step"] as? Int), try #require(object["sigma"] as? Double),
                try #require(object["lr"] as? Double)
            )
        }
    }

    /// The error's text, or "no error".
    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    /// The message the command line prints for the error `body` throws (argument errors too), or "no error".
    static func commandLineMessage(_ body: () throws -> Void) -> String {
        do { try body() } catch { return Fit.message(for: error) }
        return "no error"
    }

    @Test(
        "fit N steps in one go equals N/2 steps then --resume: same metrics lines and final weights",
        arguments: [GQNTrainingSchedule.Preset.paper, .short])
    func resumeEqualsUninterrupted(schedule: GQNTrainingSchedule.Preset) throws {
        let data = try TrainFixtures.dataset(splits: [("train", 9), ("test", 2)])
        let whole = TrainFixtures.path("whole")
        let split = TrainFixtures.path("split")
        // The paper's schedule by default. The short run anneals over its --steps 8; the
        // interrupted one asks for 8 explicitly at the start, and its resumption keeps the
        // recorded length without being told.
        let named = schedule == .paper ? [] : ["--schedule", schedule.rawValue]
        try Self.fit(data, out: whole, steps: 8, extra: named)
        try Self.fit(data, out: split, steps: 4, extra: named + (schedule == .short ? ["--anneal-steps", "8"] : []))
        try Self.fit(data, out: split, steps: 8, extra: named + ["--resume"])

        let wholeLines = try Self.metrics(whole)
        let splitLines = try Self.metrics(split)
        #expect(wholeLines.count == 8)
        #expect(splitLines == wholeLines)
        let last = try #require(try Self.scheduleValues(split).last)
        if schedule == .short {
            #expect(last.step == 8 && last.sigma == 0.7 && last.lr == 5e-5, "\(last)")
        } else {
            #expect(last.sigma > 1.99 && last.lr > 4.99e-4, "\(last)")
        }
        // The run crosses an epoch (9 scenes, batch 2, last partial batch dropped) and the K draws vary.
        #expect(Set(wholeLines.map { $0.firstMatch(of: /"context":(\d)/)?.1 ?? "" }).count > 1)

        let a = try SafeTensors(contentsOf: whole + "/checkpoint.safetensors")
        let b = try SafeTensors(contentsOf: split + "/checkpoint.safetensors")
        #expect(a.metadata["step"] == "8" && b.metadata["step"] == "8")
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for (name, tensor) in a.tensors {
            #expect(tensor.scalars == b.tensors[name]?.scalars, "tensor \(name) differs")
        }
        #expect(a.metadata[RunDirectory.loaderStateKey] == b.metadata[RunDirectory.loaderStateKey])
        #expect(FileManager.default.fileExists(atPath: whole + "/samples/step-000006.png"))
    }

    @Test(
        "resumed mid-epoch, at one and two threads: the same metrics lines and weights as one uninterrupted run",
        arguments: [(3, 1), (5, 2), (6, 2)])
    func resumeMidEpoch(stopAfter: Int, threads: Int) throws {
        // 9 scenes, batch 2, last partial batch dropped: 4 steps per epoch, so steps 3, 5 and 6 are mid-epoch.
        let data = try TrainFixtures.dataset(splits: [("train", 9), ("test", 2)])
        let whole = TrainFixtures.path("mid-whole"), split = TrainFixtures.path("mid-split")
        let threadArguments = ["--threads", "\(threads)"]
        try Self.fit(data, out: whole, steps: 8, extra: threadArguments)
        try Self.fit(data, out: split, steps: stopAfter, extra: threadArguments)
        let stopped = try SafeTensors(contentsOf: split + "/" + RunDirectory.checkpointName)
        let state = try RunDirectory.decodeJSON(LoaderState.self, stopped.metadata[RunDirectory.loaderStateKey], key: "", path: "")
        #expect(state.position != 0, "step \(stopAfter) is not mid-epoch: \(state)")
        try Self.fit(data, out: split, steps: 8, extra: threadArguments + ["--resume"])

        #expect(try Self.metrics(split) == Self.metrics(whole))
        let a = try SafeTensors(contentsOf: whole + "/" + RunDirectory.checkpointName)
        let b = try SafeTensors(contentsOf: split + "/" + RunDirectory.checkpointName)
        for (name, tensor) in a.tensors {
            #expect(tensor.scalars == b.tensors[name]?.scalars, "tensor \(name) differs")
        }
        #expect(a.metadata[RunDirectory.loaderStateKey] == b.metadata[RunDirectory.loaderStateKey])
    }

    @Test("fit --schedule short anneals over the run: sigma 2.0 -> 0.7 by an eighth of it, lr 5e-4 -> 5e-5 at the last step")
    func shortScheduleReachesFinalValues() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("short")
        try Self.fit(data, out: run, steps: 17, extra: ["--schedule", "short"])
        let values = try Self.scheduleValues(run)
        #expect(values.map(\.step) == Array(1...17))
        // 17 steps: the learning rate anneals over t = 0...16, sigma over t = 0...2 (16 / 8).
        #expect(values[0].sigma == 2.0 && values[0].lr == 5e-4)
        #expect(abs(values[1].sigma - 1.35) < 1e-6)
        #expect(values[2...].allSatisfy { $0.sigma == 0.7 })
        #expect(abs(values[8].lr - 2.75e-4) < 1e-9, "\(values[8])")
        #expect(zip(values, values.dropFirst()).allSatisfy { $0.lr > $1.lr })
        #expect(values[16].sigma == 0.7 && values[16].lr == 5e-5)

        // Recorded where a resumption looks: run.json and the checkpoint's settings and configuration.
        let settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: URL(fileURLWithPath: run + "/run.json")))
        #expect(settings.schedule == .short && settings.annealSteps == 17)
        let metadata = try SafeTensors(contentsOf: run + "/checkpoint.safetensors").metadata
        let recorded = try #require(metadata[RunDirectory.settingsKey])
        #expect(try JSONDecoder().decode(RunSettings.self, from: Data(recorded.utf8)) == settings)
        let configuration = try JSONDecoder().decode(
            GQNConfiguration.self, from: Data(try #require(metadata["configuration"]).utf8))
        #expect(configuration.schedule == .short(annealSteps: 17))
        // eval and sample read the schedule back: this checkpoint's sigma is the final one.
        let (trainer, _) = try RunFiles.loadTrainer(from: run + "/checkpoint.safetensors")
        #expect(trainer.schedule.pixelStandardDeviation(at: trainer.step) == 0.7)
    }

    @Test("--resume with another schedule than the run's is refused, naming both; the run is untouched")
    func resumeWithAnotherScheduleRefused() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let short = TrainFixtures.path("short")
        try Self.fit(data, out: short, steps: 4, extra: ["--schedule", "short"])
        let before = try Data(contentsOf: URL(fileURLWithPath: short + "/checkpoint.safetensors"))

        let omitted = Self.message { try Self.fit(data, out: short, steps: 8, extra: ["--resume"]) }
        #expect(omitted.contains("--schedule short --anneal-steps 4, found --schedule paper"), "\(omitted)")
        let longer = Self.message {
            try Self.fit(data, out: short, steps: 8, extra: ["--resume", "--schedule", "short", "--anneal-steps", "8"])
        }
        #expect(longer.contains("--schedule short --anneal-steps 4, found --schedule short --anneal-steps 8"), "\(longer)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: short + "/checkpoint.safetensors")) == before)
        #expect(try Self.metrics(short).count == 4)

        let paper = TrainFixtures.path("paper")
        try Self.fit(data, out: paper, steps: 2)
        let switched = Self.message { try Self.fit(data, out: paper, steps: 4, extra: ["--resume", "--schedule", "short"]) }
        #expect(switched.contains("--schedule paper, found --schedule short --anneal-steps 4"), "\(switched)")

        // --anneal-steps belongs to the short schedule.
        let stray = Self.message {
            _ = try Fit.parse(["--data", data.path, "--config", "tiny", "--steps", "4", "--out", paper, "--anneal-steps", "4"])
        }
        #expect(stray.contains("--anneal-steps") && stray.contains("--schedule short"), "\(stray)")
        let zero = Self.message {
            _ = try Fit.parse([
                "--data", data.path, "--config", "tiny", "--steps", "4", "--out", paper, "--schedule", "short", "--anneal-steps", "0",
            ])
        }
        #expect(zero.contains("--anneal-steps"), "\(zero)")
    }

    @Test("--final-sigma: sigma anneals to it, the run records it, a resumed run keeps it and refuses another")
    func finalSigma() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("final-sigma")
        try Self.fit(data, out: run, steps: 17, extra: ["--schedule", "short", "--final-sigma", "0.3"])
        var values = try Self.scheduleValues(run)
        // Sigma anneals over t = 0...2 as before, from 2.0 to 0.3 now; the learning rate is unchanged.
        #expect(values[0].sigma == 2.0 && abs(values[1].sigma - 1.15) < 1e-6)
        #expect(values[2...].allSatisfy { abs($0.sigma - 0.3) < 1e-7 }, "\(values)")
        #expect(values[16].lr == 5e-5)
        let settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: URL(fileURLWithPath: run + "/run.json")))
        #expect(settings.finalSigma == 0.3 && settings.trainingSchedule.pixelStandardDeviation.final == 0.3)

        // Resumed without the flag: the run's own sigma.
        try Self.fit(data, out: run, steps: 19, extra: ["--resume", "--schedule", "short"])
        values = try Self.scheduleValues(run)
        #expect(values.count == 19 && values[17...].allSatisfy { abs($0.sigma - 0.3) < 1e-7 }, "\(values)")
        let other = Self.message {
            try Self.fit(data, out: run, steps: 21, extra: ["--resume", "--schedule", "short", "--final-sigma", "0.5"])
        }
        #expect(other.contains("--final-sigma 0.3, found --schedule short --anneal-steps 17 --final-sigma 0.5"), "\(other)")
        #expect(try Self.metrics(run).count == 19)

        let zero = Self.message {
            _ = try Fit.parse(["--data", data.path, "--config", "tiny", "--steps", "4", "--out", run, "--final-sigma", "0"])
        }
        #expect(zero.contains("--final-sigma must be in (0, 2], found 0.0"), "\(zero)")
    }

    @Test("--representation: the run trains and records that network; eval reads it back; a resumed run refuses another")
    func representationOverride() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("tower")
        try Self.fit(data, out: run, steps: 2, extra: ["--representation", "tower"])
        let settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: URL(fileURLWithPath: run + "/run.json")))
        #expect(settings.config == .tiny && settings.representation == .tower)
        let (trainer, _) = try RunFiles.loadTrainer(from: run + "/checkpoint.safetensors")
        #expect(trainer.model.configuration.representation == .tower)
        #expect(GQNConfiguration.tiny.representation == .pool, "the override must differ from the preset to test anything")
        #expect(trainer.model.configuration.representationSize == GQNConfiguration.tiny.imageSize / 4)

        try Self.fit(data, out: run, steps: 3, extra: ["--resume"])
        #expect(try Self.metrics(run).count == 3)
        let other = Self.message { try Self.fit(data, out: run, steps: 4, extra: ["--resume", "--representation", "pool"]) }
        #expect(other.contains("--representation tower, found pool"), "\(other)")
        #expect(try Self.metrics(run).count == 3)
    }

    /// Options recorded in run.json and the checkpoint's configuration, kept on resume, another value refused.
    enum RecordedOption: String, CaseIterable, Sendable {
        case contextAggregation = "--context-aggregation"
        case priorReconstructionWeight = "--prior-reconstruction-weight"

        /// The value the run starts with (never the preset's own) and another one.
        var values: (run: String, other: String) {
            switch self {
            case .contextAggregation: ("mean", "sum")
            case .priorReconstructionWeight: ("0.5", "1")
            }
        }

        /// The refusal a resumed run with the other value must print.
        var refusal: String {
            switch self {
            case .contextAggregation: "--context-aggregation mean, found sum"
            case .priorReconstructionWeight: "--prior-reconstruction-weight 0.5, found 1.0"
            }
        }

        func isRecorded(_ settings: RunSettings, _ configuration: GQNConfiguration) -> Bool {
            switch self {
            case .contextAggregation:
                settings.contextAggregation == .mean && configuration.contextAggregation == .mean
                    && GQNConfiguration.tiny.contextAggregation == .sum
            case .priorReconstructionWeight:
                settings.priorReconstructionWeight == 0.5 && configuration.priorReconstructionWeight == 0.5
                    && GQNConfiguration.tiny.priorReconstructionWeight == 0
            }
        }
    }

    @Test("fit options recorded in run.json and the checkpoint, kept on resume, another value refused", arguments: RecordedOption.allCases)
    func recordedOption(_ option: RecordedOption) throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path(String(option.rawValue.dropFirst(2)))
        try Self.fit(data, out: run, steps: 2, extra: [option.rawValue, option.values.run])
        let settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: URL(fileURLWithPath: run + "/run.json")))
        let (trainer, _) = try RunFiles.loadTrainer(from: run + "/checkpoint.safetensors")
        #expect(option.isRecorded(settings, trainer.model.configuration))

        try Self.fit(data, out: run, steps: 3, extra: ["--resume"])
        #expect(try Self.metrics(run).count == 3)
        let other = Self.message { try Self.fit(data, out: run, steps: 4, extra: ["--resume", option.rawValue, option.values.other]) }
        #expect(other.contains(option.refusal), "\(other)")
        #expect(try Self.metrics(run).count == 3)
    }

    @Test("fit --prior-reconstruction-weight: metrics.jsonl logs prior_nll, which the objective adds to the ELBO; bad weights refused")
    func priorReconstructionMetrics() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("prior-metrics")
        try Self.fit(data, out: run, steps: 2, extra: ["--prior-reconstruction-weight", "0.5"])
        let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let (loss, nll, kl) = (object["loss"] as? Double ?? .nan, object["nll"] as? Double ?? .nan, object["kl"] as? Double ?? .nan)
            let prior = try #require(object["prior_nll"] as? Double, "\(line)")
            #expect(abs(loss - (nll + kl + 0.5 * prior)) <= 1e-3 * abs(loss), "\(line)")
        }
        let plain = TrainFixtures.path("prior-metrics-plain")
        try Self.fit(data, out: plain, steps: 1)
        #expect(try !String(contentsOfFile: plain + "/metrics.jsonl", encoding: .utf8).contains("prior_nll"))
        let negative = Self.message {
            _ = try Fit.parse(["--data", data.path, "--config", "tiny", "--steps", "4", "--out", run, "--prior-reconstruction-weight=-1"])
        }
        #expect(negative.contains("--prior-reconstruction-weight must be a finite number >= 0, found -1.0"), "\(negative)")
    }

    @Test("extending a short run with a larger --steps keeps its schedule: the new steps train at the final values")
    func extendingShortRunKeepsSchedule() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("extend")
        try Self.fit(data, out: run, steps: 4, extra: ["--schedule", "short"])
        try Self.fit(data, out: run, steps: 6, extra: ["--resume", "--schedule", "short"])
        let values = try Self.scheduleValues(run)
        #expect(values.map(\.step) == Array(1...6))
        #expect(values[3...].allSatisfy { $0.sigma == 0.7 && $0.lr == 5e-5 }, "\(values)")
        let settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: URL(fileURLWithPath: run + "/run.json")))
        #expect(settings.annealSteps == 4)
    }

    @Test("a checkpoint whose schedule is not what its settings give now (a changed preset) is refused")
    func resumeRefusesChangedPreset() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("changed")
        try Self.fit(data, out: run, steps: 2, extra: ["--schedule", "short", "--anneal-steps", "10"])
        let path = run + "/checkpoint.safetensors"
        let archive = try SafeTensors(contentsOf: path)
        var metadata = archive.metadata
        var configuration = try JSONDecoder().decode(GQNConfiguration.self, from: Data(try #require(metadata["configuration"]).utf8))
        configuration.schedule.pixelStandardDeviation.steps = 5
        metadata["configuration"] = try RunDirectory.encodeJSON(configuration)
        metadata[GQNTrainer.checksumKey] = nil  // as a gqn-train from before the checksum wrote it
        try SafeTensors(tensors: archive.tensors, metadata: metadata).write(to: path)
        let refused = Self.message { try Self.fit(data, out: run, steps: 4, extra: ["--resume", "--schedule", "short"]) }
        #expect(refused.contains("--schedule short --anneal-steps 10") && refused.contains("exactly"), "\(refused)")
    }

    @Test("a run from before --schedule (settings without it) resumes on the paper schedule")
    func resumeRunWithoutRecordedSchedule() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("old")
        try Self.fit(data, out: run, steps: 2)
        // Rewrite the settings as earlier versions of fit wrote them: no schedule keys.
        let path = run + "/checkpoint.safetensors"
        let archive = try SafeTensors(contentsOf: path)
        var metadata = archive.metadata
        let settingsText = try #require(metadata[RunDirectory.settingsKey])
        var settings = try #require(try JSONSerialization.jsonObject(with: Data(settingsText.utf8)) as? [String: Any])
        #expect(settings.removeValue(forKey: "schedule") as? String == "paper")
        #expect(settings["annealSteps"] == nil)
        metadata[RunDirectory.settingsKey] = String(decoding: try JSONSerialization.data(withJSONObject: settings), as: UTF8.self)
        metadata[GQNTrainer.checksumKey] = nil  // as a gqn-train from before the checksum wrote it
        try SafeTensors(tensors: archive.tensors, metadata: metadata).write(to: path)

        try Self.fit(data, out: run, steps: 4, extra: ["--resume"])
        let values = try Self.scheduleValues(run)
        #expect(values.map(\.step) == [1, 2, 3, 4])
        #expect(values.allSatisfy { $0.sigma > 1.99 && $0.lr > 4.99e-4 })
        let refused = Self.message { try Self.fit(data, out: run, steps: 6, extra: ["--resume", "--schedule", "short"]) }
        #expect(refused.contains("--schedule paper, found"), "\(refused)")
    }

    @Test("resuming drops metrics lines logged after the last checkpoint")
    func resumeTruncatesMetrics() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("truncate")
        try Self.fit(data, out: run, steps: 4)
        // Pretend the process died after step 4's checkpoint having logged two more steps.
        let handle = try #require(FileHandle(forWritingAtPath: run + "/metrics.jsonl"))
        try handle.seekToEnd()
        handle.write(Data("{\"step\":5,\"loss\":1}\n{\"step\":6,\"loss\":1}\n".utf8))
        try handle.close()
        try Self.fit(data, out: run, steps: 6, extra: ["--resume"])
        let steps = try Self.metrics(run).map { $0.firstMatch(of: /"step":(\d+)/).map { Int($0.1)! } ?? -1 }
        #expect(steps == [1, 2, 3, 4, 5, 6])
    }

    @Test("eval's baselines match a hand computation on a two-scene dataset")
    func baselinesByHand() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 4), ("test", 2)], views: 4)
        let run = TrainFixtures.path("eval")
        try Self.fit(data, out: run, steps: 2)
        let command = try Evaluate.parse(["--checkpoint", run, "--data", data.path, "--context", "3", "--threads", "1"])
        let report = try command.makeReport()
        let figures = try #require(report.results.first)
        #expect(report.results.count == 1 && figures.scenes == 2 && figures.context == 3)

        // Which view is each scene's query: the loader decides; identify it by its x coordinate.
        let loader = try GQNLoader(configuration: Evaluation(contextCounts: [3]).loaderConfiguration(
            directory: data, split: "test", context: 3, masks: false))
        let batch = try #require(try loader.next())
        var meanError = 0.0, nearestError = 0.0
        let nearest = [0: 1, 1: 0, 2: 1, 3: 1]  // xs = 0, 1, 5, 2: the closest other x
        for scene in 0..<2 {
            let sceneIndex = UInt64(4 + scene)
            let queryX = batch.queryViewpoint[scene * 7]
            let query = try #require(TrainFixtures.xs.firstIndex(of: queryX))
            let others = (0..<4).filter { $0 != query }
            let truth = TrainFixtures.pixels(scene: sceneIndex, view: query).map { Double($0) / 255 }
            let views = others.map { TrainFixtures.pixels(scene: sceneIndex, view: $0).map { Double($0) / 255 } }
            let nearestView = try #require(nearest[query])
            let nearestPixels = TrainFixtures.pixels(scene: sceneIndex, view: nearestView).map { Double($0) / 255 }
            for i in truth.indices {
                let mean = views.map { $0[i] }.reduce(0, +) / Double(views.count)
                meanError += (mean - truth[i]) * (mean - truth[i])
                nearestError += (nearestPixels[i] - truth[i]) * (nearestPixels[i] - truth[i])
            }
        }
        let values = Double(2 * 3 * 32 * 32)
        #expect(abs(figures.image.mseBaselineContextMean - meanError / values) < 1e-6)
        #expect(abs(figures.image.mseBaselineNearestPose - nearestError / values) < 1e-6)
        #expect(figures.image.mseBaselineNearestPose != figures.image.mseBaselineContextMean)

        // Deterministic, and --context all gives every K.
        #expect(try command.makeReport() == report)
        let all = try Evaluate.parse(["--checkpoint", run, "--data", data.path, "--context", "all", "--threads", "1"]).makeReport()
        #expect(all.results.map(\.context) == [1, 2, 3])
        #expect(all.results[2] == figures)
        // The floor at the checkpoint's sigma (the paper schedule after 2 steps: 2.0 - 1.3 * 2 / 200,000 =
        // 1.999987) is 0.5 ln(2 pi sigma^2) = 1.612079 nats per value, 3,072 values here: 4,952.307 nats.
        #expect(abs(report.nllFloor - 4952.307) < 0.01, "\(report.nllFloor)")
        #expect(figures.elboNatsPerImage >= report.nllFloor)
        #expect(abs(figures.nllAboveFloor + 4952.307 - figures.nll) < 0.01 && figures.nllAboveFloor > 0)
    }

    @Test("the pose distance adds position, wrapped yaw and pitch")
    func poseDistance() {
        func viewpoint(_ x: Float, _ yaw: Float, _ pitch: Float) -> ArraySlice<Float> {
            [x, 0, 0, cos(yaw), sin(yaw), cos(pitch), sin(pitch)][...]
        }
        let distance = ViewBaselines.poseDistance(viewpoint(0, 3.0, 0), viewpoint(1, -3.0, 0.2))
        #expect(abs(distance - (1 + (2 * .pi - 6) + 0.2)) < 1e-5)
    }

    @Test("a batch from the loader runs through the model")
    func loaderBatchThroughModel() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 3)])
        let loader = try GQNLoader(configuration: LoaderConfiguration(directory: data, batchSize: 3, context: .fixed(2)))
        let batch = try GQNTensorBatch(try #require(try loader.next()))
        #expect(batch.contextImages.shape == [3, 2, 3, 32, 32])
        let model = try GQNModel(configuration: .tiny, seed: 1)
        let loss = try model.loss(batch, pixelStandardDeviation: 2, noiseSeed: 1)
        #expect(loss.lossValue.isFinite)
    }

    @Test("sample writes a picture")
    func sampleWritesPicture() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 4), ("test", 2)])
        let run = TrainFixtures.path("sample")
        try Self.fit(data, out: run, steps: 2)
        let out = TrainFixtures.path("picture") + ".png"
        let command = try Sample.parse([
            "--checkpoint", run, "--data", data.path, "--scene", "1", "--context", "2", "--samples", "1", "--out", out,
            "--threads", "1",
        ])
        try command.run()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    @Test("export-weights: a third of the checkpoint; eval and sample read it with identical results; fit cannot resume from it")
    func exportedWeights() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 4), ("test", 2)])
        let run = TrainFixtures.path("export")
        try Self.fit(data, out: run, steps: 3)
        let weights = TrainFixtures.path("weights") + ".safetensors"
        let export = try ExportWeights.parse(["--checkpoint", run, "--out", weights, "--note", "made by a test"])
        try export.run()
        let checkpointBytes = try Data(contentsOf: URL(fileURLWithPath: run + "/" + RunDirectory.checkpointName)).count
        let weightsBytes = try Data(contentsOf: URL(fileURLWithPath: weights)).count
        #expect(weightsBytes * 2 < checkpointBytes, "weights \(weightsBytes) bytes, checkpoint \(checkpointBytes)")
        let archive = try SafeTensors(contentsOf: weights)
        #expect(archive.metadata["note"] == "made by a test" && archive.metadata["step"] == "3")
        #expect(archive.tensors["optimizer.first_moment"] == nil)

        func evaluation(_ checkpoint: String) throws -> String {
            var report = try Evaluate.parse(["--checkpoint", checkpoint, "--data", data.path, "--context", "2", "--threads", "1"])
                .makeReport()
            report.checkpoint = ""  // the one field that names the file
            return try RunDirectory.encodeJSON(report)
        }
        #expect(try evaluation(run) == evaluation(weights))
        func picture(_ checkpoint: String, _ name: String) throws -> Data {
            let out = TrainFixtures.path(name) + ".png"
            let command = try Sample.parse([
                "--checkpoint", checkpoint, "--data", data.path, "--scene", "1", "--context", "2", "--samples", "1",
                "--out", out, "--threads", "1",
            ])
            try command.run()
            return try Data(contentsOf: URL(fileURLWithPath: out))
        }
        #expect(try picture(run, "from-checkpoint") == picture(weights, "from-weights"))

        // A weights file where a run's checkpoint should be: --resume refuses it, untouched.
        let copy = TrainFixtures.path("weights-run")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: run + "/run.json", toPath: copy + "/run.json")
        try FileManager.default.copyItem(atPath: weights, toPath: copy + "/" + RunDirectory.checkpointName)
        let refusal = Self.message { try Self.fit(data, out: copy, steps: 5, extra: ["--resume"]) }
        #expect(refusal.contains("optimizer"), "\(refusal)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy + "/" + RunDirectory.checkpointName)).count == weightsBytes)
    }

    @Test("bad arguments give clear errors")
    func badArguments() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 4), ("test", 2)])
        let config = Self.commandLineMessage { _ = try Fit.parse(["--data", data.path, "--config", "huge", "--steps", "1", "--out", "x"]) }
        #expect(config.contains("The value 'huge' is invalid for '--config <config>'. Please provide one of 'tiny', 'small' or 'paper'."), "\(config)")
        let steps = Self.commandLineMessage { _ = try Fit.parse(["--data", data.path, "--config", "tiny", "--steps", "0", "--out", "x"]) }
        #expect(steps.contains("--steps must be at least 1, found 0"), "\(steps)")
        let contextWord = Self.commandLineMessage { _ = try Evaluate.parse(["--checkpoint", "x", "--data", "y", "--context", "none"]) }
        #expect(contextWord.contains("--context must be a positive number or all, found none"), "\(contextWord)")

        let missing = Self.message { try Self.fit(URL(fileURLWithPath: TrainFixtures.path("nothing")), out: TrainFixtures.path("r"), steps: 1) }
        #expect(missing.contains("manifest.json"), "\(missing)")

        let run = TrainFixtures.path("existing")
        try Self.fit(data, out: run, steps: 2)
        let overwrite = Self.message { try Self.fit(data, out: run, steps: 2) }
        #expect(overwrite.contains("--resume"), "\(overwrite)")
        let mismatch = Self.message { try Self.fit(data, out: run, steps: 4, extra: ["--resume", "--seed", "6"]) }
        #expect(mismatch.contains("--seed"), "\(mismatch)")

        let context = Self.message { _ = try Evaluate.parse(["--checkpoint", run, "--data", data.path, "--context", "7"]).makeReport() }
        #expect(context.contains("--context") && context.contains("found 7"), "\(context)")
        let noCheckpoint = Self.message { _ = try Evaluate.parse(["--checkpoint", TrainFixtures.path("none"), "--data", data.path]).makeReport() }
        #expect(noCheckpoint.contains("--checkpoint"), "\(noCheckpoint)")
        let scene = Self.message {
            let command = try Sample.parse(["--checkpoint", run, "--data", data.path, "--scene", "9", "--out", TrainFixtures.path("p") + ".png"])
            try command.run()
        }
        #expect(scene.contains("--scene") && scene.contains("0..<2"), "\(scene)")
        let split = Self.message { _ = try Evaluate.parse(["--checkpoint", run, "--data", data.path, "--split", "val"]).makeReport() }
        #expect(split.contains("val"), "\(split)")
    }

    /// Every file under a run directory (lock files aside) and its bytes.
    static func snapshot(_ run: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: run)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = run + "/" + name
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                !name.hasSuffix(".lock")
            else { continue }
            files[name] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
        return files
    }

    @Test("--resume from a corrupted, truncated or other configuration's checkpoint is refused naming it; nothing in the run changes")
    func badCheckpointRefused() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("bad-checkpoint")
        try Self.fit(data, out: run, steps: 2)
        let checkpoint = run + "/" + RunDirectory.checkpointName
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        let other = TrainFixtures.path("other-configuration")
        let small = try Fit.parse([
            "--data", data.path, "--config", "small", "--steps", "1", "--out", other, "--batch", "2", "--seed", "5", "--threads", "1",
        ])
        try small.run()
        let otherCheckpoint = [UInt8](try Data(contentsOf: URL(fileURLWithPath: other + "/" + RunDirectory.checkpointName)))

        var flipped = original
        flipped[flipped.count - 9] ^= 0x20
        let cases: [(String, [UInt8], [String])] = [
            ("a flipped byte", flipped, [checkpoint + ": corrupted: its contents' CRC-32C is "]),
            ("truncated", Array(original.prefix(original.count / 3)), [checkpoint + ": ", "data section"]),
            ("another configuration's", otherCheckpoint, ["--resume: the run in \(run) was started with ", "--config small, found tiny"]),
        ]
        for (name, bytes, expected) in cases {
            try Data(bytes).write(to: URL(fileURLWithPath: checkpoint))
            let before = try Self.snapshot(run)
            let refusal = Self.message { try Self.fit(data, out: run, steps: 4, extra: ["--resume"]) }
            #expect(expected.allSatisfy { refusal.contains($0) }, "\(name): \(refusal)")
            #expect(try Self.snapshot(run) == before, "\(name): the run changed")
            if name != "another configuration's" {
                let evaluation = Self.message {
                    _ = try Evaluate.parse(["--checkpoint", run, "--data", data.path, "--threads", "1"]).makeReport()
                }
                #expect(evaluation.contains(checkpoint + ": "), "\(name): eval said \(evaluation)")
            }
        }
    }

    @Test("a second fit into a run that is being trained is refused, naming the run and the PID; nothing changes")
    func secondFitRefused() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 6), ("test", 2)])
        let run = TrainFixtures.path("locked-run")
        try Self.fit(data, out: run, steps: 2)
        let before = try Self.snapshot(run)
        let holder = try DirectoryLock(directory: URL(fileURLWithPath: run), name: "gqn-train-fit")
        let refusal = Self.message { try Self.fit(data, out: run, steps: 4, extra: ["--resume"]) }
        #expect(refusal.contains("\(run): another process (PID \(getpid())) is writing into this directory"), "\(refusal)")
        #expect(try Self.snapshot(run) == before)
        holder.release()
        try Self.fit(data, out: run, steps: 4, extra: ["--resume"])
        #expect(try Self.metrics(run).count == 4)
    }
}
