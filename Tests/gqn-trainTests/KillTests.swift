import Foundation
import GQN
import ShardFormat
import Tensors
import Testing

@testable import gqn_train

/// `gqn-train fit` run as a separate process and killed with SIGKILL at chosen moments, then
/// continued with `--resume`: the metrics lines and the final weights equal an uninterrupted run's.
@Suite("gqn-train fit killed with SIGKILL", .serialized)
struct KillTests {
    /// The built gqn-train, next to the test bundle.
    static func executable() throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return try #require(
            [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("gqn-train") }
                .first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "gqn-train is not built next to the tests")
    }

    static func arguments(_ data: URL, run: String, steps: Int) -> [String] {
        [
            "fit", "--data", data.path, "--config", "tiny", "--steps", "\(steps)", "--out", run, "--batch", "2", "--seed", "5",
            "--threads", "1", "--log-every", "1", "--checkpoint-every", "2", "--sample-every", "3",
        ]
    }

    /// Where a kill landed.
    enum Moment: String, CaseIterable {
        case afterMetricsLines = "mid-step, after 3 metrics lines"
        case checkpointBeingWritten = "while the checkpoint's temporary file exists"
        case sampleGridBeingWritten = "while a sample grid's temporary file exists"
    }

    /// Whether `moment` is the state of `run` now (the process is stopped while this looks).
    static func reached(_ moment: Moment, in run: String) -> Bool {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: run)) ?? []
        switch moment {
        case .afterMetricsLines:
            let text = (try? String(contentsOfFile: run + "/" + RunDirectory.metricsName, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").count >= 3
        case .checkpointBeingWritten:
            return files.contains { $0.hasPrefix("." + RunDirectory.checkpointName + ".partial-") }
        case .sampleGridBeingWritten:
            let samples = (try? FileManager.default.contentsOfDirectory(atPath: run + "/" + RunDirectory.samplesDirectory)) ?? []
            return samples.contains { $0.hasPrefix(".") && $0.contains(".partial-") }
        }
    }

    /// Starts fit and, stopping it with SIGSTOP every few hundred microseconds to look, kills it
    /// with SIGKILL the first time `moment` is its state. Returns whether it was killed there (false:
    /// the run ended first).
    static func runAndKill(at moment: Moment, _ arguments: [String], run: String) throws -> Bool {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        var killed = false
        while process.isRunning {
            kill(pid, SIGSTOP)
            if reached(moment, in: run) {
                kill(pid, SIGKILL)
                killed = true
                break
            }
            kill(pid, SIGCONT)
            usleep(300)
        }
        process.waitUntilExit()
        return killed && process.terminationReason == .uncaughtSignal
    }

    @Test("killed mid-step, mid-checkpoint and mid-sample-grid, resumed each time: the uninterrupted metrics and weights")
    func killedAndResumed() throws {
        let data = try TrainFixtures.dataset(splits: [("train", 9), ("test", 2)])
        let steps = 24
        let whole = TrainFixtures.path("kill-whole"), killed = TrainFixtures.path("kill-killed")
        let uninterrupted = Process()
        uninterrupted.executableURL = try Self.executable()
        uninterrupted.arguments = Self.arguments(data, run: whole, steps: steps)
        uninterrupted.standardError = FileHandle.nullDevice
        try uninterrupted.run()
        uninterrupted.waitUntilExit()
        #expect(uninterrupted.terminationStatus == 0)

        // Each kill interrupts the run where the previous resumption left it.
        var landed: [Moment] = []
        for (index, moment) in Moment.allCases.enumerated() {
            let arguments = Self.arguments(data, run: killed, steps: steps) + (index == 0 ? [] : ["--resume"])
            if try Self.runAndKill(at: moment, arguments, run: killed) { landed.append(moment) }
        }
        // A kill can land only in a window that the run reaches; the first always does.
        #expect(landed.contains(.afterMetricsLines), "landed: \(landed.map(\.rawValue))")
        let finish = Process()
        finish.executableURL = try Self.executable()
        finish.arguments = Self.arguments(data, run: killed, steps: steps) + ["--resume"]
        finish.standardError = FileHandle.nullDevice
        try finish.run()
        finish.waitUntilExit()
        #expect(finish.terminationStatus == 0)

        #expect(try GQNTrainTests.metrics(killed) == GQNTrainTests.metrics(whole))
        #expect(try GQNTrainTests.metrics(killed).count == steps)
        let a = try SafeTensors(contentsOf: whole + "/" + RunDirectory.checkpointName)
        let b = try SafeTensors(contentsOf: killed + "/" + RunDirectory.checkpointName)
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        for (name, tensor) in a.tensors {
            #expect(tensor.scalars == b.tensors[name]?.scalars, "tensor \(name) differs")
        }
        #expect(a.metadata[RunDirectory.loaderStateKey] == b.metadata[RunDirectory.loaderStateKey])
        let grids = { (run: String) in
            try FileManager.default.contentsOfDirectory(atPath: run + "/" + RunDirectory.samplesDirectory).filter { !$0.hasPrefix(".") }.sorted()
        }
        #expect(try grids(killed) == grids(whole))
        // No temporary file of a killed process is left behind.
        let leftovers = (try FileManager.default.contentsOfDirectory(atPath: killed)
            + FileManager.default.contentsOfDirectory(atPath: killed + "/" + RunDirectory.samplesDirectory))
            .filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        Swift.print("kill test: kills landed \(landed.map(\.rawValue))")
    }
}
