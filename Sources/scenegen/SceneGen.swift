import ArgumentParser

@main
struct SceneGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenegen",
        abstract: "Render procedural rooms with our CPU ray tracer.",
        discussion: """
            Scenes are JSON files (see Scenes/examples and the SceneJSON article of the RayTracer \
            documentation). Output is deterministic: the same scene, settings and seed give the same \
            bytes whatever the thread count.
            """,
        subcommands: [Render.self, Preview.self, Generate.self, Bench.self]
    )
}
