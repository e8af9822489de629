import ArgumentParser
import Foundation
import ShardTools

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one scene's images as PNG files, plus scene.json.",
        discussion: """
            Writes view-00.png, view-01.png, ... (PNG views exactly as stored; raw views encoded to \
            PNG), depth-00.png ... (16-bit grey, millimetres) and mask-00.png ... (8-bit instance \
            ids) when the dataset has them, and scene.json (the same JSON as cat --json). Each file \
            is written atomically; files of the same names in DIR are replaced.

            Example: shardtool export data/rooms --record 1234 --out out/scene-1234
            """
    )

    @OptionGroup var input: InputArgument

    @OptionGroup var selection: RecordSelection

    @Option(help: "The directory to write into (created when missing).")
    var out: String

    func run() throws {
        let dataset = try DatasetInput.open(path: input.path)
        let located = try dataset.record(selection.record, shard: selection.shard)
        let files = try RecordImages.export(located, schema: dataset.schema, to: URL(fileURLWithPath: out))
        print("Wrote \(files.count) files for scene \(located.record.sceneIndex) -> \(out)")
    }
}
