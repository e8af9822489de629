import ArgumentParser

@main
struct GQNTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gqn-train",
        abstract: "Train, evaluate and benchmark a Generative Query Network on the CPU.",
        subcommands: []
    )
}
