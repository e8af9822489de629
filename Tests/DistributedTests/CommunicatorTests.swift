import Testing

@testable import Distributed

@Suite("Communicator")
struct CommunicatorTests {
    @Test("a process started without a launcher is a single rank, and collectives return their input")
    func singleProcess() throws {
        #expect(!Communicator.startedByLauncher([:]))
        #expect(Communicator.startedByLauncher(["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(Communicator.startedByLauncher(["PMIX_RANK": "0"]))
        let world = Communicator.single
        #expect(world.kind == .single && world.rank == 0 && world.size == 1 && world.isRoot)
        var values: [Float] = [1.5, -2, 3]
        try values.withUnsafeMutableBufferPointer { try world.allreduceMean($0) }
        #expect(values == [1.5, -2, 3])
        #expect(try world.sum([1, 2]) == [1, 2])
        #expect(try world.broadcast([7, 8, 9]) == [7, 8, 9])
        try world.requireEqual(42, "a number")
        try world.barrier()
        #expect(world.statistics == Communicator.Statistics())
    }

    @Test("checksums: equal buffers agree, one changed bit or order does not")
    func checksums() {
        let values: [Float] = (0..<1000).map { Float($0) * 0.001 }
        let base = values.withUnsafeBufferPointer { BufferChecksum.of($0) }
        #expect(values.withUnsafeBufferPointer { BufferChecksum.of($0) } == base)
        var flipped = values
        flipped[500] = Float(bitPattern: flipped[500].bitPattern ^ 1)
        #expect(flipped.withUnsafeBufferPointer { BufferChecksum.of($0) } != base)
        var swapped = values
        swapped.swapAt(1, 2)
        #expect(swapped.withUnsafeBufferPointer { BufferChecksum.of($0) } != base)
    }

    @Test("errors say what to do")
    func messages() {
        let error = DistributedError.operationFailed(operation: "MPI_Allreduce", code: 15, message: "process failed")
        #expect(error.description.contains("a rank probably died"))
        #expect(DistributedError.mismatch(what: "the parameters", detail: "x").description.contains("ranks disagree"))
    }
}
