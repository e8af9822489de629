import ArgumentParser
import Foundation
import ShardTools

struct Cat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one scene's record without its pixels: poses, cameras, image sizes and labels.",
        discussion: """
            Shows the scene index and seed; per view the GQN pose (x, y, z, yaw, pitch), the 4x4 \
            camera-to-world matrix (OpenCV axes), the intrinsics (fx, fy, cx, cy) and the stored \
            image sizes; and the labels: room textures, objects (shape, colour name, colour, \
            position, size, yaw/pitch/roll) and lights.

            Example: shardtool cat data/rooms --record 1234 --json
            """
    )

    @OptionGroup var input: InputArgument

    @Option(help: "In a dataset, the global scene index (with --shard, the position in that shard); in a shard file, the record position.")
    var record: UInt64

    @Option(help: "A shard file name from the manifest: read --record from that shard (datasets only).")
    var shard: String?

    @Flag(help: "Print JSON (the same as the scene.json that export writes).")
    var json = false

    func run() throws {
        let description = SceneDescription(try DatasetInput.open(path: input.path).record(record, shard: shard))
        if json {
            try printJSON(description.json())
        } else {
            print(description.text())
        }
    }
}
