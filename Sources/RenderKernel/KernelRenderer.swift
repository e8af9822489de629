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
/// depend on the thread count or on which thread rendered which rows. Two neighbouring
/// pixels are traced together as a `RayPacket` of eight lanes, four samples of each at a
/// time: each pixel's jitter of up to four samples is drawn first, then their area-light
/// samples, so each pixel's stream is read in the order tracing it alone would read it.
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
        // Solids' footprints, then flats': bits 0..<64 of a pixel's candidates are solids, the
        // flats' candidates a second mask.
        let footprints = compiled.solids.prefix(64).map { frame.footprint(of: $0) }
        let flatFootprints = compiled.flats.prefix(64).map { frame.footprint(of: $0) }
        // Per four samples of a pixel, the grid cells (column, row) of its four lanes, the
        // same in both pixel groups of a packet.
        let side = settings.samplesPerSide
        let packetCells = stride(from: 0, to: side * side - 3, by: 4).map { first in
            let cells = (0..<4).map { (first + $0).quotientAndRemainder(dividingBy: side) }
            let columns = SIMD4<Float>(Float(cells[0].remainder), Float(cells[1].remainder), Float(cells[2].remainder),
                                       Float(cells[3].remainder))
            let rows = SIMD4<Float>(Float(cells[0].quotient), Float(cells[1].quotient), Float(cells[2].quotient),
                                    Float(cells[3].quotient))
            return (x: Lanes(lowHalf: columns, highHalf: columns), y: Lanes(lowHalf: rows, highHalf: rows))
        }
        let originTerms = compiled.flats.map { $0.originTerm(frame.origin) }
        view.rgb.withUnsafeMutableBufferPointer { rgb in
            depth.withUnsafeMutableBufferPointer { depth in
                mask.withUnsafeMutableBufferPointer { mask in
                    SRGBEncoder.table.withUnsafeBufferPointer { table in
                      originTerms.withUnsafeBufferPointer { originTerms in
                        compiled.withTraceContext { context in
                            let targets = BandTargets(context: context, srgb: table, rgb: rgb, depth: depth, mask: mask,
                                                      footprints: footprints, flatFootprints: flatFootprints,
                                                      originTerms: originTerms,
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
          targets.flatFootprints.withUnsafeBufferPointer { flatFootprints in
            for y in rows {
                // Shapes whose projected bounds miss this row or pixel are not tested by its camera rays.
                let rowCandidates = Self.candidates(row: y, footprints: footprints)
                let rowFlatCandidates = Self.candidates(row: y, footprints: flatFootprints)
                // Two pixels per packet (one at the end of an odd row).
                for x in stride(from: 0, to: width, by: RayPacket.groups) {
                    let pixelCount = min(RayPacket.groups, width - x)
                    let first = y * width + x
                    let second = first + pixelCount - 1
                    let candidates = (Self.candidates(column: x, of: rowCandidates, footprints: footprints),
                                      Self.candidates(column: x + pixelCount - 1, of: rowCandidates, footprints: footprints))
                    let flatCandidates = Self.candidates(column: x, of: rowFlatCandidates, footprints: flatFootprints)
                        | Self.candidates(column: x + pixelCount - 1, of: rowFlatCandidates, footprints: flatFootprints)
                    var pixels = PacketPixels(rngs: (PCG32(seed: mixSeed(settings.seed, UInt64(first)), stream: UInt64(first)),
                                                     PCG32(seed: mixSeed(settings.seed, UInt64(second)), stream: UInt64(second))))
                    // Each pixel's samples in row-major order, four at a time.
                    var sample = 0
                    while sample < sampleCount {
                        let count = min(RayPacket.groupWidth, sampleCount - sample)
                        let directions = count == RayPacket.groupWidth
                            ? frame.directions(x: x, y: y, cells: packetCells[sample / 4], inverseSide: inverseSide,
                                               pixels: pixelCount, rngs: &pixels.rngs)
                            : withUnsafeTemporaryAllocation(of: Vector3.self, capacity: RayPacket.width) { lanes in
                            var active = LaneMask(repeating: false)
                            for group in 0..<pixelCount {
                                for lane in 0..<count {
                                    let (sy, sx) = (sample + lane).quotientAndRemainder(dividingBy: side)
                                    let direction = pixels.withStream(ofLane: group * RayPacket.groupWidth) { rng in
                                        let u = Float(x + group) + (Float(sx) + rng.nextFloat()) * inverseSide
                                        let v = Float(y) + (Float(sy) + rng.nextFloat()) * inverseSide
                                        return frame.direction(u: u, v: v)
                                    }
                                    lanes.initializeElement(at: group * RayPacket.groupWidth + lane, to: direction)
                                    active[group * RayPacket.groupWidth + lane] = true
                                }
                            }
                            return RayPacket(lanes, active: active)
                        }
                        context.accumulateRadiance(origin: frame.origin, directions: directions, candidates: candidates,
                                                   flatCandidates: flatCandidates, originTerms: targets.originTerms,
                                                   pixels: &pixels)
                        sample += count
                    }
                    for group in 0..<pixelCount {
                        let pixel = first + group
                        let linear = (group == 0 ? pixels.sums.0 : pixels.sums.1) * (sampleWeight * tableScale)
                        for channel in 0..<3 {
                            let code = Int(min(max(linear[channel], 0), tableScale) + 0.5)
                            rgb[pixel * 3 + channel] = srgb[code]
                        }
                        guard settings.depth || settings.instanceMask else { continue }
                        let direction = frame.direction(u: Float(x + group) + 0.5, v: Float(y) + 0.5)
                        let hit = context.closestHit(origin: frame.origin, direction: direction,
                                                     candidates: group == 0 ? candidates.0 : candidates.1,
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
}

extension KernelRenderer {
    /// The shapes (bit `i` for footprint `i`) whose footprint covers row `row`.
    @inline(__always)
    fileprivate static func candidates(row: Int, footprints: UnsafeBufferPointer<PixelFrame.Footprint>) -> UInt64 {
        var candidates: UInt64 = 0
        for (index, footprint) in footprints.enumerated() where footprint.rows.contains(row) {
            candidates |= 1 << UInt64(index)
        }
        return candidates
    }

    /// The shapes of `rowCandidates` whose footprint covers column `column`.
    @inline(__always)
    fileprivate static func candidates(column: Int, of rowCandidates: UInt64,
                                       footprints: UnsafeBufferPointer<PixelFrame.Footprint>) -> UInt64 {
        var candidates = rowCandidates
        var remaining = rowCandidates
        while remaining != 0 {
            let index = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            if !footprints[index].columns.contains(column) { candidates &= ~(1 << UInt64(index)) }
        }
        return candidates
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
    /// Per flat (the first 64), the pixel rectangle its visible part can cover.
    let flatFootprints: [PixelFrame.Footprint]
    /// Per flat, the plane-test term of the camera position (shared by every camera ray).
    let originTerms: UnsafeBufferPointer<Float>
    /// Per four samples of a pixel, the grid cells (columns, rows) of a packet's lanes.
    let packetCells: [(x: Lanes, y: Lanes)]
}
