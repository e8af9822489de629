import Foundation
import ImageCodec
import ShardFormat

/// Converts DeepMind's published GQN TFRecord data into one of our datasets, JPEG views
/// stored as they are (image encoding `jpeg`, format version 2), so that the loader and
/// `gqn-train` train on the real GQN datasets.
///
/// - **Which files**: only the names NAME's reader expects (`SOURCE/NAME/train/0001-of-2160.tfrecord`
///   ...); other files in those directories are counted and ignored, missing ones are
///   counted (a partial download imports what is there).
/// - **Streaming and checked**: each file is read a record at a time, every record's two
///   CRCs are checked, every record must hold NAME's views per scene and five camera
///   numbers per view, and every frame must be a JPEG of NAME's frame size (its header is
///   read; pixels are not decoded). Errors name the file, the record and the byte offset.
/// - **Parallel**: files are counted, then converted, on ``threads`` threads; the output
///   does not depend on the thread count.
/// - **Resumable**: TFRecord file `k` of a split becomes shard `k` of that split
///   (`train-00000-of-02160.gqnshard`; empty files give no shard). The first run records the
///   plan (files and their record counts) in `import.json`; a re-run with the same source
///   keeps every shard that verifies, removes what an interrupted run left, and writes the
///   rest. `manifest.json` is written last.
///
/// Scene indices follow the files: the train files in order, then the test files. The
/// published data has no labels, intrinsics or camera matrices: records carry empty labels
/// and zero matrices and intrinsics (see <doc:GQNTFRecordInterop>).
public struct GQNTFRecordImport: Sendable {
    /// What an import did.
    public struct Summary: Sendable, Equatable {
        /// TFRecord files read (present among the expected names).
        public var files: Int
        /// Expected files that were absent.
        public var missingFiles: Int
        /// Other files in the split directories, ignored.
        public var ignoredFiles: [String]
        /// Scenes in the imported dataset.
        public var records: Int
        /// Shards kept from an earlier run.
        public var keptShards: Int
        /// Shards written by this run.
        public var writtenShards: Int

        /// What an import into `output` that took `seconds` did, a line per fact.
        public func report(output: String, seconds: Double) -> String {
            var lines: [String] = []
            if missingFiles > 0 { lines.append("Note: \(missingFiles) of the dataset's expected files are absent") }
            if !ignoredFiles.isEmpty {
                lines.append("Ignored \(ignoredFiles.count) other files: \(ignoredFiles.prefix(5).joined(separator: ", "))")
            }
            lines.append("Imported \(records) scenes from \(files) files -> \(output) (\(writtenShards) shards written, "
                + "\(keptShards) kept) in " + String(format: "%.2f s (%.0f records/s)", seconds, Double(records) / max(seconds, 1e-9)))
            return lines.joined(separator: "\n")
        }
    }

    /// The plan of an import, recorded as `import.json` so that a re-run resumes it.
    struct Plan: Codable, Equatable {
        struct File: Codable, Equatable {
            var split: String
            var index: Int
            var name: String
            var byteSize: UInt64
            var records: Int
        }
        var dataset: String
        var files: [File]

        static let fileName = "import.json"
    }

    /// The GQN dataset to import.
    public var dataset: GQNDatasetInfo
    /// Files counted or converted at once.
    public var threads: Int

    /// Creates an import.
    public init(dataset: GQNDatasetInfo, threads: Int = 1) {
        self.dataset = dataset
        self.threads = threads
    }

    /// The schema of an imported dataset: NAME's frame size and views, JPEG images.
    public var schema: DatasetSchema {
        DatasetSchema(width: dataset.frameSize, height: dataset.frameSize, imageEncoding: .jpeg,
                      viewsPerScene: dataset.viewsPerScene)
    }

