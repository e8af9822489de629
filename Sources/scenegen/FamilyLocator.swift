import ArgumentParser
import Foundation
import SceneFamilies

/// Finds a family spec by file path or by name in `Scenes/`.
enum FamilyLocator {
    /// `./Scenes`, then `Scenes` beside the build directory (`.build/release/scenegen`
    /// lives three levels below the package root).
    static var searchDirectories: [URL] {
        var directories = [URL(fileURLWithPath: "Scenes")]
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var root = executable.deletingLastPathComponent()
        for _ in 0..<3 {
            root = root.deletingLastPathComponent()
            directories.append(root.appendingPathComponent("Scenes"))
        }
        return directories
    }

    /// Loads `nameOrPath`: an existing file, or `<name>.json` in `./Scenes` or in the
    /// `Scenes` directory of the package the executable was built in.
    /// - Throws: a validation error listing the families available when nothing matches,
    ///   or the spec's own error when it is invalid.
    static func load(_ nameOrPath: String) throws -> FamilySpec {
        let manager = FileManager.default
        if manager.fileExists(atPath: nameOrPath) {
            return try FamilySpec.load(contentsOf: URL(fileURLWithPath: nameOrPath))
        }
        for directory in searchDirectories {
            let candidate = directory.appendingPathComponent("\(nameOrPath).json")
            if manager.fileExists(atPath: candidate.path) {
                return try FamilySpec.load(contentsOf: candidate)
            }
        }
        let available = searchDirectories.flatMap { (try? manager.contentsOfDirectory(atPath: $0.path)) ?? [] }
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        let names = Array(Set(available)).sorted()
        throw ValidationError("""
            no family "\(nameOrPath)": expected a spec file or a name in ./Scenes or the package's Scenes \
            (found: \(names.isEmpty ? "no Scenes directory" : names.joined(separator: ", ")))
            """)
    }
}
