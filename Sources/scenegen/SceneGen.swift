import ArgumentParser

@main
struct SceneGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenegen",
        abstract: "Render procedural rooms with a CPU ray tracer.",
        subcommands: []
    )
}