    /// Imports the data under `source` (the root holding `NAME/`, or `NAME/` itself) into
    /// the dataset directory `output`.
    /// - Returns: What was read and written.
    /// - Throws: ``ShardToolError/noGQNFiles(path:dataset:expected:)``,
    ///   ``ShardToolError/importConflict(path:reason:)``, a record's ``/ShardFormat/ShardFormatError``
    ///   (naming file, record and offset) or ``ShardToolError/gqnMismatch(path:dataset:field:expected:found:)``.
    public func run(source: URL, output: URL) throws -> Summary {
        let (files, missing, ignored) = try locateFiles(under: source)
        let counts = try ParallelJobs.run(count: files.count, threads: threads) { index in
            let reader = try TFRecordReader(path: files[index].url.path)
            var records = 0
            while try reader.skip() { records += 1 }
            return (records, reader.offset)
        }
        let plan = Plan(dataset: dataset.name, files: zip(files, counts).map { file, count in
            Plan.File(split: file.split, index: file.index, name: file.url.lastPathComponent,
                      byteSize: count.1, records: count.0)
        })
        try claim(plan, in: output)

        var firstSceneIndex: UInt64 = 0
        var jobs: [(url: URL, file: Plan.File, first: UInt64)] = []
        for (file, planned) in zip(files, plan.files) {
            jobs.append((file.url, planned, firstSceneIndex))
            firstSceneIndex += UInt64(planned.records)
        }
        let work = jobs.filter { $0.file.records > 0 }
        let importer = self
        let outcomes = try ParallelJobs.run(count: work.count, threads: threads) { index in
            try importer.convert(work[index].url, planned: work[index].file, firstSceneIndex: work[index].first, into: output)
        }
        var splits: [DatasetSplit] = []
        for split in GQNDatasetInfo.splits {
            let planned = jobs.filter { $0.file.split == split }
            let count = planned.reduce(0) { $0 + $1.file.records }
            if count > 0, let first = planned.first?.first {
                splits.append(DatasetSplit(name: split, firstSceneIndex: first, sceneCount: UInt64(count)))
            }
        }
        let manifest = Manifest(
            generator: "shardtool import gqn-tfrecord",
            familySpec: .object(["source": .string("gqn-tfrecord"), "dataset": .string(dataset.name),
                                 "labels": .string("none"), "intrinsics": .string("unknown")]),
            datasetSeed: 0, schema: schema, splits: splits, shards: outcomes.map(\.entry))
        try manifest.write(to: output.appendingPathComponent(Manifest.fileName), replacingExisting: true)
        return Summary(files: files.count, missingFiles: missing, ignoredFiles: ignored,
                       records: Int(firstSceneIndex), keptShards: outcomes.filter(\.kept).count,
                       writtenShards: outcomes.filter { !$0.kept }.count)
    }

    /// The expected files present under `source`, in import order, with the number absent and
    /// the names of the other files found.
    private func locateFiles(under source: URL) throws -> (files: [(split: String, index: Int, url: URL)], missing: Int, ignored: [String]) {
        let manager = FileManager.default
        func isDirectory(_ url: URL) -> Bool {
            var directory: ObjCBool = false
            return manager.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
        }
        let candidates = [source.appendingPathComponent(dataset.name, isDirectory: true), source]
        guard let root = candidates.first(where: { candidate in
            GQNDatasetInfo.splits.contains { isDirectory(candidate.appendingPathComponent($0)) }
        }) else {
            throw ShardToolError.noGQNFiles(path: source.path, dataset: dataset.name,
                                            expected: "a directory \(dataset.name)/train or \(dataset.name)/test under it")
        }
        var files: [(split: String, index: Int, url: URL)] = []
        var missing = 0
        var ignored: [String] = []
        for split in GQNDatasetInfo.splits {
            let directory = root.appendingPathComponent(split, isDirectory: true)
            let expected = (0..<dataset.fileCount(split: split)).map { dataset.fileName(index: $0, split: split) }
            let present = Set((try? manager.contentsOfDirectory(atPath: directory.path)) ?? [])
            ignored += present.subtracting(expected).sorted().map { "\(split)/\($0)" }
            for (index, name) in expected.enumerated() {
                if present.contains(name) {
                    files.append((split, index, directory.appendingPathComponent(name)))
                } else {
                    missing += 1
                }
            }
        }
        guard !files.isEmpty else {
            throw ShardToolError.noGQNFiles(path: root.path, dataset: dataset.name,
                                            expected: "files named like train/\(dataset.fileName(index: 0, split: "train"))")
        }
        return (files, missing, ignored)
    }

