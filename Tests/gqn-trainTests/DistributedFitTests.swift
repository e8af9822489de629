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
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
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
        var command = try Fit.parse(Array(Self.arguments(data, out: single, steps: 20).dropFirst()))
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
        // Rank 0 alone writes: one metrics file, no stray files from rank 1.
        let files = try FileManager.default.contentsOfDirectory(atPath: parallel).sorted()
        #expect(files == ["checkpoint.safetensors", "metrics.jsonl", "run.json"], "\(files)")
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
