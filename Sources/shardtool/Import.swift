import ArgumentParser
import Foundation
import ShardTools

struct Import: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case gqnTFRecord = "gqn-tfrecord"
    }

    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert DeepMind's GQN TFRecord data into a dataset of JPEG shards.",
        discussion: """
            Reads DIR/NAME/{train,test}/0001-of-2160.tfrecord ... (or DIR/{train,test}/...) for \
            --dataset NAME: only the file names NAME's reader expects (others are listed and \
            ignored; missing ones are counted). Every record's CRCs are checked; every record must \
            hold NAME's views, 5 camera numbers per view and JPEG frames of NAME's size; errors \
            name the file, record and byte offset. JPEG frames are stored as they are (format \
            version 2); TFRecord file k becomes shard k of its split. Files are converted in \
            parallel. Re-running the same command resumes: finished shards are verified and kept.

            Example: shardtool import gqn-data --format gqn-tfrecord --dataset rooms_ring_camera --out data/gqn-rooms
            """
    )

    @Argument(help: "The directory holding NAME/train and NAME/test (or train and test).")
    var directory: String

    @Option(help: "The source format: gqn-tfrecord.")
    var format: Format = .gqnTFRecord

    @Option(help: "The GQN dataset: rooms_ring_camera, shepard_metzler_5_parts, jaco, mazes, ...")
    var dataset: String

    @Option(help: "Files read at once (default: all cores). Output bytes never depend on it.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "The dataset directory to write (created when missing).")
    var out: String

    func run() throws {
        let importer = GQNTFRecordImport(dataset: try GQNDatasetInfo.named(dataset), threads: max(1, threads))
        let start = Date()
        let summary = try importer.run(source: URL(fileURLWithPath: directory), output: URL(fileURLWithPath: out))
        print(summary.report(output: out, seconds: Date().timeIntervalSince(start)))
    }
}
