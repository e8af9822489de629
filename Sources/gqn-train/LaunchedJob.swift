import Distributed
import Foundation

/// Runs a command's work on this job's ``/Distributed/Communicator``: alone, or as one rank of
/// an `mpirun`/`srun` job.
///
/// A rank whose work fails prints the error with its rank and stops every rank of the job
/// (`MPI_Abort`), so no rank waits forever in a collective for one that is gone; a rank that
/// dies outright is reported by the launcher, which ends the others. Alone, the error is
/// thrown as usual.
enum LaunchedJob {
    static func run(_ body: (Communicator) throws -> Void) throws {
        let world = try Communicator.world()
        do {
            try body(world)
        } catch {
            guard world.size > 1 else { throw error }
            FileHandle.standardError.write(Data(
                "gqn-train: rank \(world.rank) of \(world.size): error: \(error)\ngqn-train: stopping every rank of the job\n".utf8))
            world.abort(code: 1)
        }
        world.finish()
    }
}
