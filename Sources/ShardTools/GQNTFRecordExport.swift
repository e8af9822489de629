import Foundation
import ImageCodec
import ShardFormat

/// Writes a dataset in DeepMind's GQN TFRecord layout, so that their `data_reader.py` (and
/// the ports built on it) read it unchanged: `ROOT/NAME/train/0001-of-2160.tfrecord` ...,
/// exactly the file count the reader hard-codes for NAME, one `tf.train.Example` per scene
/// (see ``GQNExample``).
///
/// Scenes are assigned to files deterministically: split `s` with `N` scenes and `F` files
/// puts its scenes in index order into contiguous runs, file `k` (0-based) getting scenes
/// `floor(k N / F) ..< floor((k + 1) N / F)` of the split, so file sizes differ by at most one
/// scene and files past `N` are empty (the reader accepts empty files). Each file is written
/// atomically; files are written in parallel, and their bytes do not depend on the thread
/// count.
///
/// Views are JPEG: a `jpeg` dataset's streams are copied as stored; PNG and raw views are
/// encoded at ``quality`` with full-resolution colour. Poses are written unchanged as
/// (x, y, z, yaw, pitch) in radians: see <doc:GQNTFRecordInterop> for the conventions.
public struct GQNTFRecordExport: Sendable {
    /// What an export wrote.
    public struct Summary: Sendable, Equatable {
        /// The dataset directory written, `ROOT/NAME`.
        public var directory: URL
        /// Files written, empty ones included.
        public var files: Int
        /// Scenes written.
        public var records: Int
        /// Bytes written.
        public var bytes: UInt64

        /// The one-line report of an export that took `seconds`.
        public func report(seconds: Double) -> String {
            "Wrote \(records) scenes in \(files) files (\(bytes) bytes) -> \(directory.path) in "
                + String(format: "%.2f s (%.0f records/s)", seconds, Double(records) / max(seconds, 1e-9))
        }
    }

    /// The GQN dataset whose layout to write.
    public var dataset: GQNDatasetInfo
    /// JPEG quality for views that are not stored as JPEG, 1 through 100.
    public var quality: Int
    /// Files written at once.
    public var threads: Int

    /// Creates an export.
    public init(dataset: GQNDatasetInfo, quality: Int = 95, threads: Int = 1) {
        self.dataset = dataset
        self.quality = quality
        self.threads = threads
    }

    /// The scenes of file `file` of `fileCount` when a split of `sceneCount` scenes is spread
    /// over them: offsets into the split.
    public static func sceneRange(file: Int, fileCount: Int, sceneCount: Int) -> Range<Int> {
        (file * sceneCount / fileCount)..<((file + 1) * sceneCount / fileCount)
    }

    /// Checks that `schema` fits the GQN dataset: image size and views per scene.
    /// - Throws: ``ShardToolError/gqnMismatch(path:dataset:field:expected:found:)``.
    public func check(_ schema: DatasetSchema, path: String) throws {
        guard schema.width == dataset.frameSize, schema.height == dataset.frameSize else {
            throw ShardToolError.gqnMismatch(path: path, dataset: dataset.name, field: "image size",
                                             expected: "\(dataset.frameSize)x\(dataset.frameSize)",
                                             found: "\(schema.width)x\(schema.height)")
        }
        guard schema.viewsPerScene == dataset.viewsPerScene else {
            throw ShardToolError.gqnMismatch(path: path, dataset: dataset.name, field: "views per scene",
                                             expected: "\(dataset.viewsPerScene)", found: "\(schema.viewsPerScene)")
        }
    }

