import Foundation
import Testing
import Tensors
@testable import GQN

extension GQNTests {
    @Suite("Schedules, training and checkpoints") struct TrainingTests {
        @Test("the paper schedule, every configuration's default, is unchanged")
        func scheduleEndPointsAndMidpoints() {
            let schedule = GQNTrainingSchedule.paper
            #expect(schedule.pixelStandardDeviation(at: 0) == 2.0)
            #expect(abs(schedule.pixelStandardDeviation(at: 100_000) - 1.35) < 1e-6)
            #expect(schedule.pixelStandardDeviation(at: 200_000) == 0.7)
            #expect(schedule.pixelStandardDeviation(at: 1_000_000) == 0.7)
            #expect(schedule.pixelStandardDeviation(at: 1_600_000) == 0.7)
            #expect(schedule.learningRate(at: 0) == 5e-4)
            #expect(abs(schedule.learningRate(at: 100_000) - 4.71875e-4) < 1e-9)
            #expect(abs(schedule.learningRate(at: 200_000) - 4.4375e-4) < 1e-9)
            #expect(abs(schedule.learningRate(at: 800_000) - 2.75e-4) < 1e-9)
            #expect(schedule.learningRate(at: 1_600_000) == 5e-5)
            #expect(schedule.learningRate(at: 5_000_000) == 5e-5)
            #expect(schedule.pixelStandardDeviation == LinearAnnealing(initial: 2.0, final: 0.7, steps: 200_000))
            #expect(schedule.learningRate == LinearAnnealing(initial: 5e-4, final: 5e-5, steps: 1_600_000))
            // The preset of that name is the same, whatever length it is handed.
            #expect(GQNTrainingSchedule(preset: .paper, annealSteps: 9) == schedule)
            #expect(GQNConfiguration.presets.values.allSatisfy { $0.schedule == schedule })
            // Monotone in between.
            #expect(schedule.learningRate(at: 10) < schedule.learningRate(at: 9))
            #expect((schedule.beta1, schedule.beta2, schedule.epsilon) == (0.9, 0.999, 1e-8))
            // An increasing schedule holds its final value too.
            let rising = LinearAnnealing(initial: 0, final: 1, steps: 10)
            #expect(rising.value(at: 5) == 0.5)
            #expect(rising.value(at: 20) == 1)
        }

        @Test("the short schedule: the paper's compressed so the learning rate ends at the given step, sigma at an eighth of it")
        func shortScheduleEndPointsAndMidpoints() throws {
            // 1,601 steps: the learning rate anneals over t = 0...1600, sigma over t = 0...200.
            let schedule = GQNTrainingSchedule.short(annealSteps: 1601)
            try schedule.validate()
            #expect(schedule.pixelStandardDeviation.steps == 200 && schedule.learningRate.steps == 1600)
            #expect(schedule.pixelStandardDeviation(at: 0) == 2.0)
            #expect(abs(schedule.pixelStandardDeviation(at: 100) - 1.35) < 1e-6)
            #expect(schedule.pixelStandardDeviation(at: 199) > 0.7)
            #expect(schedule.pixelStandardDeviation(at: 200) == 0.7)
            #expect(schedule.pixelStandardDeviation(at: 1600) == 0.7)
            #expect(schedule.learningRate(at: 0) == 5e-4)
            #expect(abs(schedule.learningRate(at: 800) - 2.75e-4) < 1e-9)
            #expect(schedule.learningRate(at: 1599) > 5e-5)
            #expect(schedule.learningRate(at: 1600) == 5e-5)
            #expect(schedule.learningRate(at: 10_000) == 5e-5)
            // Only the lengths differ from the paper's.
            var lengths = GQNTrainingSchedule.paper
            lengths.pixelStandardDeviation.steps = 200
            lengths.learningRate.steps = 1600
            #expect(schedule == lengths)
            #expect(GQNTrainingSchedule(preset: .short, annealSteps: 1601) == schedule)
            #expect("\(schedule)" == "sigma 2.0 -> 0.7 (reached at step 201), learning rate 0.0005 -> 5e-05 (reached at step 1601)")

            // A run's worth of steps: the last (t = 7) trains at the final values, sigma from t = 1 on.
            let tiny = GQNTrainingSchedule.short(annealSteps: 8)
            #expect((0..<8).map { tiny.pixelStandardDeviation(at: $0) } == [2.0] + Array(repeating: 0.7, count: 7))
            #expect(tiny.learningRate(at: 0) == 5e-4 && tiny.learningRate(at: 7) == 5e-5)
            #expect(abs(Double(tiny.learningRate(at: 3)) - (5e-4 - 4.5e-4 * 3 / 7)) < 1e-9)
            // The midpoint of an odd-length ramp, and rounding of sigma's length (99 / 8 = 12.4).
            let hundred = GQNTrainingSchedule.short(annealSteps: 100)
            #expect(hundred.pixelStandardDeviation.steps == 12 && hundred.learningRate.steps == 99)
            #expect(abs(hundred.pixelStandardDeviation(at: 6) - 1.35) < 1e-6)
            // One step, or none: the final values from the first step.
            for length in [1, 0, -5] {
                let degenerate = GQNTrainingSchedule.short(annealSteps: length)
                #expect(degenerate.pixelStandardDeviation(at: 0) == 0.7 && degenerate.learningRate(at: 0) == 5e-5)
                try degenerate.validate()
            }
        }

