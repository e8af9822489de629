import ArgumentParser
import Foundation
import GQN

/// Writes a trained run's parameters alone: a small file to share or ship with a demo.
struct ExportWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-weights",
        abstract: "Write a run's parameters alone (no optimizer state) to a safetensors file.",
        discussion: """
            The file is about a third of a checkpoint and keeps the configuration, the step and \
            the run's settings, so `eval`, `sample` and `probe` take it as --checkpoint; `fit \
            --resume` cannot continue from it (no Adam state). --note adds free text to its \
            metadata, e.g. the command that trained it.

            Example: gqn-train export-weights --checkpoint runs/tiny --out tiny.safetensors \
            --note "Tools/reproduce_claims.sh, seed 1"
            """
    )

    @Option(help: "The run directory, or its checkpoint file.")
    var checkpoint: String

    @Option(help: "The safetensors file to write (replaced atomically).")
    var out: String

    @Option(help: "Free text stored in the file's metadata under \"note\".")
    var note: String?

    func run() throws {
        let path = try RunFiles.checkpointPath(checkpoint)
        let (trainer, metadata) = try RunFiles.loadTrainer(from: path)
        var kept = metadata.filter { key, _ in key.hasPrefix("gqn_train.") && key != RunDirectory.loaderStateKey }
        if let note { kept["note"] = note }
        try trainer.saveWeights(to: out, metadata: kept)
        print("export-weights: \(out), step \(trainer.step), \(trainer.model.parameterCount) parameters")
    }
}
