import Foundation
import FuzzSupport
import ShardFormat

/// A shard file: header, trailer, index and every record, as stored and with its checksums
/// made valid (so mutations get past the CRCs to the structure behind them). Every error must
/// be a ShardFormatError naming the file.
exit(FuzzSupport.run { input in
    for bytes in [input, FuzzSupport.fixingShardChecksums(input)].compactMap({ $0 }) {
        let url = FuzzSupport.file(bytes, named: "input.gqnshard")
        do {
            let reader = try ShardReader(url: url)
            let problems = reader.problems(firstSceneIndex: 0)
            for problem in problems {
                FuzzSupport.require(problem.description.hasPrefix(url.path), "an error without the file's name: \(problem)")
            }
            _ = try? reader.record(at: reader.count)
        } catch {
            FuzzSupport.require("\(error)".hasPrefix(url.path), "an error without the file's name: \(error)")
        }
    }
})
