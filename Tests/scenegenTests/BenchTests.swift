import Foundation
import Testing

/// `scenegen bench --family`'s JSON: the fields issue readers and scripts rely on, and their
/// arithmetic (the figures themselves are measurements, not test results).
@Suite("scenegen bench --family")
struct BenchTests {
    static let family = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenes/rooms_ring_camera.json").path

    /// Runs the built `scenegen` with `arguments` and returns the JSON object of its last line.
    func runBench(_ arguments: [String]) throws -> [String: Any] {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let executable = try #require(
            [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("scenegen") }
                .first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "scenegen is not built next to the tests")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["bench"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lastLine = try #require(String(decoding: data, as: UTF8.self).split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
    }

    @Test("reports end-to-end and render-only rates per run, and efficiencies that are their ratios")
    func familyFields() throws {
        let json = try runBench(["--family", Self.family, "--scenes", "3", "--runs", "3", "--threads", "1"])
        let rates = try #require(json["scenes_per_s_runs"] as? [Double])
        let renderOnly = try #require(json["render_only_scenes_per_s_runs"] as? [Double])
        let perRun = try #require(json["pipeline_efficiency_runs"] as? [Double])
        #expect(rates.count == 3 && renderOnly.count == 3 && perRun.count == 3)
        for (index, ratio) in perRun.enumerated() {
            // Each run's ratio from the rounded rates, within their rounding.
            #expect(abs(ratio - rates[index] / renderOnly[index]) < 0.01, "run \(index): \(ratio)")
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let medianRate = try #require(json["scenes_per_s"] as? Double)
        let medianRenderOnly = try #require(json["render_only_scenes_per_s"] as? Double)
        #expect(medianRate == median(rates) && medianRenderOnly == median(renderOnly))
        let efficiency = try #require(json["pipeline_efficiency"] as? Double)
        #expect(abs(efficiency - medianRate / medianRenderOnly) < 0.01)
        #expect(json["family"] as? String == "rooms_ring_camera")
        #expect(json["views_per_scene"] as? Int == 10 && json["scenes_per_run"] as? Int == 3)
        #expect((json["bytes_per_scene"] as? Int ?? 0) > 10 * 64 * 64 / 10, "PNG views of 64 x 64 are not that small")
        #expect(["baseline", "x86-64-v3", "x86-64-v4"].contains(json["instruction_set"] as? String ?? ""))
        #expect((json["pipeline_efficiency_cpu"] as? Double ?? 0) > 0)
        // The stage split: every stage took time, and encoding plus writing a 64 x 64 view
        // costs less than rendering it (swapped or mislabelled stages would break this).
        let render = try #require(json["render_thread_cpu_ms_per_scene"] as? Double)
        let encode = try #require(json["encode_thread_cpu_ms_per_scene"] as? Double)
        let write = try #require(json["write_thread_cpu_ms_per_scene"] as? Double)
        #expect(render > 0 && encode > 0 && write > 0)
        #expect(encode + write < render, "encode \(encode) + write \(write) ms against render \(render) ms")
        let shares = try #require(json["encode_write_share_runs"] as? [Double])
        #expect(shares.count == 3 && shares.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(json["encode_write_share"] as? Double == median(shares))
    }
}
