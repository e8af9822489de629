import ArgumentParser
import Dispatch
import Foundation
import RayTracer
import SceneFamilies
import ShardFormat

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a sharded dataset of rendered scenes from a scene family.",
        discussion: """
            Scenes are assigned to shards of --shard-size scenes in index order; splits are \
            contiguous index ranges (train first). Scene i is a pure function of (family, --seed, i), \
            so the shard files are byte-identical whatever --threads, --worker-count or interruptions.

            Resuming: re-running the same command completes the missing shards and verifies the \
            existing ones. Running other arguments into the same directory is an error.

            Many machines: worker i of n (--worker-index i --worker-count n) writes the shards j with \
            j % n == i and its own partial manifest; when all are done, `shardtool merge DIR` writes \
            manifest.json. Tools/cluster has Slurm and Kubernetes templates.

            One writer at a time: a second run of the same worker into a directory that is still being \
            written is refused (the lock file .scenegen-generate*.lock; the kernel releases it when the \
            process ends, however it ends).

            Example: scenegen generate --family rooms_ring_camera --scenes 2000 --out data/rooms --size 32
            """
    )

    @Option(help: "A family name in ./Scenes (rooms_ring_camera, rooms_free_camera, shepard_metzler) or a spec file.")
    var family: String

    @Option(help: "Total number of scenes.")
    var scenes: Int

    @Option(help: "The dataset directory (created if missing).")
    var out: String

    @Option(help: "Dataset seed.")
    var seed: UInt64 = 0

    @Option(name: .customLong("shard-size"), help: "Scenes per shard file.")
    var shardSize: Int = 500

    @Option(help: "Splits as name=fraction pairs, contiguous in this order; fractions sum to 1.")
    var split: String = "train=0.9,test=0.1"

    @Option(help: "Image size in pixels (overrides the family).")
    var size: Int?

    @Option(help: "Views per scene (overrides the family).")
    var views: Int?

    @Option(help: "Samples per pixel, a perfect square (overrides the family).")
    var spp: Int?

    @Option(help: "Rendering threads (default: all cores). Output bytes never depend on it.")
    var threads: Int = ProcessInfoCores.count

    @Flag(help: "Also store a 16-bit z-depth PNG (millimetres) per view.")
    var depth = false

    @Flag(help: "Also store an 8-bit instance-mask PNG per view (0 room, k the k-th object).")
    var masks = false

    @Option(help: "Colour image encoding in the shards: png, raw, or jpeg (quality 95, lossy; format version 2).")
    var encoding: DatasetSchema.ImageEncoding = .png

    @Option(name: .customLong("worker-index"), help: "This worker's index, 0-based (for scale-out).")
    var workerIndex: Int = 0

    @Option(name: .customLong("worker-count"), help: "How many workers share the dataset.")
    var workerCount: Int = 1

    func validate() throws {
        guard scenes >= 1 else { throw ValidationError("--scenes must be at least 1, found \(scenes)") }
        guard shardSize >= 1 else { throw ValidationError("--shard-size must be at least 1, found \(shardSize)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, found \(threads)") }
        guard workerCount >= 1, (0..<workerCount).contains(workerIndex) else {
            throw ValidationError("--worker-index must be in 0..<--worker-count (\(workerCount)), found \(workerIndex)")
        }
        _ = try parsedSplits()
    }

    /// `train=0.9,test=0.1` as (name, fraction) pairs.
    func parsedSplits() throws -> [(name: String, fraction: Double)] {
        let pairs = try split.split(separator: ",").map { item -> (name: String, fraction: Double) in
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let fraction = Double(parts[1]), fraction >= 0,
                  !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ValidationError("--split: expected name=fraction pairs such as train=0.9,test=0.1, found \"\(item)\"")
            }
            return (String(parts[0]), fraction)
        }
        guard !pairs.isEmpty, abs(pairs.map(\.fraction).reduce(0, +) - 1) < 1e-6 else {
            throw ValidationError("--split: fractions must sum to 1, found \(pairs.map(\.fraction).reduce(0, +)) in \"\(split)\"")
        }
        guard Set(pairs.map(\.name)).count == pairs.count else {
            throw ValidationError("--split: split names must differ, found \"\(split)\"")
        }
        return pairs
    }

    func run() throws {
        let spec = try FamilyLocator.load(family).overriding(imageSize: size, views: views, samplesPerPixel: spp)
        let directory = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create \(out): \(error.localizedDescription)")
        }
        // One writer per shard set: a second run of the same worker into this directory is refused
        // (workers of one distributed run own disjoint shards and run side by side).
        let lock = try DirectoryLock(
            directory: directory,
            name: workerCount > 1 ? "scenegen-generate-worker-\(workerIndex)-of-\(workerCount)" : "scenegen-generate")
        defer { lock.release() }
        let schema = DatasetSchema(width: spec.imageSize, height: spec.imageSize, imageEncoding: encoding,
                                   viewsPerScene: spec.views, hasDepth: depth, hasMasks: masks)
        let plan = GenerationPlan(
            generator: GeneratorVersion.string, familySpec: try ShardFormat.JSONValue(encoding: spec.json), seed: seed,
            scenes: scenes, shardSize: shardSize, splits: GenerationPlan.splits(try parsedSplits(), scenes: scenes),
            schema: schema, workerCount: workerCount)
        try plan.claim(directory)

        let mine = plan.shards.filter { $0.ordinal % workerCount == workerIndex }
        let builder = SceneRecordBuilder(
            samplesPerSide: RenderSettings.samplesPerSide(forSamplesPerPixel: spec.samplesPerPixel) ?? 1,
            encoding: encoding, depth: depth, masks: masks)
        let generator = DatasetGenerator(family: SceneFamily(spec: spec), seed: seed, schema: schema, builder: builder,
                                         threads: threads)
        let existing = mine.filter { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0.fileName).path) }
        let sceneTotal = mine.map(\.scenes.count).reduce(0, +)
        let alreadyDone = existing.map(\.scenes.count).reduce(0, +)
        FileHandle.standardError.write(Data("""
            \(spec.name): \(scenes) scenes of \(spec.views) views at \(spec.imageSize)x\(spec.imageSize), \
            \(plan.shards.count) shards; worker \(workerIndex) of \(workerCount) owns \(mine.count) \
            (\(existing.count) already written, verifying them)\n
            """.utf8))
        let progress = ProgressReporter(total: sceneTotal, alreadyDone: alreadyDone, unit: "scenes")
        var entries: [ShardEntry] = []
        for shard in mine {
            let url = directory.appendingPathComponent(shard.fileName)
            if existing.contains(shard) {
                entries.append(try DatasetGenerator.verifyExisting(shard, at: url, schema: schema))
            } else {
                entries.append(try generator.write(shard, to: url) { progress.advance(by: $0) })
            }
        }
        progress.finish()

        let manifest = Manifest(generator: plan.generator, familySpec: plan.familySpec, datasetSeed: seed,
                                schema: schema, splits: plan.splits, shards: entries,
                                worker: workerCount > 1 ? .init(index: workerIndex, count: workerCount) : nil)
        let manifestName = workerCount > 1
            ? ShardName.partialManifestFileName(worker: workerIndex, workerCount: workerCount) : Manifest.fileName
        try manifest.write(to: directory.appendingPathComponent(manifestName), replacingExisting: true)
        let bytes = entries.map(\.byteSize).reduce(0, +)
        print("""
            Wrote \(directory.path)/\(manifestName): \(entries.count) shards, \
            \(entries.map(\.recordCount).reduce(0, +)) scenes, \(String(format: "%.1f", Double(bytes) / 1e6)) MB\
            \(progress.rate > 0 ? String(format: ", %.1f scenes/s", progress.rate) : "")
            """)
        if workerCount > 1 {
            print("When every worker has finished: shardtool merge \(directory.path)")
        }
    }
}

extension DatasetSchema.ImageEncoding: ExpressibleByArgument {}

/// The generator version recorded in manifests.
enum GeneratorVersion {
    static let string = "scenegen 0.1.0"
}
