import DataLoader
import Foundation
import GQN
import ShardFormat
import Tensors

/// An error of the train, eval and sample commands, with what was expected and found.
struct TrainCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What a run was started with; a resumed run must match it.
struct RunSettings: Codable, Equatable {
    /// The dataset directory, as an absolute path.
    var data: String
    var split: String
    /// The preset's name.
    var config: String
    var batch: Int
    var seed: UInt64
    /// The largest context count drawn (K is uniform in `1...maxContext`).
    var maxContext: Int
    /// Compute threads (a different count changes float summation order, so resumed runs warn).
    var threads: Int
    /// The named training schedule (`--schedule`).
    var schedule: GQNTrainingSchedule.Preset
    /// The step that first trains at the final learning rate (`--anneal-steps`), fixed when the
    /// run starts; nil for schedules of fixed length.
    var annealSteps: Int?

    /// The schedule the run trains with.
    var trainingSchedule: GQNTrainingSchedule { GQNTrainingSchedule(preset: schedule, annealSteps: annealSteps ?? 0) }

    /// The schedule as `fit` arguments.
    var scheduleArguments: String {
        annealSteps.map { "--schedule \(schedule.rawValue) --anneal-steps \($0)" } ?? "--schedule \(schedule.rawValue)"
    }

    /// What differs from the settings `run` was started with, one phrase per argument
    /// ("--seed 5, found 6"); the thread count is not compared.
    func differences(from run: RunSettings) -> [String] {
        var found: [String] = []
        func compare<Value: Equatable>(_ flag: String, _ expected: Value, _ actual: Value) {
            if expected != actual { found.append("\(flag) \(expected), found \(actual)") }
        }
        compare("--data", run.data, data)
        compare("--split", run.split, split)
        compare("--config", run.config, config)
        compare("--batch", run.batch, batch)
        compare("--seed", run.seed, seed)
        if run.maxContext != maxContext {
            found.append(
                "at most \(run.maxContext) context views, found \(maxContext) (set by --config and the dataset's views per scene)")
        }
        if run.schedule != schedule || run.annealSteps != annealSteps {
            found.append("\(run.scheduleArguments), found \(scheduleArguments)")
        }
        return found
    }
}

extension RunSettings {
    /// Reads settings written by any version of `fit`: runs from before `--schedule` have the paper's.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        data = try container.decode(String.self, forKey: .data)
        split = try container.decode(String.self, forKey: .split)
        config = try container.decode(String.self, forKey: .config)
        batch = try container.decode(Int.self, forKey: .batch)
        seed = try container.decode(UInt64.self, forKey: .seed)
        maxContext = try container.decode(Int.self, forKey: .maxContext)
        threads = try container.decode(Int.self, forKey: .threads)
        schedule = try container.decodeIfPresent(GQNTrainingSchedule.Preset.self, forKey: .schedule) ?? .paper
        annealSteps = try container.decodeIfPresent(Int.self, forKey: .annealSteps)
    }
}

/// The files of a run directory and the checkpoint's metadata keys.
///
/// A checkpoint is one safetensors file written atomically by ``GQN/GQNTrainer/saveCheckpoint(to:metadata:)``:
/// parameters, Adam's moments and step, the configuration, and in its metadata the run
/// settings, the loader's state and the elapsed time. One file, so the set is always
/// consistent: a crash leaves the previous checkpoint or the new one, never a mix. The
/// latent noise of step `t` is keyed by `(seed, t)`, so the seed and step are the whole
/// random state.
enum RunFiles {
    static let checkpointName = "checkpoint.safetensors"
    static let metricsName = "metrics.jsonl"
    static let settingsName = "run.json"
    static let samplesDirectory = "samples"

    static let settingsKey = "gqn_train.settings"
    static let loaderStateKey = "gqn_train.loader_state"
    static let elapsedKey = "gqn_train.elapsed_s"

