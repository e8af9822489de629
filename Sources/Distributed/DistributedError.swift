/// An error of the ``Communicator``: what failed, and MPI's own words for it.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// `MPI_Init` failed: the launcher's environment is there but MPI could not start.
    case startFailed(code: Int32, message: String)
    /// A collective operation failed (a peer died, the network broke).
    case operationFailed(operation: String, code: Int32, message: String)
    /// Ranks disagree on something that must be equal on all of them.
    case mismatch(what: String, detail: String)
    /// A setting does not fit the world (a batch that does not split evenly, say).
    case invalidSetting(name: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .startFailed(code, message):
            return "MPI: MPI_Init failed (error \(code): \(message)); was the program started by mpirun or srun with a working Open MPI?"
        case let .operationFailed(operation, code, message):
            return "MPI: \(operation) failed (error \(code): \(message)); a rank probably died: see the launcher's messages above"
        case let .mismatch(what, detail):
            return "ranks disagree on \(what): \(detail)"
        case let .invalidSetting(name, expected, found):
            return "\(name): expected \(expected), found \(found)"
        }
    }
}
