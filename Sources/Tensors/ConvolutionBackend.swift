/// The kernels that run ``Tensor/conv2d(_:bias:stride:padding:)`` and
/// ``Tensor/transposedConv2d(_:bias:stride:padding:)``.
///
/// The engine picks the backend by itself: oneDNN whenever it can compile a JIT kernel for
/// the shape on this host (every convolution of the GQN configurations on AVX2 and AVX-512
/// machines), im2col + OpenBLAS otherwise. The rule is fixed rather than timed at run time,
/// so the same shapes always take the same kernels and results stay bit-reproducible
/// across processes (resume after a restart continues the same run).
public enum ConvolutionBackend: String, Sendable, CaseIterable, Codable {
    /// oneDNN's direct convolutions in the blocked layouts it picks for the host.
    case oneDNN = "onednn"
    /// im2col (col2im for the adjoint) plus one OpenBLAS `sgemm` per chunk of whole images:
    /// the portable path, and the reference the tests compare oneDNN against.
    case im2colGEMM = "im2col-openblas"

    private struct State {
        var preferred: ConvolutionBackend = DNNLRuntime.shared == nil ? .im2colGEMM : .oneDNN
        var plans: [ConvolutionShape: ConvolutionPlan?] = [:]
    }

    private static let state = LockedValue(State())

    /// The backend new convolutions use. Defaults to ``oneDNN`` when oneDNN has a CPU engine.
    ///
    /// Setting it is for comparisons (tests, `gqn-train bench-conv`); shapes oneDNN cannot
    /// compile fall back to ``im2colGEMM`` either way.
    public static var preferred: ConvolutionBackend {
        get { state.withLock { $0.preferred } }
        set { state.withLock { $0.preferred = newValue } }
    }

    /// oneDNN's version and the instruction set its kernels target here, e.g. `oneDNN 2.6.3 avx512_core`.
    public static var oneDNNDescription: String {
        DNNLRuntime.shared == nil ? "oneDNN unavailable" : "oneDNN \(DNNLRuntime.version) \(DNNLRuntime.instructionSet)"
    }

    /// Every shape compiled so far with the kernel that runs it (`jit:avx512_core`, ...),
    /// or `im2col-openblas` for shapes oneDNN declined; keyed by a readable description.
    public static var compiledKernels: [String: String] {
        state.withLock { state in
            var kernels: [String: String] = [:]
            for (shape, plan) in state.plans {
                kernels[shape.summary] = plan?.implementation ?? ConvolutionBackend.im2colGEMM.rawValue
            }
            return kernels
        }
    }

    /// The oneDNN plan for `shape`, or `nil` when the im2col path should run it.
    static func plan(for shape: ConvolutionShape) -> ConvolutionPlan? {
        state.withLock { state in
            guard state.preferred == .oneDNN else { return nil }
            if let cached = state.plans[shape] { return cached }
            // oneDNN sizes its per-thread scratch for the calling thread's team at creation.
            ComputeThreads.prepareCurrentThread()
            var plan = try? ConvolutionPlan(shape)
            // oneDNN's reference and GEMM-based kernels are no faster than im2col + OpenBLAS
            // and add reorders; keep oneDNN only where it compiled a direct JIT kernel.
            if let compiled = plan, !compiled.isDirectKernel { plan = nil }
            state.plans[shape] = plan
            return plan
        }
    }
}

extension ConvolutionShape {
    /// E.g. `conv 16x64x8x8 -> 544 k5 s1 p2`.
    var summary: String {
        "\(transposed ? "deconv" : "conv") \(batch)x\(inputChannels)x\(inputHeight)x\(inputWidth) -> \(outputChannels) "
            + "k\(kernelHeight)x\(kernelWidth) s\(stride) p\(padding)\(hasBias ? "" : " nobias") t\(threads)"
    }
}

extension ConvolutionPlan {
    /// Whether oneDNN compiled direct (JIT or brgemm) kernels for all three passes rather
    /// than its GEMM-based or reference paths.
    var isDirectKernel: Bool {
        implementations.allSatisfy { name in (name.hasPrefix("jit") || name.hasPrefix("brg")) && !name.contains("gemm") }
    }
}
