import ArgumentParser
import Foundation
import ShardTools

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every shard and record; exit 1 naming each bad shard, record and byte offset.",
        discussion: """
            For each shard the manifest lists: the file exists inside the dataset directory with the \
            listed byte size and SHA-256; its header schema equals the manifest's; it holds the listed \
            number of records; record i holds scene firstSceneIndex + i; and every record's length, \
            CRC-32C and structure are sound. .gqnshard files the manifest does not list are warnings \
            (they do not fail the check). For a single shard file, its records only.

            Prints each problem on its own line, then a summary ("verified N shards, M scenes: OK" \
            or "...: K problems"). On a terminal, progress goes to standard error.

            Example: shardtool verify data/rooms
            """
    )

    @OptionGroup var input: InputArgument

    @Flag(help: "Print only the problems, warnings and the summary, never progress.")
    var quiet = false

    func run() throws {
        let dataset = try DatasetInput.open(path: input.path)
        let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) != 0)
        let report = DatasetVerifier.verify(dataset) { done, total, name in
            progress.show("verifying shard \(done + 1)/\(total) \(name)")
        }
        progress.clear()
        for warning in report.warnings {
            print("warning: \(warning)")
        }
        for problem in report.problems {
            print("error: \(problem)")
        }
        print(report.summary)
        if !report.isSound {
            throw ExitCode.failure
        }
    }
}

/// A single status line on standard error, rewritten in place; silent when disabled (not a
/// terminal), so logs stay plain.
struct ProgressLine {
    let enabled: Bool

    func show(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
