import ArgumentParser
import Foundation
import SceneFamilies

/// Finds a family spec by file path or by name in `Scenes/`.
enum FamilyLocator {
    /// Loads `nameOrPath`: an existing file, or `Scenes/<name>.json` under the current
    /// directory.
    /// - Throws: a validation error listing the families available when nothing matches,
    ///   or the spec's own error when it is invalid.
    static func load(_ nameOrPath: String) throws -> FamilySpec {
        let manager = FileManager.default
        if manager.fileExists(atPath: nameOrPath) {
            return try FamilySpec.load(contentsOf: URL(fileURLWithPath: nameOrPath))
        }
        let candidate = "Scenes/\(nameOrPath).json"
        if manager.fileExists(atPath: candidate) {
            return try FamilySpec.load(contentsOf: URL(fileURLWithPath: candidate))
        }
        let available = ((try? manager.contentsOfDirectory(atPath: "Scenes")) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
        throw ValidationError("""
            no family "\(nameOrPath)": expected a spec file or a name in ./Scenes \
            (found: \(available.isEmpty ? "no Scenes directory here" : available.joined(separator: ", ")))
            """)
    }
}
