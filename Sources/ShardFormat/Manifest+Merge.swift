import Foundation

extension Manifest {
    /// The partial manifests in `directory` (names starting `manifest.worker-`), sorted by name.
    /// - Throws: `.io` when the directory cannot be listed.
    public static func partialManifestURLs(in directory: URL) throws(ShardFormatError) -> [URL] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .io(path: directory.path, operation: "list directory", reason: error.localizedDescription)
        }
        return names.filter(ShardName.isPartialManifestFileName).sorted().map { directory.appendingPathComponent($0) }
    }

    /// Merges the partial manifests of a distributed generation into the full manifest.
    ///
    /// Checks that the partials come from the same generation (format version, generator,
    /// family spec, seed, schema and splits agree), that every worker `0..<count` is present
    /// exactly once, that no shard is listed twice, that each split's shards cover its scenes
    /// exactly (no gap, no overlap), and that every shard file exists inside the directory
    /// with the listed size and SHA-256. The result lists shards in split order, then by
    /// first scene index; write it with ``write(to:replacingExisting:)``.
    /// - Parameters:
    ///   - urls: The partial manifests, for example ``partialManifestURLs(in:)``.
    ///   - datasetDirectory: The directory holding the shards.
    /// - Returns: The full manifest (``worker`` is nil).
    /// - Throws: The first problem found: `.invalidInput` (no partials), `.io`,
    ///   `.invalidManifest`, `.unsafeShardPath` or `.manifestMismatch`.
    public static func merge(partialManifestsAt urls: [URL], datasetDirectory: URL) throws(ShardFormatError) -> Manifest {
        let directoryPath = datasetDirectory.path
        guard let firstURL = urls.first else {
            throw .invalidInput(path: directoryPath, field: "partial manifests", expected: "at least one", found: "none")
        }
        var partials: [(url: URL, manifest: Manifest)] = []
        for url in urls {
            partials.append((url, try load(from: url)))
        }
        let reference = partials[0].manifest
        for (url, partial) in partials.dropFirst() {
            try requireSame("formatVersion", reference.formatVersion, partial.formatVersion, url, firstURL)
            try requireSame("generator", reference.generator, partial.generator, url, firstURL)
            try requireSame("familySpec", reference.familySpec, partial.familySpec, url, firstURL)
            try requireSame("datasetSeed", reference.datasetSeed, partial.datasetSeed, url, firstURL)
            try requireSame("schema", reference.schema, partial.schema, url, firstURL)
            try requireSame("splits", reference.splits, partial.splits, url, firstURL)
        }
        try checkWorkers(partials, directoryPath: directoryPath)

        var listedIn: [String: URL] = [:]
        var shards: [ShardEntry] = []
        for (url, partial) in partials {
            for shard in partial.shards {
                if let earlier = listedIn[shard.file] {
                    throw .manifestMismatch(
                        path: url.path, field: "shard \(shard.file)", expected: "listed once",
                        found: "also listed in \(earlier.lastPathComponent)"
                    )
                }
                listedIn[shard.file] = url
                shards.append(shard)
            }
        }
        var merged = reference
        merged.worker = nil
        merged.shards = try coveringShards(shards, splits: reference.splits, directoryPath: directoryPath)
        if let problem = merged.checkShardFiles(in: datasetDirectory).first {
            throw problem
        }
        return merged
    }

    /// Checks every listed shard file: that its path is safe, and that it exists with the
    /// listed size and SHA-256. Reads every file once.
    /// - Parameter directory: The dataset directory.
    /// - Returns: One error per bad shard, in manifest order; empty when all match.
    public func checkShardFiles(in directory: URL) -> [ShardFormatError] {
        var problems: [ShardFormatError] = []
        for shard in shards {
            do throws(ShardFormatError) {
                let url = try shardURL(for: shard, in: directory)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw .manifestMismatch(path: url.path, field: "shard \(shard.file)", expected: "an existing file", found: "no file")
                }
                let (size, sha256) = try FileDigest.sizeAndSHA256(of: url)
                guard size == shard.byteSize else {
                    throw .manifestMismatch(path: url.path, field: "byteSize", expected: "\(shard.byteSize) (manifest)", found: "\(size)")
                }
                guard sha256 == shard.sha256.lowercased() else {
                    throw .manifestMismatch(path: url.path, field: "sha256", expected: "\(shard.sha256) (manifest)", found: sha256)
                }
            } catch {
                problems.append(error)
            }
        }
        return problems
    }

    private static func requireSame<T: Equatable>(
        _ field: String, _ expected: T, _ found: T, _ url: URL, _ referenceURL: URL
    ) throws(ShardFormatError) {
        guard expected == found else {
            throw .manifestMismatch(
                path: url.path, field: field, expected: "the same as in \(referenceURL.lastPathComponent)",
                found: "\(found)".count <= 200 ? "\(found)" : "a different value"
            )
        }
    }

    /// Requires either no partial to name a worker, or workers `0..<count` once each.
    private static func checkWorkers(_ partials: [(url: URL, manifest: Manifest)], directoryPath: String) throws(ShardFormatError) {
        let workers = partials.compactMap(\.manifest.worker)
        if workers.isEmpty { return }
        let count = workers[0].count
        var seen: [Int: URL] = [:]
        for (url, partial) in partials {
            guard let worker = partial.worker else {
                throw .manifestMismatch(path: url.path, field: "worker", expected: "a worker number (other partials have one)", found: "none")
            }
            guard worker.count == count, (0..<count).contains(worker.index) else {
                throw .manifestMismatch(path: url.path, field: "worker", expected: "a worker in 0..<\(count)",
                                        found: "worker \(worker.index) of \(worker.count)")
            }
            if let earlier = seen[worker.index] {
                throw .manifestMismatch(path: url.path, field: "worker", expected: "each worker once",
                                        found: "worker \(worker.index) also in \(earlier.lastPathComponent)")
            }
            seen[worker.index] = url
        }
        if let missing = (0..<count).first(where: { seen[$0] == nil }) {
            throw .manifestMismatch(path: directoryPath, field: "partial manifests", expected: "workers 0..<\(count), once each",
                                    found: "no manifest from worker \(missing)")
        }
    }

    /// Orders `shards` by split and first scene, requiring each split's shards to cover its
    /// scenes exactly.
    private static func coveringShards(
        _ shards: [ShardEntry], splits: [DatasetSplit], directoryPath: String
    ) throws(ShardFormatError) -> [ShardEntry] {
        let splitNames = Set(splits.map(\.name))
        if let stray = shards.first(where: { !splitNames.contains($0.split) }) {
            throw .manifestMismatch(path: directoryPath, field: "shard \(stray.file) split",
                                    expected: "one of \(splits.map(\.name))", found: "\"\(stray.split)\"")
        }
        var ordered: [ShardEntry] = []
        for split in splits {
            let members = shards.filter { $0.split == split.name }.sorted { $0.firstSceneIndex < $1.firstSceneIndex }
            var next = split.firstSceneIndex
            let (end, overflow) = split.firstSceneIndex.addingReportingOverflow(split.sceneCount)
            guard !overflow else {
                throw .manifestMismatch(path: directoryPath, field: "split \(split.name)",
                                        expected: "a scene range below 2^64", found: "overflowing range")
            }
            for shard in members {
                let shardEnd = shard.firstSceneIndex.addingReportingOverflow(UInt64(max(0, shard.recordCount)))
                if shard.firstSceneIndex > next {
                    throw .manifestMismatch(path: directoryPath, field: "split \(split.name)",
                                            expected: "shards covering scenes \(split.firstSceneIndex)..<\(end)",
                                            found: "no shard for scenes \(next)..<\(shard.firstSceneIndex)")
                }
                if shard.firstSceneIndex < next || shardEnd.overflow || shardEnd.partialValue > end {
                    throw .manifestMismatch(path: directoryPath, field: "shard \(shard.file)",
                                            expected: "scenes from \(next) up to \(end) (split \(split.name))",
                                            found: "scenes \(shard.firstSceneIndex)..<\(shardEnd.partialValue), overlapping another shard or the split's end")
                }
                next = shardEnd.partialValue
                ordered.append(shard)
            }
            if next != end {
                throw .manifestMismatch(path: directoryPath, field: "split \(split.name)",
                                        expected: "shards covering scenes \(split.firstSceneIndex)..<\(end)",
                                        found: "no shard for scenes \(next)..<\(end)")
            }
        }
        return ordered
    }
}