        @Test("a trainer on the short schedule uses its values step by step")
        func trainerFollowsShortSchedule() throws {
            var configuration = testConfiguration()
            configuration.schedule = .short(annealSteps: 17)  // sigma over 2 steps, the learning rate over 16
            let trainer = GQNTrainer(model: try GQNModel(configuration: configuration, seed: 1), seed: 1)
            let data = try randomBatch(configuration, batch: 2, views: 2, seed: 2)
            let results = try (0..<3).map { _ in try trainer.train(on: data) }
            let sigmas = results.map(\.pixelStandardDeviation)
            #expect(sigmas[0] == 2.0 && abs(sigmas[1] - 1.35) < 1e-6 && sigmas[2] == 0.7, "\(sigmas)")
            let rates = results.map { Double($0.learningRate) }
            #expect(zip(rates, [5e-4, 5e-4 - 4.5e-4 / 16, 5e-4 - 4.5e-4 / 8]).allSatisfy { abs($0 - $1) < 1e-9 }, "\(rates)")
        }

        @Test func negativeLogLikelihoodFloor() {
            let at32 = GQNTrainingSchedule.negativeLogLikelihoodFloor(values: 3 * 32 * 32, sigma: 0.7)
            let at64 = GQNTrainingSchedule.negativeLogLikelihoodFloor(values: 3 * 64 * 64, sigma: 0.7)
            #expect(abs(at32 - 1727.3) < 0.5, "\(at32)")
            #expect(abs(at64 - 6909.2) < 1, "\(at64)")
        }

