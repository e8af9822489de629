import CMPIShim
import Dispatch
import Foundation

/// The processes of one job and the collective operations between them: a single process,
/// or the ranks an MPI launcher (`mpirun`, `srun`) started.
///
/// The only type in the package that talks to MPI. ``world()`` starts MPI when a launcher
/// started this process and otherwise returns ``single``, so a program run alone behaves
/// exactly as one that never heard of MPI (no `MPI_Init`, no Open MPI start-up cost).
///
/// ```swift
/// let world = try Communicator.world()
/// defer { world.finish() }
/// try world.allreduceMean(gradients)   // every rank now holds the mean
/// if world.isRoot { try writeCheckpoint() }
/// ```
///
/// Collectives must be called by every rank, in the same order. The communicator counts
/// the seconds and bytes of its float allreduces (``statistics``) for benchmarks.
public final class Communicator: @unchecked Sendable {
    /// Where the ranks run.
    public enum Kind: String, Sendable, Codable {
        /// One process; collectives return their input.
        case single
        /// Ranks of an MPI job on `MPI_COMM_WORLD`.
        case mpi
    }

    /// What the float allreduces have cost so far.
    public struct Statistics: Sendable, Equatable {
        /// Calls of ``allreduceSum(_:)`` and ``allreduceMean(_:)``.
        public var calls = 0
        /// Their wall-clock seconds in total.
        public var seconds = 0.0
        /// Bytes each rank contributed to them in total (count times 4).
        public var bytes = 0
    }

    /// The launcher's kind.
    public let kind: Kind
    /// This process's rank, `0..<size`.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// What the float allreduces have cost so far.
    public private(set) var statistics = Statistics()
    private var finished = false

    private init(kind: Kind, rank: Int, size: Int) {
        self.kind = kind
        self.rank = rank
        self.size = size
    }

    /// One process, no MPI.
    public static var single: Communicator { Communicator(kind: .single, rank: 0, size: 1) }

    /// Whether this is rank 0, the one that writes files and prints.
    public var isRoot: Bool { rank == 0 }

    /// The environment variables by which Open MPI, PMIx (Slurm's `srun --mpi=pmix`) and
    /// PMI-2 tell a process that a launcher started it.
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    /// Whether `environment` says that a launcher started this process.
    public static func startedByLauncher(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    /// This job's communicator: MPI's world when a launcher started the process (see
    /// ``launcherVariables``), else ``single``. Call it once per process.
    /// - Throws: ``DistributedError/startFailed(code:message:)`` when MPI does not start.
    public static func world() throws(DistributedError) -> Communicator {
        guard startedByLauncher() else { return single }
        var rank: Int32 = 0
        var size: Int32 = 1
        let code = gqn_mpi_init(&rank, &size)
        guard code == 0 else { throw .startFailed(code: code, message: errorText(code)) }
        return Communicator(kind: .mpi, rank: Int(rank), size: Int(size))
    }

    /// Ends MPI (`MPI_Finalize`) after every rank has called it; nothing for a single process.
    public func finish() {
        guard kind == .mpi, !finished else { return }
        finished = true
        _ = gqn_mpi_finalize()
    }

    /// Stops every rank of the job at once (`MPI_Abort`) with `code`: for a rank that cannot
    /// go on, so that no other rank waits for it forever. A single process just exits.
    public func abort(code: Int32) -> Never {
        if kind == .mpi, gqn_mpi_is_running() != 0 { gqn_mpi_abort(code) }
        exit(code)
    }

    // MARK: Collectives

    /// Sums `values` across all ranks, in place; every rank ends with the sum.
    /// - Complexity: A ring allreduce moves about `2 (size - 1) / size` times the buffer per rank.
    /// - Throws: ``DistributedError/operationFailed(operation:code:message:)``.
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        guard kind == .mpi, size > 1, let base = values.baseAddress else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        try check(gqn_mpi_allreduce_sum_float(base, values.count), "MPI_Allreduce of \(values.count) floats")
        statistics.calls += 1
        statistics.bytes += values.count * MemoryLayout<Float>.stride
        statistics.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    /// Replaces `values` on every rank by their mean across ranks.
    /// - Throws: ``DistributedError/operationFailed(operation:code:message:)``.
    public func allreduceMean(_ values: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        guard size > 1 else { return }
        try allreduceSum(values)
        let scale = 1 / Float(size)
        for index in values.indices { values[index] *= scale }
    }

    /// The sums across ranks of a few doubles (losses, counts).
    /// - Throws: ``DistributedError/operationFailed(operation:code:message:)``.
    public func sum(_ values: [Double]) throws(DistributedError) -> [Double] {
        guard kind == .mpi, size > 1, !values.isEmpty else { return values }
        var result = values
        let code = result.withUnsafeMutableBufferPointer { gqn_mpi_allreduce_sum_double($0.baseAddress, $0.count) }
        try check(code, "MPI_Allreduce of \(values.count) doubles")
        return result
    }

    /// Checks that every rank passed the same `value`.
    /// - Parameters:
    ///   - value: This rank's value (a checksum, a step count).
    ///   - what: What it is, for the error.
    /// - Throws: ``DistributedError/mismatch(what:detail:)`` on every rank when any two differ.
    public func requireEqual(_ value: UInt64, _ what: String) throws(DistributedError) {
        guard kind == .mpi, size > 1 else { return }
        var minimum: UInt64 = 0
        var maximum: UInt64 = 0
        try check(gqn_mpi_allreduce_min_max_u64(value, &minimum, &maximum), "MPI_Allreduce of \(what)")
        guard minimum == maximum else {
            throw .mismatch(what: what, detail: "values range from \(minimum) to \(maximum) across \(size) ranks (this is rank \(rank): \(value))")
        }
    }

    /// Rank `root`'s bytes, on every rank; the others' `bytes` are ignored.
    /// - Throws: ``DistributedError/operationFailed(operation:code:message:)``.
    public func broadcast(_ bytes: [UInt8], from root: Int = 0) throws(DistributedError) -> [UInt8] {
        guard kind == .mpi, size > 1 else { return bytes }
        var count = UInt64(bytes.count)
        try check(gqn_mpi_broadcast(&count, MemoryLayout<UInt64>.size, Int32(root)), "MPI_Bcast of a length")
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        let code = result.withUnsafeMutableBytes { gqn_mpi_broadcast($0.baseAddress, $0.count, Int32(root)) }
        try check(code, "MPI_Bcast of \(count) bytes")
        return result
    }

    /// Waits until every rank has called it.
    /// - Throws: ``DistributedError/operationFailed(operation:code:message:)``.
    public func barrier() throws(DistributedError) {
        guard kind == .mpi, size > 1 else { return }
        try check(gqn_mpi_barrier(), "MPI_Barrier")
    }

    private func check(_ code: Int32, _ operation: String) throws(DistributedError) {
        guard code != 0 else { return }
        throw .operationFailed(operation: operation, code: code, message: Self.errorText(code))
    }

    private static func errorText(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        gqn_mpi_error_string(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
