import Foundation
import GQN
import Tensors
import Testing

@testable import gqn_train

/// `mpirun -np 2 gqn-train fit` against one process: the data-parallel run must train the same
/// model. Needs Open MPI's `mpirun` (Tools/lib/ensure-deps.sh installs openmpi-bin).
@Suite("gqn-train fit under mpirun", .serialized)
struct DistributedFitTests {
    /// The built gqn-train beside this test bundle.
    static var executable: String {
        get throws {
            let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            for directory in [bundle, bundle.deletingLastPathComponent()] {
                let candidate = directory.appendingPathComponent("gqn-train").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
            throw TrainCommandError("expected the gqn-train executable beside \(bundle.path), found none (swift build first)")
        }
    }

    /// `mpirun`, which Tools/lib/ensure-deps.sh installs.
    static var mpirun: String {
        get throws {
            for path in ["/usr/bin/mpirun", "/usr/local/bin/mpirun"] where FileManager.default.isExecutableFile(atPath: path) {
                return path
            }
            throw TrainCommandError("expected Open MPI's mpirun (Debian openmpi-bin, installed by Tools/lib/ensure-deps.sh), found none")
        }
    }

    static func arguments(_ data: URL, out: String, steps: Int) -> [String] {
        [
            "fit", "--data", data.path, "--config", "tiny", "--steps", "\(steps)", "--out", out, "--batch", "4",
            "--seed", "5", "--threads", "1", "--log-every", "1", "--checkpoint-every", "5", "--sample-every", "0",
            "--check-every", "3",
        ]
    }

    /// Runs gqn-train under `mpirun -np ranks`; returns the exit status and standard error.
    @discardableResult
    static func launch(ranks: Int, _ arguments: [String], environment extra: [String: String] = [:]) throws -> (Int32, String) {
        let (status, _, errors) = try launchCapturingOutput(ranks: ranks, arguments, environment: extra)
        return (status, errors)
    }

    /// Runs gqn-train under `mpirun -np ranks`; returns the exit status, standard output and standard error.
    static func launchCapturingOutput(
        ranks: Int, _ arguments: [String], environment extra: [String: String] = [:]
    ) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try mpirun)
        // Root in containers needs --allow-run-as-root; --oversubscribe lets 2 ranks share fewer
        // free cores; --bind-to none leaves each rank's threads unpinned; the shared-memory
        // transport without CMA (blocked in containers) is vader with single copy off.
        process.arguments = [
            "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,vader",
            "--mca", "btl_vader_single_copy_mechanism", "none", "-np", "\(ranks)", try executable,
        ] + arguments
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let errors = Pipe()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mpirun-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardError = errors
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let printed = String(decoding: try Data(contentsOf: output), as: UTF8.self)
        return (process.terminationStatus, printed, text)
    }

    /// Per metrics line: step, loss, context.
    static func losses(_ run: String) throws -> [(step: Int, loss: Double, context: Int)] {
        try GQNTrainTests.metrics(run).map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return (try #require(object["step"] as? Int), try #require(object["loss"] as? Double), try #require(object["context"] as? Int))
        }
    }

    static func parameters(_ run: String) throws -> [String: [Float]] {
        let archive = try SafeTensors(contentsOf: run + "/" + RunDirectory.checkpointName)
        return archive.tensors.filter { !$0.key.hasPrefix("optimizer.") }.mapValues(\.scalars)
    }

    @Test("mpirun -np 2 fit of 20 steps equals one process with the same global batch and seed")
    func twoRanksEqualOne() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 14), ("test", 2)])
        let single = TrainFixtures.path("single")
        let command = try Fit.parse(Array(Self.arguments(data, out: single, steps: 20).dropFirst()))
        try command.run()
        let parallel = TrainFixtures.path("np2")
        let (status, errors) = try Self.launch(ranks: 2, Self.arguments(data, out: parallel, steps: 20))
        try #require(status == 0, "mpirun exited with \(status): \(errors)")

        let a = try Self.losses(single)
        let b = try Self.losses(parallel)
        #expect(a.count == 20 && b.count == 20)
        for (x, y) in zip(a, b) {
            #expect(x.step == y.step && x.context == y.context)
            #expect(abs(x.loss - y.loss) <= 1e-4 * abs(x.loss), "step \(x.step): \(x.loss) alone, \(y.loss) on 2 ranks")
        }
        // The run crosses epochs (14 scenes, global batch 4) and K varies, as in one process.
        #expect(Set(a.map(\.context)).count > 1)
        let weightsA = try Self.parameters(single)
        let weightsB = try Self.parameters(parallel)
        #expect(weightsA.keys.sorted() == weightsB.keys.sorted() && !weightsA.isEmpty)
        // Summation order differs (two half-batch sums plus an allreduce against one sum), and
        // Adam divides each gradient by its own magnitude, which brings the rounding of a
        // gradient that nearly cancels up to the size of its update: a few weights drift by a
        // little more than the rest.
        var largest: Float = 0
        var worst = ""
        var count = 0
        var beyond = 0
        for (name, values) in weightsA {
            let other = try #require(weightsB[name])
            for (index, (x, y)) in zip(values, other).enumerated() {
                count += 1
                if abs(x - y) > 1e-5 { beyond += 1 }
                if abs(x - y) > largest {
                    largest = abs(x - y)
                    worst = "\(name)[\(index)]: \(x) alone, \(y) on 2 ranks"
                }
            }
        }
        let summary = "largest weight difference \(largest) (\(worst)); \(beyond) of \(count) beyond 1e-5"
        #expect(beyond * 10_000 <= count, "\(summary)")
        #expect(largest <= 5e-5, "\(summary)")
        print("np 2 against np 1: \(summary)")
        // Rank 0 alone writes: one metrics file, one event file, no stray files from rank 1.
        let files = try FileManager.default.contentsOfDirectory(atPath: parallel).sorted()
        let events = files.filter { $0.hasPrefix("events.out.tfevents.") }
        #expect(events.count == 1, "\(files)")
        #expect(
            files.filter { !events.contains($0) } == [".gqn-train-fit.lock", "checkpoint.safetensors", "metrics.jsonl", "run.json"],
            "\(files)")
    }

    @Test("eval under mpirun -np 2 prints the figures of one process")
    func evalAcrossRanks() throws {
        // 7 test scenes in batches of 2: 4 batches, the last one short, so rank 0 gets two
        // batches and rank 1 one full and no short one.
        let data = try TrainFixtures.dataset(splits: [("train", 8), ("test", 7)], masks: true)
        let run = TrainFixtures.path("eval-ranks")
        let fit = try Fit.parse(Array(Self.arguments(data, out: run, steps: 2).dropFirst()))
        try fit.run()
        let arguments = [
            "--checkpoint", run, "--data", data.path, "--threads", "1", "--context", "all", "--batch", "2", "--samples", "2",
        ]
        let single = try Evaluate.parse(arguments).makeReport()
        let (status, printed, errors) = try Self.launchCapturingOutput(ranks: 2, ["eval"] + arguments)
        try #require(status == 0, "mpirun exited with \(status): \(errors)")
        let parallel = try JSONDecoder().decode(EvaluationReport.self, from: Data(printed.utf8))
        #expect(parallel.results.count == single.results.count && !single.results.isEmpty)
        #expect(single.results.allSatisfy { $0.scenes == 7 && $0.objects != nil })
        for (a, b) in zip(single.results, parallel.results) {
            #expect(a.scenes == b.scenes && a.context == b.context)
            let pairs: [(Double, Double)] = [
                (a.elboNatsPerImage, b.elboNatsPerImage), (a.kl, b.kl),
                (a.image.msePriorMean, b.image.msePriorMean), (a.image.msePriorSample, b.image.msePriorSample),
                (a.image.mseBaselineContextMean, b.image.mseBaselineContextMean),
                (a.objects?.msePriorMean ?? .nan, b.objects?.msePriorMean ?? -1),
                (a.room?.sampleVariance ?? .nan, b.room?.sampleVariance ?? -1),
            ]
            for (x, y) in pairs {
                #expect(abs(x - y) <= 1e-9 * max(abs(x), 1e-12), "K = \(a.context): \(x) alone, \(y) on 2 ranks")
            }
            #expect(a.objects?.pixels == b.objects?.pixels && a.image.pixels == b.image.pixels)
        }
    }

    @Test("--resume under mpirun equals the uninterrupted mpirun run")
    func resumeUnderLauncher() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 14), ("test", 2)])
        let whole = TrainFixtures.path("np2-whole")
        let split = TrainFixtures.path("np2-split")
        let runs = [
            (whole, Self.arguments(data, out: whole, steps: 12)),
            (split, Self.arguments(data, out: split, steps: 5)),
            (split, Self.arguments(data, out: split, steps: 12) + ["--resume"]),
        ]
        for (_, arguments) in runs {
            let (status, errors) = try Self.launch(ranks: 2, arguments)
            try #require(status == 0, "mpirun exited with \(status): \(errors)")
        }
        #expect(try GQNTrainTests.metrics(split) == GQNTrainTests.metrics(whole))
        #expect(try GQNTrainTests.metrics(whole).count == 12)
        #expect(try Self.parameters(split) == Self.parameters(whole))
    }

    @Test("a global batch that does not split across the ranks stops every rank with a message, not a hang")
    func unevenBatchStops() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 8), ("test", 2)])
        var arguments = Self.arguments(data, out: TrainFixtures.path("uneven"), steps: 2)
        arguments[try #require(arguments.firstIndex(of: "--batch")) + 1] = "3"
        let (status, errors) = try Self.launch(ranks: 2, arguments)
        #expect(status != 0)
        #expect(errors.contains("--batch 3") && errors.contains("2 ranks"), "\(errors)")
    }
}
