import Dispatch
import Foundation
import ShardFormat

/// The loader's throughput benchmark (`shardtool bench DIR --loader`): read, verify and decode
/// a split's views into batches, several times, and report the median views per second.
public enum LoaderBenchmark {
    /// What one benchmark measured, with its settings. Encodes to the JSON line `shardtool`
    /// prints (snake_case keys).
    public struct Result: Codable, Sendable, Equatable {
        public var benchmark = "loader"
        /// Decoded views per second into batches, median of the runs.
        public var viewsPerSecond: Double
        /// Each run's views per second.
        public var viewsPerSecondRuns: [Double]
        /// Batches per second, median of the runs.
        public var batchesPerSecond: Double
        public var threads: Int
        public var batchSize: Int
        public var contextCount: Int
        public var size: String
        public var encoding: String
        public var scenesPerRun: Int
        public var viewsPerRun: Int
        public var runs: Int
        public var coresOnline: Int

        enum CodingKeys: String, CodingKey {
            case benchmark
            case viewsPerSecond = "views_per_s"
            case viewsPerSecondRuns = "views_per_s_runs"
            case batchesPerSecond = "batches_per_s"
            case threads
            case batchSize = "batch_size"
            case contextCount = "context"
            case size, encoding
            case scenesPerRun = "scenes_per_run"
            case viewsPerRun = "views_per_run"
            case runs
            case coresOnline = "cores_online"
        }

        /// The result as one line of JSON with sorted keys.
        public func jsonLine() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }
    }

    /// Reads one epoch of `split` per run through a ``GQNLoader`` and times it (after one
    /// untimed warm-up epoch that pages the shards in).
    /// - Parameters:
    ///   - directory: The dataset directory.
    ///   - split: The split to read; nil for the manifest's first.
    ///   - threads: Decoding threads.
    ///   - batchSize: Scenes per batch.
    ///   - contextCount: Context views per scene; nil for every view but the query
    ///     (`viewsPerScene - 1`), so that every stored view is decoded.
    ///   - runs: Timed runs; the median is reported.
    ///   - maximumScenes: Stop each run after about this many scenes (nil: the whole split).
    /// - Returns: The figures.
    /// - Throws: ``DataLoaderError`` from opening or reading the dataset.
    public static func run(
        directory: URL, split: String? = nil, threads: Int, batchSize: Int = 36, contextCount: Int? = nil,
        runs: Int = 5, maximumScenes: Int? = nil
    ) throws(DataLoaderError) -> Result {
        let manifest = try loadManifest(in: directory)
        guard let splitName = split ?? manifest.splits.first?.name else {
            throw .manifest(path: directory.appendingPathComponent(Manifest.fileName).path,
                            reason: "splits: expected at least one, found none")
        }
        let schema = manifest.schema
        var configuration = LoaderConfiguration(directory: directory, split: splitName, batchSize: batchSize)
        configuration.decodeThreads = threads
        configuration.prefetchBatches = max(4, 2 * threads)
        let k = contextCount ?? (schema.viewsPerScene - 1)
        configuration.context = .fixed(k)
        var rates: [Double] = []
        var batchRates: [Double] = []
        var scenes = 0, views = 0
        for run in 0...runs {
            configuration.firstEpoch = run
            let loader = try GQNLoader(configuration: configuration)
            scenes = 0
            views = 0
            var batches = 0
            let start = DispatchTime.now().uptimeNanoseconds
            while let batch = try loader.next() {
                scenes += batch.batchSize
                views += batch.viewCount
                batches += 1
                if let maximumScenes, scenes >= maximumScenes { break }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            loader.stop()
            if run > 0 {
                rates.append(Double(views) / seconds)
                batchRates.append(Double(batches) / seconds)
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return Result(
            viewsPerSecond: median(rates).rounded(), viewsPerSecondRuns: rates.map { $0.rounded() },
            batchesPerSecond: (median(batchRates) * 10).rounded() / 10, threads: threads, batchSize: batchSize,
            contextCount: k, size: "\(schema.width)x\(schema.height)", encoding: schema.imageEncoding.rawValue,
            scenesPerRun: scenes, viewsPerRun: views, runs: runs, coresOnline: ProcessInfo.processInfo.activeProcessorCount)
    }

    private static func loadManifest(in directory: URL) throws(DataLoaderError) -> Manifest {
        let url = directory.appendingPathComponent(Manifest.fileName)
        do {
            return try Manifest.load(from: url)
        } catch {
            throw .manifest(path: url.path, reason: error.description)
        }
    }
}
