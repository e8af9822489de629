import ArgumentParser
import Foundation
import ImageCodec
import RayTracer
import ShardFormat

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render one scene file to a PNG image.",
        discussion: """
            Example: scenegen render --scene Scenes/examples/shapes_room.json --out out/shapes.png --spp 16

            --depth writes a 16-bit greyscale PNG of z-depth in millimetres (distance along the \
            viewing axis; 0 where nothing was hit). --mask writes an 8-bit PNG of instance ids \
            (0 = room, k = the k-th entry of "shapes"). Both are sampled at pixel centres.
            """
    )

    @Option(help: "The scene JSON file.")
    var scene: String

    @Option(help: "Where to write the PNG image.")
    var out: String

    @OptionGroup var options: RenderOptions

    @Option(help: "Also write a 16-bit depth PNG (millimetres) to this path.")
    var depth: String?

    @Option(help: "Also write an 8-bit instance-mask PNG to this path.")
    var mask: String?

    func run() throws {
        let document = try SceneDocument.load(contentsOf: URL(fileURLWithPath: scene))
        let (scene, samplesPerSide) = options.apply(to: document)
        let settings = RenderSettings(samplesPerSide: samplesPerSide, threads: options.threads, seed: options.seed,
                                      depth: depth != nil, instanceMask: mask != nil)
        let start = Date()
        let view = Renderer(scene: scene).render(settings: settings)
        let elapsed = Date().timeIntervalSince(start)
        try AtomicFile.save(PNGCodec.encode(Bitmap(width: view.width, height: view.height, channels: 3, samples: view.rgb)), to: URL(fileURLWithPath: out))
        if let depth, let values = view.depthMillimetres {
            try AtomicFile.save(PNGCodec.encode(Bitmap(width: view.width, height: view.height, channels: 1, samples: values)), to: URL(fileURLWithPath: depth))
        }
        if let mask, let values = view.instanceMask {
            try AtomicFile.save(PNGCodec.encode(Bitmap(width: view.width, height: view.height, channels: 1, samples: values)), to: URL(fileURLWithPath: mask))
        }
        print("Rendered \(view.width)x\(view.height) at \(settings.samplesPerPixel) spp in "
              + String(format: "%.3f s", elapsed) + " -> \(out)")
    }
}
