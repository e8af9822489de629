import ArgumentParser
import Dispatch
import Foundation
import RayTracer
import SceneFamilies
import ShardFormat

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure rendering throughput and print JSON.",
        discussion: """
            Renders the benchmark room (Scenes/examples/bench_room.json: 7 x 7 room, 3 objects, \
            one point light with shadows, 64 x 64, 4 samples per pixel) many times. Images are \
            spread over the threads, one image per thread at a time, as dataset generation does; \
            each run's throughput is measured and the median of the runs reported. The last line \
            printed is a JSON object with images_per_s (median), mrays_per_s (camera rays only), \
            cpu_ms_per_image (process CPU time per image, median), threads, size, spp and \
            instruction_set (which build of the tracing loops ran: the best this processor runs, \
            or --instruction-set).

            With --family NAME it measures dataset generation end to end instead (sample, render, \
            PNG-encode, write shards with CRCs and SHA-256 into a temporary directory; after an \
            untimed warm-up of a few scenes) and reports \
            scenes_per_s; each run is paired with the same scenes sampled and rendered on the same \
            workers with nothing encoded or written (render_only_scenes_per_s; the pair's order \
            alternates from run to run), and \
            pipeline_efficiency is the ratio of the two medians; pipeline_efficiency_runs gives each \
            run's own ratio (its two halves ran back to back, so they saw the same load). The same \
            figures in process CPU time (cpu_ms_per_scene, render_only_cpu_ms_per_scene, \
            pipeline_efficiency_cpu) are steadier when other work shares the machine. Inside each \
            end-to-end run the threads' CPU time is also split by stage (render, encode on the \
            workers; append and publish on the writer: *_thread_cpu_ms_per_scene, medians), and \
            encode_write_share is (encode + write) / render, per run and its median: the cost of \
            encoding and writing on the same scenes, which load on the host moves far less than \
            it moves two runs' throughputs.
            """
    )

    @Option(help: "Benchmark end-to-end generation of this family instead of rendering one scene.")
    var family: String?

    @Option(help: "Scenes per run with --family: one shard of generate's default size.")
    var scenes: Int = 500

    @Option(help: "The scene to render.")
    var scene: String = "Scenes/examples/bench_room.json"

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfoCores.count

    @Option(help: "Images per run.")
    var images: Int = 2000

    @Option(help: "Timed runs (the median is reported).")
    var runs: Int = 5

    @Option(help: """
        Without --family: the build of the tracing loops to time (baseline, x86-64-v3, x86-64-v4; default: the \
        best this processor runs, as every other command uses), to measure what each one gains.
        """)
    var instructionSet: String?

    func validate() throws {
        guard threads >= 1, images >= 1, runs >= 1 else {
            throw ValidationError("--threads, --images and --runs must be at least 1")
        }
        if family != nil, instructionSet != nil {
            throw ValidationError("--instruction-set applies to the render benchmark, not to --family")
        }
    }

    func run() throws {
        if let family {
            try benchGeneration(family)
            return
        }
        let document = try SceneDocument.load(contentsOf: URL(fileURLWithPath: scene))
        let renderer = Renderer(scene: document.scene, instructionSet: try chosenInstructionSet())
        let side = RenderSettings.samplesPerSide(forSamplesPerPixel: document.samplesPerPixel) ?? 1
        let camera = document.scene.camera
        let threads = self.threads, images = self.images
        // Warm up (page in code and tables).
        _ = renderer.render(settings: RenderSettings(samplesPerSide: side))
        var rates: [Double] = []
        var cpuPerImage: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            let startCPU = processCPUSeconds()
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                for image in stride(from: worker, to: images, by: threads) {
                    _ = renderer.render(settings: RenderSettings(samplesPerSide: side, seed: UInt64(image)))
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(images) / seconds)
            cpuPerImage.append((processCPUSeconds() - startCPU) / Double(images))
        }
        let median = Self.median(rates)
        let cpuMedian = Self.median(cpuPerImage)
        let raysPerImage = Double(camera.width * camera.height * side * side)
        let result: [String: Any] = [
            "benchmark": "render",
            "scene": scene,
            "images_per_s": (median * 10).rounded() / 10,
            "images_per_s_runs": rates.map { ($0 * 10).rounded() / 10 },
            "mrays_per_s": (median * raysPerImage / 1e4).rounded() / 100,
            "cpu_ms_per_image": (cpuMedian * 1e6).rounded() / 1000,
            "threads": threads,
            "size": "\(camera.width)x\(camera.height)",
            "spp": side * side,
            "images_per_run": images,
            "cores_online": ProcessInfoCores.count,
            "instruction_set": renderer.instructionSet.rawValue,
        ]
        try printJSON(result)
    }

    /// Times `scenegen generate`'s pipeline on `scenes` scenes into a scratch directory.
    /// `--instruction-set`, checked against what the processor runs.
    private func chosenInstructionSet() throws -> Renderer.InstructionSet {
        guard let instructionSet else { return .best }
        let names = Renderer.InstructionSet.allCases.map(\.rawValue)
        guard let chosen = Renderer.InstructionSet(rawValue: instructionSet) else {
            throw ValidationError("--instruction-set: expected one of \(names.joined(separator: ", ")), found \(instructionSet)")
        }
        guard chosen.isSupported else {
            throw ValidationError(
                "--instruction-set \(instructionSet): this processor does not run it (the best it runs is \(Renderer.InstructionSet.best.rawValue))")
        }
        return chosen
    }

    private func benchGeneration(_ name: String) throws {
        let spec = try FamilyLocator.load(name)
        let schema = DatasetSchema(width: spec.imageSize, height: spec.imageSize, viewsPerScene: spec.views)
        let generator = DatasetGenerator(
            family: SceneFamily(spec: spec), seed: 0, schema: schema,
            builder: SceneRecordBuilder(samplesPerSide: RenderSettings.samplesPerSide(forSamplesPerPixel: spec.samplesPerPixel) ?? 1,
                                        encoding: .png, depth: false, masks: false),
            threads: threads)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scenegen-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var rates: [Double] = []
        var renderOnlyRates: [Double] = []
        var bytes: UInt64 = 0
        // Each run times the whole pipeline and the same scenes rendered on the same workers
        // with nothing encoded or written, back to back, so that both see the same load on
        // the machine.
        var cpuPerScene: [Double] = []
        var renderOnlyCPUPerScene: [Double] = []
        var stages: [StageClock.Totals] = []
        // Warm up, untimed: a few scenes through the whole pipeline page in the code, the
        // encoder's tables and each worker's state, which the first timed run paid alone.
        let warmUp = GenerationPlan.Shard(ordinal: 0, split: "bench", fileName: "bench-warm-up.gqnshard",
                                          scenes: 0..<min(scenes, 2 * threads))
        _ = try generator.write(warmUp, to: directory.appendingPathComponent(warmUp.fileName)) { _ in }
        try FileManager.default.removeItem(at: directory.appendingPathComponent(warmUp.fileName))
        for run in 0..<runs {
            let shard = GenerationPlan.Shard(ordinal: 0, split: "bench", fileName: "bench-\(run).gqnshard", scenes: 0..<scenes)
            let endToEnd = {
                let clock = StageClock()
                let start = DispatchTime.now().uptimeNanoseconds
                let startCPU = processCPUSeconds()
                let entry = try generator.write(shard, to: directory.appendingPathComponent(shard.fileName), clock: clock) { _ in }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                cpuPerScene.append((processCPUSeconds() - startCPU) / Double(scenes))
                rates.append(Double(scenes) / seconds)
                bytes = entry.byteSize
                stages.append(clock.snapshot)
                try FileManager.default.removeItem(at: directory.appendingPathComponent(shard.fileName))
            }
            let renderOnly = {
                let startCPU = processCPUSeconds()
                renderOnlyRates.append(Double(scenes) / (try generator.renderOnly(shard)))
                renderOnlyCPUPerScene.append((processCPUSeconds() - startCPU) / Double(scenes))
            }
            // The halves alternate which goes first, so that neither always runs in the
            // other's aftermath (the disk writing the last shard, caches warmed by the last run).
            if run % 2 == 0 {
                try endToEnd()
                try renderOnly()
            } else {
                try renderOnly()
                try endToEnd()
            }
        }
        let median = Self.median(rates)
        let renderOnlyMedian = Self.median(renderOnlyRates)
        let cpuMedian = Self.median(cpuPerScene)
        let renderOnlyCPUMedian = Self.median(renderOnlyCPUPerScene)
        // Encoding and writing against rendering, in thread CPU time, within each end-to-end run.
        let shares = stages.map { Double($0.encode + $0.write) / Double(max($0.render, 1)) }
        func msPerScene(_ nanoseconds: [UInt64]) -> Double {
            (Self.median(nanoseconds.map { Double($0) }) / 1e6 / Double(scenes) * 1000).rounded() / 1000
        }
        try printJSON([
            "benchmark": "generate",
            "family": spec.name,
            "instruction_set": Renderer.InstructionSet.best.rawValue,
            "scenes_per_s": (median * 10).rounded() / 10,
            "scenes_per_s_runs": rates.map { ($0 * 10).rounded() / 10 },
            "render_only_scenes_per_s": (renderOnlyMedian * 10).rounded() / 10,
            "render_only_scenes_per_s_runs": renderOnlyRates.map { ($0 * 10).rounded() / 10 },
            "pipeline_efficiency": (median / renderOnlyMedian * 1000).rounded() / 1000,
            "pipeline_efficiency_runs": zip(rates, renderOnlyRates).map { ($0 / $1 * 1000).rounded() / 1000 },
            "cpu_ms_per_scene": (cpuMedian * 1e5).rounded() / 100,
            "render_only_cpu_ms_per_scene": (renderOnlyCPUMedian * 1e5).rounded() / 100,
            "pipeline_efficiency_cpu": (renderOnlyCPUMedian / cpuMedian * 1000).rounded() / 1000,
            "render_thread_cpu_ms_per_scene": msPerScene(stages.map(\.render)),
            "encode_thread_cpu_ms_per_scene": msPerScene(stages.map(\.encode)),
            "write_thread_cpu_ms_per_scene": msPerScene(stages.map(\.write)),
            "encode_write_share": (Self.median(shares) * 10000).rounded() / 10000,
            "encode_write_share_runs": shares.map { ($0 * 10000).rounded() / 10000 },
            "views_per_s": (median * Double(spec.views)).rounded(),
            "views_per_scene": spec.views,
            "size": "\(spec.imageSize)x\(spec.imageSize)",
            "spp": spec.samplesPerPixel,
            "bytes_per_scene": Int(bytes) / scenes,
            "threads": threads,
            "scenes_per_run": scenes,
            "cores_online": ProcessInfoCores.count,
        ])
    }

    /// The middle value of the runs (the upper middle of an even count), as every figure reports.
    private static func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }

    /// User plus system CPU time of the whole process so far (all threads), in seconds:
    /// per image, less sensitive than wall-clock time to other work on a shared machine.
    private func processCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .nan }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private func printJSON(_ object: [String: Any]) throws {
        let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
