import ArgumentParser
import Foundation
import ShardTools

struct Export: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case scenePNG = "scene-png"
        case gqnTFRecord = "gqn-tfrecord"
    }

    static let configuration = CommandConfiguration(
        abstract: "Write one scene's images as PNG files, or a whole dataset as DeepMind's GQN TFRecords.",
        discussion: """
            --format scene-png (default) writes --record's view-00.png, view-01.png, ... (PNG views \
            exactly as stored; raw and JPEG views encoded to PNG), depth-00.png ... (16-bit grey, \
            millimetres) and mask-00.png ... (8-bit instance ids) when the dataset has them, and \
            scene.json (the same JSON as cat --json), each atomically, replacing files of the same names.

            --format gqn-tfrecord writes OUT/NAME/{train,test}/0001-of-2160.tfrecord ... in exactly \
            the layout DeepMind's data_reader.py expects for --dataset NAME (its file counts; empty \
            files where there are fewer scenes), one tf.train.Example per scene: frames (JPEG, \
            --quality unless stored as JPEG) and cameras (x, y, z, yaw, pitch). The dataset's image \
            size and views must be NAME's. OUT/NAME must not hold files yet.

            Examples:
              shardtool export data/rooms --record 1234 --out out/scene-1234
              shardtool export data/rooms --format gqn-tfrecord --dataset rooms_ring_camera --out out/gqn
            """
    )

    @OptionGroup var input: InputArgument

    @OptionGroup var selection: RecordSelection

    @Option(help: "What to write: scene-png or gqn-tfrecord.")
    var format: Format = .scenePNG

    @Option(help: "gqn-tfrecord: the GQN dataset whose layout to write (rooms_ring_camera, shepard_metzler_5_parts, ...).")
    var dataset: String?

    @Option(help: "gqn-tfrecord: JPEG quality, 1-100, for views not stored as JPEG.")
    var quality = 95

    @Option(help: "gqn-tfrecord: files written at once (default: all cores). Output bytes never depend on it.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "The directory to write into (created when missing).")
    var out: String

    func validate() throws {
        switch format {
        case .scenePNG where dataset != nil:
            throw ValidationError("--dataset applies to --format gqn-tfrecord only")
        case .gqnTFRecord where selection.record != nil || selection.shard != nil:
            throw ValidationError("--record and --shard apply to --format scene-png only: gqn-tfrecord exports every scene")
        case .gqnTFRecord where dataset == nil:
            throw ValidationError("--format gqn-tfrecord needs --dataset NAME")
        default:
            break
        }
    }

    func run() throws {
        let data = try DatasetInput.open(path: input.path)
        switch format {
        case .scenePNG:
            let located = try selection.locate(in: data)
            let files = try RecordImages.export(located, schema: data.schema, to: URL(fileURLWithPath: out))
            print("Wrote \(files.count) files for scene \(located.record.sceneIndex) -> \(out)")
        case .gqnTFRecord:
            let export = GQNTFRecordExport(dataset: try GQNDatasetInfo.named(dataset ?? ""), quality: quality, threads: max(1, threads))
            let start = Date()
            let summary = try export.run(data, root: URL(fileURLWithPath: out))
            print(summary.report(seconds: Date().timeIntervalSince(start)))
        }
    }
}
