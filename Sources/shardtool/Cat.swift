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

    @OptionGroup var selection: RecordSelection

    @Flag(help: "Print JSON (the same as the scene.json that export writes).")
    var json = false

    func run() throws {
        let description = SceneDescription(try selection.locate(in: DatasetInput.open(path: input.path)))
        if json {
            try printJSON(description.json())
        } else {
            print(description.text())
        }
    }
}