    /// The checkpoint file for `--checkpoint`, which names a run directory or the file itself.
    static func checkpointPath(_ argument: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            throw TrainCommandError("--checkpoint: expected a run directory or a checkpoint file, found nothing at \(argument)")
        }
        let path = isDirectory.boolValue ? (argument as NSString).appendingPathComponent(checkpointName) : argument
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainCommandError("--checkpoint: expected \(checkpointName) in \(argument), found none (has fit written a checkpoint yet?)")
        }
        return path
    }

    /// Loads a checkpoint into a fresh model and trainer.
    /// - Returns: The trainer (its model holds the weights) and the file's metadata.
    static func loadTrainer(from path: String) throws -> (GQNTrainer, [String: String]) {
        let archive = try GQNTrainer.verifiedArchive(at: path)
        guard let text = archive.metadata["configuration"],
            let configuration = try? JSONDecoder().decode(GQNConfiguration.self, from: Data(text.utf8))
        else {
            throw TrainCommandError("\(path): expected a gqn-train checkpoint with \"configuration\" metadata, found none")
        }
        let seed = archive.metadata["seed"].flatMap(UInt64.init) ?? 0
        let model = try GQNModel(configuration: configuration, seed: seed)
        let trainer = GQNTrainer(model: model, seed: seed)
        let metadata = try trainer.loadCheckpoint(from: path)
        return (trainer, metadata)
    }

    static func encodeJSON<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String?, key: String, path: String) throws -> T {
        guard let text, let value = try? JSONDecoder().decode(type, from: Data(text.utf8)) else {
            throw TrainCommandError("\(path): expected \"\(key)\" metadata (a checkpoint written by gqn-train fit), found none or malformed")
        }
        return value
    }

    /// Writes `text` to `url` atomically.
    static func save(_ text: String, to url: URL) throws {
        try AtomicFile.save(Array(text.utf8), to: url)
    }

    /// The dataset's schema, read from its manifest.
    static func schema(of directory: URL) throws -> DatasetSchema {
        let url = directory.appendingPathComponent(Manifest.fileName)
        do {
            return try Manifest.load(from: url).schema
        } catch {
            throw TrainCommandError("--data: expected a dataset directory with \(Manifest.fileName), could not read \(url.path): \(error)")
        }
    }

    /// The context counts `--context` asks for: nil gives the model's maximum (at most
    /// `viewsPerScene - 1`), `all` every count from 1 to that, a number itself (1...`viewsPerScene - 1`).
    static func contextCounts(_ argument: String?, maximum: Int, viewsPerScene: Int) throws -> [Int] {
        let largest = min(maximum, viewsPerScene - 1)
        switch argument {
        case nil: return [largest]
        case "all": return Array(1...largest)
        case let text?:
            guard let k = Int(text), (1...(viewsPerScene - 1)).contains(k) else {
                throw TrainCommandError(
                    "--context: expected 1...\(viewsPerScene - 1) (the dataset has \(viewsPerScene) views per scene) or all, found \(text)")
            }
            return [k]
        }
    }

    /// Checks that a dataset's images fit a configuration.
    static func checkImages(_ schema: DatasetSchema, _ configuration: GQNConfiguration, data: String) throws {
        guard schema.width == configuration.imageSize, schema.height == configuration.imageSize else {
            throw TrainCommandError(
                "--data \(data): config \(configuration.name) expects \(configuration.imageSize)x\(configuration.imageSize) "
                    + "images, found \(schema.width)x\(schema.height) (generate with --size \(configuration.imageSize))")
        }
        guard schema.viewsPerScene >= 2 else {
            throw TrainCommandError("--data \(data): expected at least 2 views per scene (context + query), found \(schema.viewsPerScene)")
        }
    }
}

/// SplitMix64 finaliser: independent-looking seeds from (seed, index).
func mixSeed(_ seed: UInt64, _ index: UInt64) -> UInt64 {
    var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (index &+ 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A JSON number, or null when not finite.
func jsonNumber(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }
func jsonNumber(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
