import CDNNL

/// oneDNN's CPU engine and stream, created once per process, and the small helpers every
/// oneDNN call site shares (status checks, memory descriptors, executing a primitive).
///
/// oneDNN runs its kernels on GNU OpenMP's thread team; ``ComputeThreads`` sizes that team
/// and runs the engine's own parallel loops on it too, so the two never compete for cores.
final class DNNLRuntime: @unchecked Sendable {
    /// The runtime, or `nil` when oneDNN could not create a CPU engine (then every
    /// convolution takes the im2col + OpenBLAS path).
    static let shared: DNNLRuntime? = try? DNNLRuntime()

    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    private init() throws {
        var engine: dnnl_engine_t?
        try DNNLRuntime.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        var stream: dnnl_stream_t?
        try DNNLRuntime.check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        guard let engine, let stream else {
            throw TensorError.invalidArgument(operation: "oneDNN", expected: "a CPU engine", found: "none")
        }
        self.engine = engine
        self.stream = stream
    }

    /// The oneDNN version, e.g. `2.6.3`.
    static var version: String {
        guard let v = dnnl_version()?.pointee else { return "unknown" }
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The instruction set oneDNN's JIT kernels target on this host.
    static var instructionSet: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_sse41: return "sse41"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        default: return "other"
        }
    }

    /// Throws a ``TensorError`` naming `call` unless `status` is success.
    static func check(_ status: dnnl_status_t, _ call: String) throws {
        guard status != dnnl_success else { return }
        throw TensorError.invalidArgument(operation: "oneDNN \(call)", expected: "dnnl_success", found: "status \(status.rawValue)")
    }

    /// A Float32 memory descriptor of `dims` in layout `tag` (`dnnl_format_tag_any` lets a
    /// primitive choose).
    static func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let extents = dims.map(Int64.init)
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), extents, dnnl_f32, tag), "memory_desc_init_by_tag")
        return md
    }

    /// Runs `primitive` with `arguments` (argument index, memory descriptor, data pointer),
    /// wrapping each pointer in a oneDNN memory object for the duration of the call.
    func execute(_ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)]) {
        var memories: [dnnl_memory_t?] = []
        memories.reserveCapacity(arguments.count)
        defer { for memory in memories { dnnl_memory_destroy(memory) } }
        var executionArguments: [dnnl_exec_arg_t] = []
        for (index, descriptor, pointer) in arguments {
            var memory: dnnl_memory_t?
            var md = descriptor
            let status = dnnl_memory_create(&memory, &md, engine, pointer)
            precondition(status == dnnl_success, "oneDNN could not wrap a buffer (status \(status.rawValue))")
            memories.append(memory)
            executionArguments.append(dnnl_exec_arg_t(arg: index, memory: memory))
        }
        let status = dnnl_primitive_execute(primitive, stream, Int32(executionArguments.count), executionArguments)
        // Creation already validated every shape and layout; a failure here is an internal
        // error (or memory exhaustion), not something an input can cause.
        precondition(status == dnnl_success, "oneDNN primitive execution failed (status \(status.rawValue))")
        _ = dnnl_stream_wait(stream)
    }
}

/// A oneDNN primitive together with its descriptor, destroyed with this object.
final class DNNLPrimitive: @unchecked Sendable {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t

    /// Creates the primitive for an operation descriptor (`&convolutionDesc`, ...).
    convenience init(
        operation: UnsafeRawPointer, attributes: dnnl_primitive_attr_t? = nil, hint: dnnl_primitive_desc_t? = nil,
        _ name: String
    ) throws {
        guard let runtime = DNNLRuntime.shared else {
            throw TensorError.invalidArgument(operation: name, expected: "a oneDNN CPU engine", found: "none")
        }
        var descriptor: dnnl_primitive_desc_t?
        try DNNLRuntime.check(
            dnnl_primitive_desc_create(&descriptor, operation, attributes, runtime.engine, hint), "\(name) primitive_desc_create")
        try self.init(adopting: descriptor, name)
    }

    /// Creates a reorder from layout `source` to layout `destination`; with `accumulate`,
    /// the reorder adds into the destination instead of overwriting it.
    convenience init(reorderFrom source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t, accumulate: Bool) throws {
        guard let runtime = DNNLRuntime.shared else {
            throw TensorError.invalidArgument(operation: "reorder", expected: "a oneDNN CPU engine", found: "none")
        }
        var attributes: dnnl_primitive_attr_t?
        try DNNLRuntime.check(dnnl_primitive_attr_create(&attributes), "primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attributes) }
        if accumulate {
            var postOps: dnnl_post_ops_t?
            try DNNLRuntime.check(dnnl_post_ops_create(&postOps), "post_ops_create")
            defer { dnnl_post_ops_destroy(postOps) }
            try DNNLRuntime.check(dnnl_post_ops_append_sum(postOps, 1), "post_ops_append_sum")
            try DNNLRuntime.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "attr_set_post_ops")
        }
        var (from, to) = (source, destination)
        var descriptor: dnnl_primitive_desc_t?
        try DNNLRuntime.check(
            dnnl_reorder_primitive_desc_create(&descriptor, &from, runtime.engine, &to, runtime.engine, attributes),
            "reorder_primitive_desc_create")
        try self.init(adopting: descriptor, "reorder")
    }

    /// Creates the primitive of `descriptor`, taking ownership of the descriptor (it is
    /// destroyed here if the primitive cannot be made).
    private init(adopting descriptor: dnnl_primitive_desc_t?, _ name: String) throws {
        var primitive: dnnl_primitive_t?
        let status = dnnl_primitive_create(&primitive, descriptor)
        guard status == dnnl_success, let descriptor, let primitive else {
            dnnl_primitive_desc_destroy(descriptor)
            throw TensorError.invalidArgument(operation: "oneDNN \(name) primitive_create", expected: "dnnl_success", found: "status \(status.rawValue)")
        }
        self.descriptor = descriptor
        self.primitive = primitive
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The layout the primitive chose for `query` (`dnnl_query_src_md`, ...).
    func layout(_ query: dnnl_query_t) -> dnnl_memory_desc_t? {
        dnnl_primitive_desc_query_md(descriptor, query, 0)?.pointee
    }

    /// The implementation oneDNN picked, e.g. `jit:avx512_core`.
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else {
            return "unknown"
        }
        return String(cString: name)
    }
}
