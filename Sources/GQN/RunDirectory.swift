import Foundation
import ShardFormat

/// The files of a training run's directory and the keys of its checkpoint's metadata.
///
/// A checkpoint is one safetensors file written atomically by
/// ``GQNTrainer/saveCheckpoint(to:metadata:)``: parameters, Adam's moments and step, the
/// configuration, and in its metadata the run settings, the loader's state and the elapsed
/// time. One file, so the set is always consistent: a crash leaves the previous checkpoint or
/// the new one, never a mix. The latent noise of step `t` is keyed by `(seed, t)`, so the
/// seed and step are the whole random state.
public enum RunDirectory {
    /// The checkpoint, replaced atomically.
    public static let checkpointName = "checkpoint.safetensors"
    /// One JSON object per logged step (``MetricsLog``).
    public static let metricsName = "metrics.jsonl"
    /// The run's ``RunSettings``, for people and scripts.
    public static let settingsName = "run.json"
    /// Sample grids, `step-XXXXXX.png`.
    public static let samplesDirectory = "samples"

    /// The checkpoint metadata key of the ``RunSettings`` (JSON).
    public static let settingsKey = "gqn_train.settings"
    /// The checkpoint metadata key of the loader's ``/DataLoader/LoaderState`` (JSON).
    public static let loaderStateKey = "gqn_train.loader_state"
    /// The checkpoint metadata key of the training seconds so far.
    public static let elapsedKey = "gqn_train.elapsed_s"

    /// `value` as JSON with sorted keys (stable bytes for equal values).
    public static func encodeJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes checkpoint metadata `key` of the file at `path`.
    /// - Throws: ``TrainingRunError/missingMetadata(path:key:)`` when absent or malformed.
    public static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String?, key: String, path: String) throws -> T {
        guard let text, let value = try? JSONDecoder().decode(type, from: Data(text.utf8)) else {
            throw TrainingRunError.missingMetadata(path: path, key: key)
        }
        return value
    }

    /// Writes `text` to `url` atomically (temporary file, fsync, rename).
    public static func save(_ text: String, to url: URL) throws {
        try AtomicFile.save(Array(text.utf8), to: url)
    }

    /// The schema of the dataset in `directory`, read from its manifest.
    /// - Throws: ``TrainingRunError/unusableData(data:detail:)``.
    public static func schema(of directory: URL) throws -> DatasetSchema {
        let url = directory.appendingPathComponent(Manifest.fileName)
        do {
            return try Manifest.load(from: url).schema
        } catch {
            throw TrainingRunError.unusableData(
                data: directory.path,
                detail: "expected a dataset directory with \(Manifest.fileName), could not read \(url.path): \(error)")
        }
    }

    /// Checks that a dataset's images fit a configuration.
    /// - Parameters:
    ///   - schema: The dataset's schema.
    ///   - configuration: The configuration to train or evaluate.
    ///   - data: The dataset argument, for the message.
    /// - Throws: ``TrainingRunError/unusableData(data:detail:)``.
    public static func checkImages(_ schema: DatasetSchema, _ configuration: GQNConfiguration, data: String) throws {
        guard schema.width == configuration.imageSize, schema.height == configuration.imageSize else {
            throw TrainingRunError.unusableData(
                data: data,
                detail: "config \(configuration.name) expects \(configuration.imageSize)x\(configuration.imageSize) "
                    + "images, found \(schema.width)x\(schema.height) (generate with --size \(configuration.imageSize))")
        }
        guard schema.viewsPerScene >= 2 else {
            throw TrainingRunError.unusableData(
                data: data, detail: "expected at least 2 views per scene (context + query), found \(schema.viewsPerScene)")
        }
    }
}
