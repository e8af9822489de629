import Foundation

/// The description of a dataset directory: how it was made, its schema and splits, and every
/// shard file with its size and SHA-256. Stored as `manifest.json`.
///
/// A *partial* manifest (``worker`` set, file name from
/// ``ShardName/partialManifestFileName(worker:workerCount:)``) lists only one worker's
/// shards during distributed generation; ``merge(partialManifestsAt:datasetDirectory:)``
/// checks the partials against each other and the files, and returns the full manifest.
///
/// Shard paths are relative to the dataset directory; ``load(from:)`` rejects any that is
/// absolute or leads outside it, and ``shardURL(for:in:)`` also refuses symbolic links
/// that leave it.
public struct Manifest: Codable, Hashable, Sendable {
    /// Which worker of how many wrote a partial manifest.
    public struct Worker: Codable, Hashable, Sendable {
        /// The worker's number, `0..<count`.
        public var index: Int
        /// How many workers share the generation.
        public var count: Int

        /// Creates a worker description.
        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }
    }

    /// The name of a full manifest in its dataset directory.
    public static let fileName = "manifest.json"
    /// Manifest and shard format version: the schema's ``DatasetSchema/formatVersion``
    /// (1, or 2 for JPEG images); readers accept ``ShardLayout/supportedFormatVersions``.
    public var formatVersion: Int
    /// The generator's name and version, for example `"scenegen 0.3.0"`.
    public var generator: String
    /// The full scene family spec, kept as given.
    public var familySpec: JSONValue
    /// The dataset seed.
    public var datasetSeed: UInt64
    /// The schema of every shard.
    public var schema: DatasetSchema
    /// The splits, in order.
    public var splits: [DatasetSplit]
    /// Every shard (only this worker's in a partial manifest).
    public var shards: [ShardEntry]
    /// Set in partial manifests only.
    public var worker: Worker?

    /// Creates a manifest.
    /// - Parameters:
    ///   - generator: The generator's name and version.
    ///   - familySpec: The family spec the scenes were sampled from, as JSON.
    ///   - datasetSeed: The dataset seed.
    ///   - schema: The schema of every shard.
    ///   - splits: The splits, in order.
    ///   - shards: Every shard (only this worker's in a partial manifest).
    ///   - worker: Set in partial manifests only.
    ///   - formatVersion: The version to record; by default the schema's, the one
    ///     its shards are written with.
    public init(
        formatVersion: Int? = nil, generator: String, familySpec: JSONValue,
        datasetSeed: UInt64, schema: DatasetSchema, splits: [DatasetSplit], shards: [ShardEntry], worker: Worker? = nil
    ) {
        self.formatVersion = formatVersion ?? Int(schema.formatVersion)
        self.generator = generator
        self.familySpec = familySpec
        self.datasetSeed = datasetSeed
        self.schema = schema
        self.splits = splits
        self.shards = shards
        self.worker = worker
    }

    /// The manifest as pretty-printed JSON with sorted keys: the same manifest always gives
    /// the same bytes.
    /// - Throws: The encoder's error (only for non-finite numbers in the family spec).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Writes the manifest atomically (temporary file, fsync, rename, directory fsync).
    /// - Parameters:
    ///   - url: The manifest file, usually `directory/manifest.json`.
    ///   - replacingExisting: Whether an existing file may be replaced; by default it is an error.
    /// - Throws: `.alreadyExists`, `.io`, or `.invalidManifest` when it cannot be encoded.
    public func write(to url: URL, replacingExisting: Bool = false) throws(ShardFormatError) {
        let data: Data
        do {
            data = try encoded()
        } catch {
            throw .invalidManifest(path: url.path, reason: "cannot encode: \(error)")
        }
        try AtomicFile.save([UInt8](data), to: url, replacing: replacingExisting)
    }

    /// Reads a manifest and checks its format version and every shard path.
    /// - Parameter url: A `manifest.json` or partial manifest.
    /// - Throws: `.io`, `.invalidManifest` (not JSON of the manifest's shape, a format
    ///   version outside ``ShardLayout/supportedFormatVersions`` or too old for the schema's
    ///   image encoding, or a schema out of range), or
    ///   `.unsafeShardPath`.
    public static func load(from url: URL) throws(ShardFormatError) -> Manifest {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(path: url.path, operation: "read", reason: "\(error.localizedDescription)")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw .invalidManifest(path: url.path, reason: "\(error)")
        }
        let supported = ShardLayout.supportedFormatVersions
        guard supported.contains(UInt32(clamping: manifest.formatVersion)) else {
            throw .invalidManifest(
                path: url.path,
                reason: "formatVersion: expected \(supported.lowerBound) through \(supported.upperBound), found \(manifest.formatVersion)"
            )
        }
        guard manifest.formatVersion >= Int(manifest.schema.formatVersion) else {
            throw .invalidManifest(
                path: url.path,
                reason: "formatVersion: expected at least \(manifest.schema.formatVersion) for \(manifest.schema.imageEncoding.rawValue) images, found \(manifest.formatVersion)"
            )
        }
        if let (field, expected, found) = manifest.schema.firstInvalidField() {
            throw .invalidManifest(path: url.path, reason: "\(field): expected \(expected), found \(found)")
        }
        for shard in manifest.shards {
            try checkRelativePath(shard.file, manifest: url.path)
        }
        return manifest
    }

    /// The file of `shard` inside `directory`, after checking that its path is relative,
    /// stays inside the directory, and does not leave it through a symbolic link.
    /// - Throws: `.unsafeShardPath`.
    public func shardURL(for shard: ShardEntry, in directory: URL) throws(ShardFormatError) -> URL {
        let manifestPath = directory.appendingPathComponent(Self.fileName).path
        try Self.checkRelativePath(shard.file, manifest: manifestPath)
        let url = directory.appendingPathComponent(shard.file)
        let root = directory.standardizedFileURL.resolvingSymlinksInPath().path
        // Resolve the file itself when it exists (it may be a link), else its directory.
        let standardized = url.standardizedFileURL
        let resolved = FileManager.default.fileExists(atPath: standardized.path)
            ? standardized.resolvingSymlinksInPath().path
            : standardized.deletingLastPathComponent().resolvingSymlinksInPath()
                .appendingPathComponent(standardized.lastPathComponent).path
        guard resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw .unsafeShardPath(
                manifest: manifestPath, shardPath: shard.file,
                reason: "resolves to \(resolved), outside the dataset directory \(root)"
            )
        }
        return url
    }

    /// Fails unless `path` is a non-empty relative path with no `..` component.
    static func checkRelativePath(_ path: String, manifest: String) throws(ShardFormatError) {
        func reject(_ reason: String) -> ShardFormatError {
            .unsafeShardPath(manifest: manifest, shardPath: path, reason: reason)
        }
        if path.isEmpty { throw reject("empty path") }
        if path.hasPrefix("/") { throw reject("absolute path; expected a path relative to the dataset directory") }
        if path.contains("\0") { throw reject("contains a NUL byte") }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            throw reject("contains '..'; expected a path inside the dataset directory")
        }
    }
}
