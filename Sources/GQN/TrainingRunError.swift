/// Why a training run cannot start or go on: each case names the file or argument, what was
/// expected and what was found, in words a `gqn-train fit` user can act on.
public enum TrainingRunError: Error, Equatable, CustomStringConvertible {
    /// `--out` names a file, not a directory.
    case notADirectory(out: String)
    /// A new run was asked for in a directory that already holds files.
    case runDirectoryInUse(out: String, found: [String])
    /// `--resume` from a file of parameters alone.
    case weightsOnly(path: String)
    /// A checkpoint lacks run metadata or has it malformed.
    case missingMetadata(path: String, key: String)
    /// `--resume` with other settings than the run was started with.
    case differentSettings(out: String, differences: [String], recorded: String)
    /// The checkpoint's schedule is not what its settings give now.
    case differentSchedule(path: String, trained: String, arguments: String, now: String)
    /// The dataset cannot be read or does not fit the configuration.
    case unusableData(data: String, detail: String)
    /// The loader stopped although training streams are endless.
    case loaderEnded(data: String, step: Int)
    /// The loss stopped being a finite number.
    case nonFiniteLoss(step: Int, loss: Float, out: String)
    /// The global batch does not split evenly across the ranks.
    case batchDoesNotSplit(batch: Int, ranks: Int)

    public var description: String {
        switch self {
        case let .notADirectory(out):
            return "--out \(out): expected a directory, found a file"
        case let .runDirectoryInUse(out, found):
            return "--out \(out): expected a new or empty run directory, found one holding \(found.sorted().prefix(4).joined(separator: ", ")); "
                + "pass --resume to continue it, or choose another --out"
        case let .weightsOnly(path):
            return "--resume: \(path) holds weights only (written by export-weights), with no optimizer "
                + "state to continue from; resume from the run's own checkpoint or start a new run"
        case let .missingMetadata(path, key):
            return "\(path): expected \"\(key)\" metadata (a checkpoint written by gqn-train fit), found none or malformed"
        case let .differentSettings(out, differences, recorded):
            return "--resume: the run in \(out) was started with \(differences.joined(separator: "; ")); a run keeps the "
                + "settings it started with: pass its own (recorded in \(recorded)) or choose another --out"
        case let .differentSchedule(path, trained, arguments, now):
            return "--resume: \(path) was trained with \(trained), but \(arguments) now gives \(now); "
                + "this gqn-train cannot continue that run's schedule exactly"
        case let .unusableData(data, detail):
            return "--data \(data): \(detail)"
        case let .loaderEnded(data, step):
            return "--data \(data): the loader ended unexpectedly at step \(step)"
        case let .nonFiniteLoss(step, loss, out):
            return "step \(step): the loss is \(loss); stopping (last checkpoint kept in \(out))"
        case let .batchDoesNotSplit(batch, ranks):
            return "--batch \(batch): expected a global batch that splits evenly across the \(ranks) ranks "
                + "(a multiple of \(ranks)), found \(batch)"
        }
    }
}