        @Test("first Adam step moves every parameter by the learning rate (bias correction applied once)")
        func firstStepSize() throws {
            let configuration = testConfiguration()
            let model = try GQNModel(configuration: configuration, seed: 1)
            let before = model.parameters.names.compactMap { model.parameters.parameter(named: $0) }.map {
                model.parameters.tensor($0).scalars
            }
            let trainer = GQNTrainer(model: model, seed: 1)
            let result = try trainer.train(on: try randomBatch(configuration, batch: 2, views: 2, seed: 2))
            #expect(result.learningRate == 5e-4 && result.pixelStandardDeviation == 2)
            #expect(trainer.step == 1 && trainer.optimizerStep == 1)
            let handles = model.parameters.names.compactMap { model.parameters.parameter(named: $0) }
            var checked = 0, total = 0
            for (handle, old) in zip(handles, before) {
                let new = model.parameters.tensor(handle).scalars
                let gradient = model.parameters.gradient(handle).scalars
                for (index, (a, b)) in zip(old, new).enumerated() {
                    let delta = abs(Double(a) - Double(b))
                    total += 1
                    // m_hat / sqrt(v_hat) = g / |g| at t = 1: no element moves further than lr ...
                    #expect(delta <= 5e-4 * 1.001 + 1e-7)
                    // ... and every element whose gradient dwarfs epsilon moves by exactly lr
                    // (a doubly corrected or uncorrected step would be off by 10x or more).
                    if abs(gradient[index]) > 1e-5 {
                        checked += 1
                        #expect(abs(delta - 5e-4) < 1e-6 + 2e-7 * abs(Double(a)) / 1e-3, "moved \(delta)")
                    }
                }
            }
            #expect(checked > total / 2, "\(checked) of \(total) elements had a usable gradient")
        }

        @Test("a short fit on four fixed scenes lowers the loss")
        func shortFitLowersLoss() throws {
            var configuration = testConfiguration(.pool, steps: 2, imageSize: 16)
            configuration.schedule = GQNTrainingSchedule(
                pixelStandardDeviation: LinearAnnealing(initial: 0.7, final: 0.7, steps: 0),
                learningRate: LinearAnnealing(initial: 3e-3, final: 3e-3, steps: 0))
            let model = try GQNModel(configuration: configuration, seed: 21)
            // Four scenes, each a flat colour that the context views reveal.
            let s = 16
            var context: [Float] = [], query: [Float] = []
            let colours: [[Float]] = [[0.9, 0.1, 0.1], [0.1, 0.8, 0.2], [0.2, 0.3, 0.9], [0.8, 0.8, 0.1]]
            for colour in colours {
                for _ in 0..<2 { for channel in colour { context += Array(repeating: channel, count: s * s) } }
                for channel in colour { query += Array(repeating: channel, count: s * s) }
            }
            let viewpoints = try randomBatch(configuration, batch: 4, views: 2, seed: 3)
            let data = GQNTensorBatch(
                contextImages: try Tensor(shape: [4, 2, 3, s, s], scalars: context),
                contextViewpoints: viewpoints.contextViewpoints,
                queryImages: try Tensor(shape: [4, 3, s, s], scalars: query), queryViewpoints: viewpoints.queryViewpoints)
            let initial = try model.loss(data, pixelStandardDeviation: 0.7, noiseSeed: 9).lossValue
            let trainer = GQNTrainer(model: model, seed: 4)
            for _ in 0..<60 { try trainer.train(on: data) }
            let final = try model.loss(data, pixelStandardDeviation: 0.7, noiseSeed: 9)
            let floor = Float(GQNTrainingSchedule.negativeLogLikelihoodFloor(values: 3 * s * s, sigma: 0.7))
            // The excess over the NLL floor must shrink substantially.
            #expect(final.lossValue - floor < 0.6 * (initial - floor), "loss \(initial) -> \(final.lossValue), floor \(floor)")
        }

        @Test("training is deterministic for a fixed seed")
        func deterministic() throws {
            let configuration = testConfiguration(.tower)
            let data = try randomBatch(configuration, batch: 2, views: 2, seed: 6)
            let runs = try (0..<2).map { _ in
                let trainer = GQNTrainer(model: try GQNModel(configuration: configuration, seed: 3), seed: 8)
                return try (0..<3).map { _ in try trainer.train(on: data) }
            }
            #expect(runs[0] == runs[1])
        }

        @Test("save, load: identical loss, and training resumes exactly")
        func checkpointRoundTrip() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("checkpoint.safetensors").path
            let configuration = testConfiguration(.tower)
            let data = try randomBatch(configuration, batch: 2, views: 2, seed: 6)
            let original = GQNTrainer(model: try GQNModel(configuration: configuration, seed: 3), seed: 8)
            for _ in 0..<2 { try original.train(on: data) }
            try original.saveCheckpoint(to: path, metadata: ["note": "test"])

