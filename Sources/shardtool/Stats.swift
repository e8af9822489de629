import ArgumentParser
import Foundation
import ShardTools

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count shapes, colours, objects per scene, textures and lights; pose ranges.",
        discussion: """
            Streams through every record (one in memory at a time): objects per shape and per colour \
            name, the objects-per-scene histogram, wall and floor texture counts, light kinds, and the \
            minimum and maximum of x, y, z, yaw and pitch over all views. A corrupt record stops it \
            with that record's error; verify lists them all.

            Example: shardtool stats data/rooms --json
            """
    )

    @OptionGroup var input: InputArgument

    @Flag(help: "Print JSON (fields: scenes, views, objects, shapes, colorNames, objectsPerScene, wallTextures, floorTextures, lightKinds, poseRanges).")
    var json = false

    func run() throws {
        let statistics = try DatasetStatistics(DatasetInput.open(path: input.path))
        if json {
            try printJSON(statistics.json())
        } else {
            print(statistics.text())
        }
    }
}
