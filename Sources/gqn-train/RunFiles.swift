import Foundation
import GQN
import Tensors

/// An error of the train, eval and sample commands, with what was expected and found.
struct TrainCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What the commands that read a run (eval, sample, probe, export-weights) share: the
/// `--checkpoint` argument, loading a trainer from it, the `--context` argument. The run
/// directory's own files and keys are ``/GQN/RunDirectory``'s.
enum RunFiles {
    /// The checkpoint file for `--checkpoint`, which names a run directory or the file itself.
    static func checkpointPath(_ argument: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            throw TrainCommandError("--checkpoint: expected a run directory or a checkpoint file, found nothing at \(argument)")
        }
        let path = isDirectory.boolValue ? (argument as NSString).appendingPathComponent(RunDirectory.checkpointName) : argument
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainCommandError("--checkpoint: expected \(RunDirectory.checkpointName) in \(argument), found none (has fit written a checkpoint yet?)")
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
}

/// A JSON number, or null when not finite.
func jsonNumber(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }
func jsonNumber(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