            let restored = GQNTrainer(model: try GQNModel(configuration: configuration, seed: 99), seed: 8)
            let before = try restored.model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue
            let metadata = try restored.loadCheckpoint(from: path)
            #expect(metadata["note"] == "test" && metadata["step"] == "2")
            #expect(restored.step == 2 && restored.optimizerStep == 2)
            let expected = try original.model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue
            let loaded = try restored.model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue
            #expect(loaded == expected)
            #expect(before != expected)
            // Adam's moments came back too: the next steps match bit for bit.
            #expect(try original.train(on: data) == restored.train(on: data))
            #expect(try original.train(on: data) == restored.train(on: data))

            // The parameters also load into a bare ParameterSet-based model.
            let plain = try GQNModel(configuration: configuration, seed: 5)
            try plain.parameters.load(from: path)
            #expect(try plain.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue == expected)
        }

        @Test("a checkpoint of another architecture is rejected and changes nothing")
        func checkpointMismatch() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("other.safetensors").path
            var other = testConfiguration()
            other.hiddenChannels = 6
            try GQNTrainer(model: try GQNModel(configuration: other, seed: 1), seed: 1).saveCheckpoint(to: path)
            let configuration = testConfiguration()
            let trainer = GQNTrainer(model: try GQNModel(configuration: configuration, seed: 2), seed: 1)
            let data = try randomBatch(configuration, batch: 2, views: 2, seed: 6)
            let before = try trainer.model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue
            let error = #expect(throws: GQNError.self) { try trainer.loadCheckpoint(from: path) }
            let message = error?.description ?? ""
            #expect(message.hasPrefix(path + ": tensor \"") && message.contains("expected shape"), "\(message)")
            #expect(try trainer.model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue == before)
            #expect(trainer.step == 0)
        }

        @Test("a corrupted or truncated checkpoint is rejected naming the file, and changes nothing")
        func corruptedCheckpoint() throws {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("checkpoint.safetensors").path
            let configuration = testConfiguration()
            try GQNTrainer(model: try GQNModel(configuration: configuration, seed: 1), seed: 1).saveCheckpoint(to: path)
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let trainer = GQNTrainer(model: try GQNModel(configuration: configuration, seed: 2), seed: 1)
            let data = try randomBatch(configuration, batch: 2, views: 2, seed: 6)
            let before = try trainer.model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue

            // A changed value in the data section, and a changed digit of the step in the metadata:
            // both still parse; the recorded CRC-32C is what catches them.
            var flipped = original
            flipped[flipped.count - 10] ^= 0x04
            var stepChanged = original
            let needle = Array("\"step\":\"0\"".utf8)
            let at = try #require((0...(original.count - needle.count)).first { Array(original[$0..<($0 + needle.count)]) == needle })
            stepChanged[at + needle.count - 2] = UInt8(ascii: "7")
            for (name, bytes) in [("a flipped data byte", flipped), ("a changed step", stepChanged)] {
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let error = #expect(throws: GQNError.self, "\(name)") { try trainer.loadCheckpoint(from: path) }
                #expect(error?.description.hasPrefix(path + ": corrupted: its contents' CRC-32C is ") == true, "\(name): \(String(describing: error))")
            }
            // Cut short: the header promises data the file no longer has.
            try Data(original.prefix(original.count / 2)).write(to: URL(fileURLWithPath: path))
            let truncated = #expect(throws: TensorError.self) { try trainer.loadCheckpoint(from: path) }
            #expect(truncated?.description.hasPrefix(path + ": ") == true && truncated?.description.contains("data section") == true,
                    "\(String(describing: truncated))")
            #expect(try trainer.model.loss(data, pixelStandardDeviation: 1, noiseSeed: 1).lossValue == before)
            #expect(trainer.step == 0)
        }
    }
}
