import ArgumentParser
import Foundation
import ImageCodec
import RayTracer
import SceneFamilies
import ShardFormat

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a few scenes of a family into one contact sheet, without writing a dataset.",
        discussion: """
            A row per scene, a column per view. Scene i here is exactly scene i of a dataset \
            generated with the same family and seed.

            Example: scenegen preview --family rooms_ring_camera --scenes 6 --out out/preview.png
            """
    )

    @Option(help: "A family name in ./Scenes (rooms_ring_camera, rooms_free_camera, shepard_metzler) or a spec file.")
    var family: String

    @Option(help: "How many scenes (rows).")
    var scenes: Int = 4

    @Option(help: "The first scene index.")
    var first: Int = 0

    @Option(help: "Dataset seed.")
    var seed: UInt64 = 0

    @Option(help: "Views per scene to show (default: all).")
    var views: Int?

    @Option(help: "Image size (overrides the family).")
    var size: Int?

    @Option(help: "Where to write the PNG contact sheet.")
    var out: String

    func validate() throws {
        guard scenes >= 1, first >= 0 else { throw ValidationError("--scenes must be at least 1 and --first at least 0") }
    }

    func run() throws {
        let spec = try FamilyLocator.load(family).overriding(imageSize: size, views: views)
        let family = SceneFamily(spec: spec)
        let side = RenderSettings.samplesPerSide(forSamplesPerPixel: spec.samplesPerPixel) ?? 1
        var rows: [[Bitmap<UInt8>]] = []
        for index in first..<(first + scenes) {
            let sampled = family.sample(index: index, seed: seed)
            let renderer = Renderer(scene: sampled.scene)
            rows.append(sampled.cameras.enumerated().map { view, camera in
                let image = renderer.render(camera: camera, settings: RenderSettings(
                    samplesPerSide: side, threads: ProcessInfoCores.count, seed: sampled.renderSeed(view: view)))
                return Bitmap(width: image.width, height: image.height, channels: 3, samples: image.rgb)
            })
        }
        try AtomicFile.save(PNGCodec.encode(ContactSheet.compose(rows)), to: URL(fileURLWithPath: out))
        print("Wrote \(scenes) scenes x \(spec.views) views of \(spec.name) -> \(out)")
    }
}
