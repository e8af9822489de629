import ArgumentParser

@main
struct GQNTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gqn-train",
        abstract: "Train, evaluate and benchmark a Generative Query Network on the CPU.",
        discussion: "Benchmarks print one JSON object per line: figures, settings and machine.",
        subcommands: [
            Fit.self, Evaluate.self, Sample.self, ProbeCommand.self, Bench.self, BenchConv.self,
            ExportWeights.self, WriteSafeTensorsFixture.self, WriteReferenceFixture.self,
        ]
    )
}
