import ArgumentParser
import Tensors

/// Writes the safetensors fixture that `Tools/check_safetensors.py` reads with Python.
struct WriteSafeTensorsFixture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-safetensors-fixture",
        abstract: "Write fixture.safetensors and fixture.json (expected values) into a directory.",
        shouldDisplay: false
    )

    @Argument(help: "An existing directory to write the two files into.")
    var directory: String

    func run() throws {
        try SafeTensorsFixture.write(toDirectory: directory)
    }
}
