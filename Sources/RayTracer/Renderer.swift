@_exported import SceneModel
import CPUFeatures
import RenderKernel
import RenderKernelX86V3
import RenderKernelX86V4

/// Renders a ``/SceneModel/Scene`` by ray tracing with direct lighting and shadow rays.
///
/// Each pixel is the box-filtered mean of `n x n` stratified, jittered samples accumulated
/// in linear light, converted to sRGB once at the end. Every pixel draws its random numbers
/// from its own PCG32 stream keyed by (seed, pixel index), so the bytes of an image do not
/// depend on the thread count or on which thread rendered which rows. Two neighbouring
/// pixels are traced together as packets of eight rays, four samples of each: each pixel's
/// jitter of up to four samples is drawn first, then their area-light samples.
///
/// The tracing loops are compiled three times, for baseline x86-64, for x86-64-v3 (AVX2, FMA,
/// BMI2) and for x86-64-v4 (AVX-512); a renderer uses the best build the processor runs
/// (``InstructionSet/best``), with byte-identical images.
///
/// Build one `Renderer` per scene and call ``render(camera:settings:)`` once per view: the
/// scene is compiled (frames, bounds, face planes) once.
public struct Renderer: Sendable {
    /// The builds of the tracing loops.
    public enum InstructionSet: String, Sendable, CaseIterable {
        /// The architecture's baseline (x86-64 with SSE2, or whatever the host is).
        case baseline
        /// x86-64-v3: AVX, AVX2, FMA, BMI1, BMI2, F16C, LZCNT, MOVBE.
        case x86_64_v3 = "x86-64-v3"
        /// x86-64-v4: x86-64-v3 plus AVX-512 F, CD, BW, DQ and VL.
        case x86_64_v4 = "x86-64-v4"

        /// The fastest build this processor runs, asked once.
        public static let best: InstructionSet =
            gqnkit_cpu_runs_x86_64_v4() != 0 ? .x86_64_v4 : gqnkit_cpu_runs_x86_64_v3() != 0 ? .x86_64_v3 : .baseline

        /// Whether this processor runs code built for this instruction set.
        public var isSupported: Bool {
            switch self {
            case .baseline: return true
            case .x86_64_v3: return Self.best != .baseline
            case .x86_64_v4: return Self.best == .x86_64_v4
            }
        }
    }

    private enum Kernel: Sendable {
        case baseline(RenderKernel.KernelRenderer)
        case v3(RenderKernelX86V3.KernelRenderer)
        case v4(RenderKernelX86V4.KernelRenderer)
    }

    /// The scene as given.
    public let scene: Scene
    /// The build of the tracing loops this renderer runs.
    public let instructionSet: InstructionSet
    private let kernel: Kernel

    /// Compiles a scene for rendering with the fastest build the processor runs.
    public init(scene: Scene) {
        self.init(scene: scene, instructionSet: .best)
    }

    /// Compiles a scene for rendering with a given build of the tracing loops.
    /// - Precondition: `instructionSet.isSupported` (a build the processor cannot run would
    ///   stop the process with an illegal instruction).
    public init(scene: Scene, instructionSet: InstructionSet) {
        precondition(instructionSet.isSupported,
                     "this processor does not run \(instructionSet.rawValue) code; use Renderer.InstructionSet.best")
        self.scene = scene
        self.instructionSet = instructionSet
        switch instructionSet {
        case .baseline: kernel = .baseline(RenderKernel.KernelRenderer(scene: scene))
        case .x86_64_v3: kernel = .v3(RenderKernelX86V3.KernelRenderer(scene: scene))
        case .x86_64_v4: kernel = .v4(RenderKernelX86V4.KernelRenderer(scene: scene))
        }
    }

    /// Renders one view.
    /// - Parameters:
    ///   - camera: the viewpoint; the scene's own camera when nil.
    ///   - settings: sampling, threads, seed and extra outputs.
    /// - Returns: the sRGB image and any requested depth map and instance mask.
    /// - Complexity: O(width x height x samples x shapes x (1 + lights)).
    public func render(camera: Camera? = nil, settings: RenderSettings) -> RenderedView {
        let camera = camera ?? scene.camera
        switch kernel {
        case .baseline(let renderer): return renderer.render(camera: camera, settings: settings)
        case .v3(let renderer): return renderer.render(camera: camera, settings: settings)
        case .v4(let renderer): return renderer.render(camera: camera, settings: settings)
        }
    }
}
