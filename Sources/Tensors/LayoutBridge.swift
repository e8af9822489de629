import CDNNL
import Dispatch

/// Moves one operand between the engine's plain layout (NCHW activations, PyTorch weight
/// order) and the layout a oneDNN primitive chose for it (blocked, e.g. `nChw16c`).
///
/// When the two layouts are the same the bridge passes pointers straight through.
struct LayoutBridge {
    /// The engine's layout.
    let plain: dnnl_memory_desc_t
    /// The primitive's layout.
    let chosen: dnnl_memory_desc_t
    /// The number of Float32 elements a buffer in the chosen layout holds (padding included).
    let chosenCount: Int
    private let toChosen: DNNLPrimitive?
    private let toPlain: DNNLPrimitive?
    private let addToPlain: DNNLPrimitive?
    /// What the operand is (`weights`, `activations`, ...), for ``OperationProfiler``.
    let role: StaticString

    /// - Parameters:
    ///   - plain: The engine's layout of the operand.
    ///   - chosen: The primitive's layout.
    ///   - isOutput: Whether the primitive writes the operand (else it reads it).
    ///   - role: What the operand is, for the profile.
    init(plain: dnnl_memory_desc_t, chosen: dnnl_memory_desc_t, isOutput: Bool, role: StaticString) throws {
        self.role = role
        self.plain = plain
        self.chosen = chosen
        var (p, c) = (plain, chosen)
        chosenCount = dnnl_memory_desc_get_size(&c) / MemoryLayout<Float>.stride
        let same = dnnl_memory_desc_equal(&p, &c) != 0
        if isOutput {
            toChosen = nil
            toPlain = same ? nil : try DNNLPrimitive(reorderFrom: chosen, to: plain, accumulate: false)
            addToPlain = try DNNLPrimitive(reorderFrom: chosen, to: plain, accumulate: true)
        } else {
            toChosen = same ? nil : try DNNLPrimitive(reorderFrom: plain, to: chosen, accumulate: false)
            toPlain = nil
            addToPlain = nil
        }
    }

    /// Calls `body` with the operand in the chosen layout, reordering `source` into a
    /// pooled buffer first when the layouts differ.
    func withInput<Result>(_ runtime: DNNLRuntime, _ source: UnsafePointer<Float>, _ body: (UnsafeMutablePointer<Float>) -> Result) -> Result {
        let plainPointer = UnsafeMutablePointer(mutating: source)
        guard let toChosen else { return body(plainPointer) }
        let buffer = TensorStorage(uninitializedCount: chosenCount)
        let start = OperationProfiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
        runtime.execute(toChosen.primitive, [(cdnnl_arg_from, plain, UnsafeMutableRawPointer(plainPointer)), (cdnnl_arg_to, chosen, UnsafeMutableRawPointer(buffer.pointer))])
        if start > 0 { OperationProfiler.recordDetail(role, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) }
        return withExtendedLifetime(buffer) { body(buffer.pointer) }
    }

    /// Calls `body` with a buffer in the chosen layout for the primitive to write, then
    /// stores it into `destination` (overwriting, or adding when `accumulate`).
    func withOutput(_ runtime: DNNLRuntime, into destination: UnsafeMutablePointer<Float>, accumulate: Bool, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        if toPlain == nil && !accumulate {
            body(destination)
            return
        }
        let buffer = TensorStorage(uninitializedCount: chosenCount)
        body(buffer.pointer)
        let reorder = accumulate ? addToPlain : toPlain
        if let reorder {
            let start = OperationProfiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
            defer { if start > 0 { OperationProfiler.recordDetail(role, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9) } }
            runtime.execute(reorder.primitive, [(cdnnl_arg_from, chosen, UnsafeMutableRawPointer(buffer.pointer)), (cdnnl_arg_to, plain, UnsafeMutableRawPointer(destination))])
        }
        withExtendedLifetime(buffer) {}
    }
}
