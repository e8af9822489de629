import ArgumentParser
import Dispatch
import Foundation
import RayTracer

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure rendering throughput and print JSON.",
        discussion: """
            Renders the benchmark room (Scenes/examples/bench_room.json: 7 x 7 room, 3 objects, \
            one point light with shadows, 64 x 64, 4 samples per pixel) many times. Images are \
            spread over the threads, one image per thread at a time, as dataset generation does; \
            each run's throughput is measured and the median of the runs reported. The last line \
            printed is a JSON object with images_per_s (median), mrays_per_s (camera rays only), \
            threads, size and spp.
            """
    )

    @Option(help: "The scene to render.")
    var scene: String = "Scenes/examples/bench_room.json"

    @Option(help: "Worker threads.")
    var threads: Int = ProcessInfoCores.count

    @Option(help: "Images per run.")
    var images: Int = 2000

    @Option(help: "Timed runs (the median is reported).")
    var runs: Int = 5

    func validate() throws {
        guard threads >= 1, images >= 1, runs >= 1 else {
            throw ValidationError("--threads, --images and --runs must be at least 1")
        }
    }

    func run() throws {
        let document = try SceneDocument.load(contentsOf: URL(fileURLWithPath: scene))
        let renderer = Renderer(scene: document.scene)
        let side = RenderSettings.samplesPerSide(forSamplesPerPixel: document.samplesPerPixel) ?? 1
        let camera = document.scene.camera
        let threads = self.threads, images = self.images
        // Warm up (page in code and tables).
        _ = renderer.render(settings: RenderSettings(samplesPerSide: side))
        var rates: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                for image in stride(from: worker, to: images, by: threads) {
                    _ = renderer.render(settings: RenderSettings(samplesPerSide: side, seed: UInt64(image)))
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(images) / seconds)
        }
        let median = rates.sorted()[rates.count / 2]
        let raysPerImage = Double(camera.width * camera.height * side * side)
        let result: [String: Any] = [
            "benchmark": "render",
            "scene": scene,
            "images_per_s": (median * 10).rounded() / 10,
            "images_per_s_runs": rates.map { ($0 * 10).rounded() / 10 },
            "mrays_per_s": (median * raysPerImage / 1e4).rounded() / 100,
            "threads": threads,
            "size": "\(camera.width)x\(camera.height)",
            "spp": side * side,
            "images_per_run": images,
            "cores_online": ProcessInfoCores.count,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