    /// Records `plan` in `output` (creating it), or checks it against the one recorded there.
    private func claim(_ plan: Plan, in output: URL) throws {
        let url = output.appendingPathComponent(Plan.fileName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let existing = try? Data(contentsOf: url) {
            guard let recorded = try? JSONDecoder().decode(Plan.self, from: existing) else {
                throw ShardToolError.importConflict(path: url.path, reason: "unreadable import record")
            }
            guard recorded == plan else {
                let reason = recorded.dataset != plan.dataset
                    ? "holds an import of \(recorded.dataset), not \(plan.dataset)"
                    : "holds an import of other files (\(recorded.files.count) files there, \(plan.files.count) here, or different sizes)"
                throw ShardToolError.importConflict(path: output.path, reason: reason)
            }
            return
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        let datasetFiles = names.filter { $0.hasSuffix("." + ShardName.fileExtension) || $0 == Manifest.fileName }
        guard datasetFiles.isEmpty else {
            throw ShardToolError.importConflict(
                path: output.path, reason: "already holds \(datasetFiles.count) dataset files but no \(Plan.fileName)")
        }
        try AtomicFile.save(Array(try encoder.encode(plan)), to: url)
    }

    /// Converts one TFRecord file into its shard, or keeps the shard an earlier run finished.
    private func convert(_ source: URL, planned: Plan.File, firstSceneIndex: UInt64,
                         into output: URL) throws -> (entry: ShardEntry, kept: Bool) {
        let name = ShardName.fileName(split: planned.split, index: planned.index, count: dataset.fileCount(split: planned.split))
        let url = output.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: url.path) {
            let entry = try ShardEntry(verifyingExisting: url, split: planned.split, firstSceneIndex: firstSceneIndex,
                                       recordCount: planned.records, schema: schema)
            return (entry, true)
        }
        AtomicFile.removeAbandonedTemporaries(in: url.deletingLastPathComponent(), of: url.lastPathComponent)
        let reader = try TFRecordReader(path: source.path)
        let writer = try ShardWriter(url: url, schema: schema)
        var sceneIndex = firstSceneIndex
        while true {
            let record = reader.recordIndex
            let dataOffset = reader.offset + UInt64(TFRecordWriter.headerSize)
            guard let bytes = try reader.next() else { break }
            let example = try GQNExample(parsing: bytes, path: source.path, record: record, dataOffset: dataOffset)
            try writer.append(sceneRecord(example, sceneIndex: sceneIndex, path: source.path, record: record))
            sceneIndex += 1
        }
        guard reader.recordIndex == planned.records else {
            throw ShardToolError.importConflict(
                path: source.path, reason: "changed while imported: \(planned.records) records counted, \(reader.recordIndex) read")
        }
        let summary = try writer.finish()
        return (ShardEntry(summary: summary, split: planned.split, firstSceneIndex: firstSceneIndex), false)
    }

    /// Our record of one GQN example, after checking its views, cameras and frame sizes.
    func sceneRecord(_ example: GQNExample, sceneIndex: UInt64, path: String, record: Int) throws -> SceneRecord {
        let views = dataset.viewsPerScene
        func mismatch(_ field: String, _ expected: String, _ found: String) -> ShardToolError {
            .gqnMismatch(path: "\(path): record \(record)", dataset: dataset.name, field: field, expected: expected, found: found)
        }
        guard example.frames.count == views else {
            throw mismatch("frames", "\(views) frames", "\(example.frames.count)")
        }
        guard example.cameras.count == views * GQNDatasetInfo.cameraValuesPerView else {
            throw mismatch("cameras", "\(views * GQNDatasetInfo.cameraValuesPerView) numbers (5 per view)", "\(example.cameras.count)")
        }
        var viewRecords: [ViewRecord] = []
        viewRecords.reserveCapacity(views)
        for (index, frame) in example.frames.enumerated() {
            let size: (width: Int, height: Int)
            do {
                size = try frame.withUnsafeBytes { try JPEGCodec.dimensions(of: $0) }
            } catch {
                throw mismatch("frame \(index)", "a JPEG stream", "\(error)")
            }
            guard size.width == dataset.frameSize, size.height == dataset.frameSize else {
                throw mismatch("frame \(index) size", "\(dataset.frameSize)x\(dataset.frameSize)", "\(size.width)x\(size.height)")
            }
            let c = Array(example.cameras[(index * 5)..<(index * 5 + 5)])
            viewRecords.append(ViewRecord(
                image: frame, pose: CameraPose(x: c[0], y: c[1], z: c[2], yaw: c[3], pitch: c[4]),
                cameraToWorld: SIMD16(), intrinsics: CameraIntrinsics(fx: 0, fy: 0, cx: 0, cy: 0)))
        }
        return SceneRecord(sceneIndex: sceneIndex, sceneSeed: 0, views: viewRecords,
                           labels: SceneLabels(room: RoomLabel(wallTexture: "", floorTexture: ""), objects: [], lights: []))
    }
}
