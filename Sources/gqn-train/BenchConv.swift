import ArgumentParser
import Dispatch
import Foundation
import Tensors

/// Times forward and backward of every convolution in the GQN `small` configuration.
struct BenchConv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-conv",
        abstract: "Time the convolutions of the GQN small configuration (forward and backward).",
        discussion: """
            Batch 16, 32x32 images, r=128, h=64, z=16, L=6, LSTM kernel 5, scale 4, tower \
            representation over 5 context views (80 images). Prints one JSON line per shape \
            (median milliseconds and GFLOP/s of forward and of backward = input gradient + \
            weight gradient + bias gradient) and a final summary line. Backward counts \
            2x the forward flops.
            """
    )

    @OptionGroup var compute: ComputeOptions

    @Option(help: "Timed runs per shape; medians are reported.")
    var repeats: Int = 5

    @Option(help: "Convolution kernels: onednn or im2col-openblas (default: the engine's own choice).")
    var convolutions: ConvolutionBackend?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, found \(repeats)") }
    }

    func run() throws {
        compute.apply()
        if let convolutions { ConvolutionBackend.preferred = convolutions }
        var totalFlops = 0.0
        var totalSeconds = 0.0
        var forwardFlops = 0.0, forwardSeconds = 0.0, backwardFlops = 0.0, backwardSeconds = 0.0
        for shape in ConvolutionShape.gqnSmall {
            let timing = try shape.measure(repeats: repeats)
            let flops = shape.forwardFlops
            let record = ShapeRecord(
                shape: shape.name, kind: shape.transposed ? "transposedConv2d" : "conv2d", batch: shape.batch,
                input: [shape.inputChannels, shape.height, shape.width], output: shape.outputShape,
                kernel: shape.kernel, stride: shape.stride, padding: shape.padding, bias: shape.bias,
                perStep: shape.perStep, forwardMs: timing.forward * 1e3, backwardMs: timing.backward * 1e3,
                forwardGflops: flops / timing.forward / 1e9, backwardGflops: 2 * flops / timing.backward / 1e9,
                gflopPerStep: 3 * flops * Double(shape.perStep) / 1e9)
            try printJSON(record)
            let weight = Double(shape.perStep)
            forwardFlops += weight * flops
            forwardSeconds += weight * timing.forward
            backwardFlops += weight * 2 * flops
            backwardSeconds += weight * timing.backward
            totalFlops += weight * 3 * flops
            totalSeconds += weight * (timing.forward + timing.backward)
        }
        let summary = Summary(
            summary: true, configuration: "small", threads: compute.threads, blasThreads: ComputeThreads.blasThreads,
            repeats: repeats, forwardGflops: forwardFlops / forwardSeconds / 1e9,
            backwardGflops: backwardFlops / backwardSeconds / 1e9, overallGflops: totalFlops / totalSeconds / 1e9,
            convGflopPerStep: totalFlops / 1e9, convSecondsPerStep: totalSeconds,
            cpu: Machine.cpuModel, logicalCores: ProcessInfo.processInfo.activeProcessorCount,
            blas: ComputeThreads.blasConfiguration, convolutionBackend: ConvolutionBackend.preferred.rawValue,
            onednn: ConvolutionBackend.oneDNNDescription, convolutionKernels: ConvolutionBackend.compiledKernels)
        try printJSON(summary)
    }
}

/// One convolution of the model and how often a training step runs it.
struct ConvolutionShape {
    let name: String
    let batch: Int
    let inputChannels: Int
    let height: Int
    let width: Int
    let outputChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let bias: Bool
    let transposed: Bool
    /// Forward calls per training step (the generator's cores run once per step of L = 6).
    let perStep: Int

    init(
        _ name: String, batch: Int, _ cin: Int, _ size: Int, _ cout: Int, kernel: Int, stride: Int = 1,
        padding: Int = 0, bias: Bool = true, transposed: Bool = false, perStep: Int = 1
    ) {
        self.name = name
        self.batch = batch
        (inputChannels, height, width, outputChannels) = (cin, size, size, cout)
        (self.kernel, self.stride, self.padding, self.bias, self.transposed, self.perStep) =
            (kernel, stride, padding, bias, transposed, perStep)
    }

