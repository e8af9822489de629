import Dispatch
import SceneModel

/// The ray tracer's inner loops for one scene, compiled for one instruction set: the
/// module is built twice from the same sources, once for the baseline x86-64 (or whatever
/// the host architecture is) and once as `RenderKernelX86V3` for x86-64-v3 (AVX2, FMA,
/// BMI2), and `RayTracer.Renderer` picks the build the processor can run. Both compute
/// the same floating-point operations in the same order (no fused multiply-add: Swift
/// does not contract), so their images are byte-identical.
///
/// Each pixel is the box-filtered mean of `n x n` stratified, jittered samples accumulated
/// in linear light, converted to sRGB once at the end. Every pixel draws its random numbers
/// from its own PCG32 stream keyed by (seed, pixel index), so the bytes of an image do not
/// depend on the thread count or on which thread rendered which rows. A pixel's samples are
/// traced four at a time as a `RayPacket`: the jitter of up to four samples is drawn first,
/// then their area-light samples.
public struct KernelRenderer: Sendable {
    let scene: Scene
    let compiled: CompiledScene

    /// Compiles a scene for rendering (frames, bounds, face planes), once for all its views.
    public init(scene: Scene) {
        self.scene = scene
        self.compiled = CompiledScene(scene: scene)
    }

    /// Renders one view.
    /// - Parameters:
    ///   - camera: the viewpoint.
    ///   - settings: sampling, threads, seed and extra outputs.
    /// - Returns: the sRGB image and any requested depth map and instance mask.
    /// - Complexity: O(width x height x samples x shapes x (1 + lights)).
    public func render(camera: Camera, settings: RenderSettings) -> RenderedView {
        let (width, height) = (camera.width, camera.height)
        var view = RenderedView(width: width, height: height, rgb: [UInt8](repeating: 0, count: width * height * 3),
                                depthMillimetres: settings.depth ? [UInt16](repeating: 0, count: width * height) : nil,
                                instanceMask: settings.instanceMask ? [UInt8](repeating: 0, count: width * height) : nil)
        var depth = view.depthMillimetres ?? []
        var mask = view.instanceMask ?? []
        let frame = PixelFrame(camera: camera)
        let footprints = compiled.solids.prefix(64).map { frame.footprint(of: $0) }
        // Per full packet of a pixel's samples, the grid cells (column, row) of its four lanes.
        let side = settings.samplesPerSide
        let packetCells = stride(from: 0, to: side * side - 3, by: 4).map { first in
            let cells = (0..<4).map { (first + $0).quotientAndRemainder(dividingBy: side) }
            return (x: SIMD4<Float>(Float(cells[0].remainder), Float(cells[1].remainder), Float(cells[2].remainder),
                                    Float(cells[3].remainder)),
                    y: SIMD4<Float>(Float(cells[0].quotient), Float(cells[1].quotient), Float(cells[2].quotient),
                                    Float(cells[3].quotient)))
        }
        let originTerms = compiled.flats.map { $0.originTerm(frame.origin) }
        view.rgb.withUnsafeMutableBufferPointer { rgb in
            depth.withUnsafeMutableBufferPointer { depth in
                mask.withUnsafeMutableBufferPointer { mask in
                    SRGBEncoder.table.withUnsafeBufferPointer { table in
                      originTerms.withUnsafeBufferPointer { originTerms in
                        compiled.withTraceContext { context in
                            let targets = BandTargets(context: context, srgb: table, rgb: rgb, depth: depth, mask: mask,
                                                      footprints: footprints, originTerms: originTerms,
                                                      packetCells: packetCells)
                            let bands = settings.threads == 1 ? 1 : min(height, settings.threads * 4)
                            let renderBand = { @Sendable (band: Int) in
                                let rows = (band * height / bands)..<((band + 1) * height / bands)
                                Self.render(rows: rows, frame: frame, settings: settings, targets: targets)
                            }
                            if bands == 1 {
                                renderBand(0)
                            } else {
                                DispatchQueue.concurrentPerform(iterations: bands, execute: renderBand)
                            }
                        }
                      }
                    }
                }
            }
        }
        if settings.depth { view.depthMillimetres = depth }
        if settings.instanceMask { view.instanceMask = mask }
        return view
    }