    /// Exports the `train` and `test` splits of the dataset in `input` under `root`.
    /// - Parameters:
    ///   - input: A dataset directory (not a single shard): its splits must be named `train`
    ///     and `test` (either may be absent: its files are then all empty).
    ///   - root: The root directory; `root/NAME` must not exist yet or be empty.
    /// - Returns: What was written.
    /// - Throws: ``ShardToolError`` for a dataset that does not fit NAME or a non-empty
    ///   output; the errors of reading records or writing files.
    public func run(_ input: DatasetInput, root: URL) throws -> Summary {
        guard case .dataset(_, let manifest) = input else {
            throw ShardToolError.notApplicable(path: input.path, option: "--format gqn-tfrecord",
                                               reason: "expected a dataset directory with train and test splits, found a single shard file")
        }
        try check(manifest.schema, path: input.path)
        let others = manifest.splits.map(\.name).filter { !GQNDatasetInfo.splits.contains($0) }
        guard others.isEmpty else {
            throw ShardToolError.gqnMismatch(path: input.path, dataset: dataset.name, field: "splits",
                                             expected: "train and test", found: manifest.splits.map(\.name).joined(separator: ", "))
        }
        guard (1...100).contains(quality) else {
            throw ShardToolError.notApplicable(path: input.path, option: "--quality", reason: "expected 1...100, found \(quality)")
        }
        let directory = root.appendingPathComponent(dataset.name, isDirectory: true)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw ShardFormatError.alreadyExists(path: directory.path)
        }
        struct Job: Sendable {
            var url: URL
            var scenes: Range<UInt64>
        }
        var jobs: [Job] = []
        for split in GQNDatasetInfo.splits {
            let splitDirectory = directory.appendingPathComponent(split, isDirectory: true)
            do {
                try FileManager.default.createDirectory(at: splitDirectory, withIntermediateDirectories: true)
            } catch {
                throw ShardFormatError.io(path: splitDirectory.path, operation: "create directory", reason: error.localizedDescription)
            }
            let range = manifest.splits.first { $0.name == split }.map { $0.firstSceneIndex..<($0.firstSceneIndex + $0.sceneCount) }
            let first = range?.lowerBound ?? 0
            let count = range.map { Int($0.count) } ?? 0
            let fileCount = dataset.fileCount(split: split)
            for file in 0..<fileCount {
                let offsets = Self.sceneRange(file: file, fileCount: fileCount, sceneCount: count)
                jobs.append(Job(url: splitDirectory.appendingPathComponent(dataset.fileName(index: file, split: split)),
                                scenes: (first + UInt64(offsets.lowerBound))..<(first + UInt64(offsets.upperBound))))
            }
        }
        let export = self, files = jobs
        let written = try ParallelJobs.run(count: files.count, threads: threads) { index in
            try export.write(files[index].scenes, of: input, to: files[index].url)
        }
        return Summary(directory: directory, files: jobs.count, records: written.reduce(0) { $0 + $1.records },
                       bytes: written.reduce(0) { $0 + $1.bytes })
    }

    /// Writes one TFRecord file holding scenes `scenes` (global indices) of `input`.
    private func write(_ scenes: Range<UInt64>, of input: DatasetInput, to url: URL) throws -> (records: Int, bytes: UInt64) {
        let writer = try TFRecordWriter(url: url)
        if !scenes.isEmpty {
            try input.forEachRecord(in: scenes) { located in
                try writer.append(example(of: located, schema: input.schema).serialized())
            }
        }
        try writer.finish()
        return (writer.recordCount, writer.byteCount)
    }

    /// The `tf.train.Example` of one scene.
    public func example(of located: LocatedRecord, schema: DatasetSchema) throws -> GQNExample {
        var frames: [[UInt8]] = []
        var cameras: [Float] = []
        frames.reserveCapacity(located.record.views.count)
        cameras.reserveCapacity(located.record.views.count * GQNDatasetInfo.cameraValuesPerView)
        for (index, view) in located.record.views.enumerated() {
            if schema.imageEncoding == .jpeg {
                frames.append(view.image)
            } else {
                let bitmap = try RecordImages.colorBitmap(of: located, view: index, schema: schema)
                frames.append(try JPEGCodec.encode(bitmap, quality: quality))
            }
            let pose = view.pose
            cameras += [pose.x, pose.y, pose.z, pose.yaw, pose.pitch]
        }
        return GQNExample(frames: frames, cameras: cameras)
    }
}