    /// The GQN `small` configuration (DESIGN section 5).
    static var gqnSmall: [ConvolutionShape] {
        let (batch, views, r, h, z, steps, lstmKernel) = (16, 5, 128, 64, 16, 6, 5)
        let images = batch * views
        let grid = 32 / 4
        let pad = lstmKernel / 2
        return [
            ConvolutionShape("tower.conv1", batch: images, 3, 32, r, kernel: 2, stride: 2),
            ConvolutionShape("tower.skip1", batch: images, r, 16, r, kernel: 2, stride: 2),
            ConvolutionShape("tower.conv2", batch: images, r, 16, r / 2, kernel: 3, padding: 1),
            ConvolutionShape("tower.conv3", batch: images, r / 2, 16, r, kernel: 2, stride: 2),
            ConvolutionShape("tower.skip2", batch: images, r + 7, grid, r, kernel: 3, padding: 1),
            ConvolutionShape("tower.conv4", batch: images, r + 7, grid, r / 2, kernel: 3, padding: 1),
            ConvolutionShape("tower.conv5", batch: images, r / 2, grid, r, kernel: 3, padding: 1),
            ConvolutionShape("tower.conv6", batch: images, r, grid, r, kernel: 1),
            ConvolutionShape("generator.downsample", batch: batch, 3, 32, 3, kernel: 4, stride: 4, bias: false),
            ConvolutionShape(
                "inference.core", batch: batch, h + 3 + 7 + r + h, grid, 4 * h, kernel: lstmKernel, padding: pad,
                perStep: steps),
            ConvolutionShape(
                "generator.core", batch: batch, z + 7 + r + h, grid, 4 * h, kernel: lstmKernel, padding: pad,
                perStep: steps),
            ConvolutionShape("prior", batch: batch, h, grid, 2 * z, kernel: lstmKernel, padding: pad, perStep: steps),
            ConvolutionShape("posterior", batch: batch, h, grid, 2 * z, kernel: lstmKernel, padding: pad, perStep: steps),
            ConvolutionShape(
                "generator.upsample", batch: batch, h, grid, h, kernel: 4, stride: 4, bias: false, transposed: true,
                perStep: steps),
            ConvolutionShape("generator.output", batch: batch, h, 32, 3, kernel: 1),
        ]
    }

    /// `[Cout, Ho, Wo]`.
    var outputShape: [Int] {
        let size =
            transposed ? (height - 1) * stride - 2 * padding + kernel : (height + 2 * padding - kernel) / stride + 1
        return [outputChannels, size, size]
    }

    /// Multiply-adds times two of one forward call.
    var forwardFlops: Double {
        let pixels = transposed ? height * width : outputShape[1] * outputShape[2]
        return 2 * Double(batch * outputChannels * inputChannels * kernel * kernel * pixels)
    }

    /// Median seconds of forward and of backward over `repeats` runs (after one warm-up).
    func measure(repeats: Int) throws -> (forward: Double, backward: Double) {
        let x = Tensor.randomNormal(shape: [batch, inputChannels, height, width], seed: 1)
        let weightShape =
            transposed
            ? [inputChannels, outputChannels, kernel, kernel] : [outputChannels, inputChannels, kernel, kernel]
        let w = Tensor.randomNormal(shape: weightShape, seed: 2, standardDeviation: 0.05)
        let b = Tensor.randomNormal(shape: [outputChannels], seed: 3)
        let gy = Tensor.randomNormal(shape: [batch] + outputShape, seed: 4)
        func apply(_ x: Tensor, _ w: Tensor, _ b: Tensor) throws -> Tensor {
            transposed
                ? try x.transposedConv2d(w, bias: bias ? b : nil, stride: stride, padding: padding)
                : try x.conv2d(w, bias: bias ? b : nil, stride: stride, padding: padding)
        }
        var forward: [Double] = []
        var backward: [Double] = []
        for run in 0...repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try apply(x, w, b)
            let middle = DispatchTime.now().uptimeNanoseconds
            let tape = Tape()
            let y = try apply(tape.watch(x), tape.watch(w), tape.watch(b))
            let before = DispatchTime.now().uptimeNanoseconds
            try tape.backward(from: y, seed: gy)
            let end = DispatchTime.now().uptimeNanoseconds
            if run > 0 {
                forward.append(Double(middle - start) * 1e-9)
                backward.append(Double(end - before) * 1e-9)
            }
        }
        return (median(forward), median(backward))
    }
}

/// The middle value (mean of the two middle values for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Facts about the machine for benchmark records.
enum Machine {
    /// The CPU model from `/proc/cpuinfo`, or "unknown".
    static var cpuModel: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let value = line.split(separator: ":", maxSplits: 1).last {
                return value.trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }
}

/// One benchmark line per convolution shape.
struct ShapeRecord: Encodable {
    let shape: String
    let kind: String
    let batch: Int
    let input: [Int]
    let output: [Int]
    let kernel: Int
    let stride: Int
    let padding: Int
    let bias: Bool
    let perStep: Int
    let forwardMs: Double
    let backwardMs: Double
    let forwardGflops: Double
    let backwardGflops: Double
    let gflopPerStep: Double
}

/// The last benchmark line: totals weighted by how often a training step runs each shape.
struct Summary: Encodable {
    let summary: Bool
    let configuration: String
    let threads: Int
    let blasThreads: Int
    let repeats: Int
    let forwardGflops: Double
    let backwardGflops: Double
    let overallGflops: Double
    let convGflopPerStep: Double
    let convSecondsPerStep: Double
    let cpu: String
    let logicalCores: Int
    let blas: String
    /// The backend convolutions prefer, oneDNN's version and ISA, and each shape's kernel.
    let convolutionBackend: String
    let onednn: String
    let convolutionKernels: [String: String]
}

/// Prints a value as one line of JSON with snake_case keys.
func printJSON<Value: Encodable>(_ value: Value) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