    /// Renders a range of rows into the output buffers (each band writes only its rows).
    private static func render(rows: Range<Int>, frame: PixelFrame, settings: RenderSettings, targets: BandTargets) {
        let (context, srgb, rgb, depth, mask) = (targets.context, targets.srgb, targets.rgb, targets.depth, targets.mask)
        let side = settings.samplesPerSide
        let inverseSide = 1 / Float(side)
        let sampleCount = side * side
        let sampleWeight = 1 / Float(sampleCount)
        let tableScale = Float(SRGBEncoder.tableSize - 1)
        let width = frame.width
        let packetCells = targets.packetCells
        targets.footprints.withUnsafeBufferPointer { footprints in
            for y in rows {
                // Solids whose projected bounds miss this row or pixel are not tested by its camera rays.
                var rowCandidates: UInt64 = 0
                for (index, footprint) in footprints.enumerated() where footprint.rows.contains(y) {
                    rowCandidates |= 1 << UInt64(index)
                }
                for x in 0..<width {
                    let pixel = y * width + x
                    var candidates = rowCandidates
                    var remaining = rowCandidates
                    while remaining != 0 {
                        let index = remaining.trailingZeroBitCount
                        remaining &= remaining - 1
                        if !footprints[index].columns.contains(x) { candidates &= ~(1 << UInt64(index)) }
                    }
                    var rng = PCG32(seed: mixSeed(settings.seed, UInt64(pixel)), stream: UInt64(pixel))
                    var sum = Vector3.zero
                    // The pixel's samples in row-major order, traced four at a time as packets.
                    var sample = 0
                    while sample < sampleCount {
                        let count = min(4, sampleCount - sample)
                        let directions = count == 4
                            ? frame.directions(x: x, y: y, cells: packetCells[sample / 4], inverseSide: inverseSide, rng: &rng)
                            : withUnsafeTemporaryAllocation(of: Vector3.self, capacity: 4) { lanes in
                            for lane in 0..<count {
                                let (sy, sx) = (sample + lane).quotientAndRemainder(dividingBy: side)
                                let u = Float(x) + (Float(sx) + rng.nextFloat()) * inverseSide
                                let v = Float(y) + (Float(sy) + rng.nextFloat()) * inverseSide
                                lanes.initializeElement(at: lane, to: frame.direction(u: u, v: v))
                            }
                            return RayPacket(lanes, count: count)
                        }
                        context.accumulateRadiance(origin: frame.origin, directions: directions, candidates: candidates,
                                                   originTerms: targets.originTerms, rng: &rng, into: &sum)
                        sample += count
                    }
                    let linear = sum * (sampleWeight * tableScale)
                    for channel in 0..<3 {
                        let code = Int(min(max(linear[channel], 0), tableScale) + 0.5)
                        rgb[pixel * 3 + channel] = srgb[code]
                    }
                    if settings.depth || settings.instanceMask {
                        let direction = frame.direction(u: Float(x) + 0.5, v: Float(y) + 0.5)
                        let hit = context.closestHit(origin: frame.origin, direction: direction, candidates: candidates,
                                                     originTerms: targets.originTerms)
                        if settings.depth, let hit {
                            let millimetres = (hit.t * direction.dot(frame.forward) * 1000).rounded()
                            depth[pixel] = UInt16(min(max(millimetres, 1), 65_535))
                        }
                        if settings.instanceMask, let hit {
                            mask[pixel] = context.shapes[hit.shape].instanceID
                        }
                    }
                }
            }
        }
    }
}

/// What the bands of one render share: the scene and the output buffers. Each band writes
/// only the pixels of its own rows, which is what makes sharing the buffers safe.
private struct BandTargets: @unchecked Sendable {
    let context: TraceContext
    let srgb: UnsafeBufferPointer<UInt8>
    let rgb: UnsafeMutableBufferPointer<UInt8>
    let depth: UnsafeMutableBufferPointer<UInt16>
    let mask: UnsafeMutableBufferPointer<UInt8>
    /// Per solid (the first 64), the pixel rectangle its bounding sphere can cover.
    let footprints: [PixelFrame.Footprint]
    /// Per flat, the plane-test term of the camera position (shared by every camera ray).
    let originTerms: UnsafeBufferPointer<Float>
    /// Per full packet of a pixel's samples, the grid cells (columns, rows) of its four lanes.
    let packetCells: [(x: SIMD4<Float>, y: SIMD4<Float>)]
}
