import ArgumentParser
import GQN
import Tensors

extension GQNConfiguration.Preset: ExpressibleByArgument {}

/// The thread count every compute command takes (`--threads`), checked and applied in one place.
struct ComputeOptions: ParsableArguments {
    @Option(
        help: """
            Threads for OpenBLAS, oneDNN's OpenMP team and the engine's loops; under mpirun or srun, per rank \
            (keep it equal when resuming for bit-exact results).
            """)
    var threads: Int = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, found \(threads)") }
    }

    /// Sizes the compute thread team of this process.
    func apply() { ComputeThreads.set(threads) }
}
