import Foundation
import ShardFormat

/// What the fuzz targets share: their input as a file (the readers under test open paths),
/// a shard with its checksums made valid (so mutations reach the structure behind them), and
/// a way to report a finding.
public enum FuzzSupport {
    /// Runs libFuzzer with `body` as the target: call it from a target's `main.swift`.
    ///
    /// SwiftPM links an executable's `main.swift` as its `main` (under a renamed symbol), so
    /// libFuzzer's own `main` stays out; this hands the command line to libFuzzer's driver
    /// (`LLVMFuzzerRunDriver`), which parses its flags and calls `body` once per input.
    /// - Returns: libFuzzer's exit status (non-zero on a finding), to pass to `exit`.
    public static func run(_ body: @escaping ([UInt8]) -> Void) -> Int32 {
        target = body
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let target = FuzzSupport.target else { return 0 }
            target(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        }
    }

    /// The running target (libFuzzer calls one input at a time, on one thread).
    nonisolated(unsafe) private static var target: (([UInt8]) -> Void)?

    /// A file of this process for the input, in memory when /dev/shm exists.
    public static let scratchDirectory: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("gqnkit-fuzz-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzSupport.scratchDirectory) }
        return url
    }()

    /// Writes `bytes` to `name` in the scratch directory and returns its URL.
    public static func file(_ bytes: [UInt8], named name: String) -> URL {
        let url = scratchDirectory.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        return url
    }

    /// Stops the run with `message` when `condition` is false: a finding, which libFuzzer saves
    /// with the input that caused it.
    public static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition {
            FileHandle.standardError.write(Data("fuzz finding: \(message())\n".utf8))
            abort()
        }
    }

    /// `png` with the CRC-32 of every whole chunk recomputed, so that mutations reach the chunk
    /// contents (the zlib stream, the header fields) instead of stopping at a CRC.
    public static func fixingPNGChunkCRCs(_ png: [UInt8]) -> [UInt8] {
        var out = png
        var offset = 8
        while offset + 12 <= out.count {
            let length = out[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= out.count - offset - 12 else { break }
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in out[(offset + 4)..<(offset + 8 + length)] {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            crc = ~crc
            for k in 0..<4 { out[offset + 8 + length + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
            offset += 12 + length
        }
        return out
    }

    /// `bytes` with the header, index, trailer and record CRC-32Cs recomputed where the file's own
    /// trailer and index say they are, or nil when those do not even point inside the file.
    public static func fixingShardChecksums(_ bytes: [UInt8]) -> [UInt8]? {
        let (headerSize, trailerSize, framing) = (ShardLayout.headerSize, ShardLayout.trailerSize, ShardLayout.recordFramingSize)
        guard bytes.count >= headerSize + trailerSize else { return nil }
        var out = bytes
        func load64(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 8 <= out.count else { return nil }
            let value = (0..<8).reduce(UInt64(0)) { $0 | UInt64(out[offset + $1]) << (8 * UInt64($1)) }
            return value <= UInt64(Int.max) ? Int(value) : nil
        }
        func store32(_ value: UInt32, at offset: Int) {
            for k in 0..<4 { out[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        }
        let trailerStart = out.count - trailerSize
        store32(CRC32C.checksum(Array(out[0..<(headerSize - 4)])), at: headerSize - 4)
        guard let indexOffset = load64(trailerStart), indexOffset >= headerSize, indexOffset <= trailerStart else { return out }
        var offsets: [Int] = []
        for entry in stride(from: indexOffset, to: trailerStart - 7, by: 8) {
            guard let offset = load64(entry) else { return out }
            offsets.append(offset)
        }
        for (i, offset) in offsets.enumerated() {
            let end = i + 1 < offsets.count ? offsets[i + 1] : indexOffset
            guard offset >= headerSize, offset + framing <= end, end <= indexOffset else { continue }
            store32(CRC32C.checksum(Array(out[(offset + framing)..<end])), at: offset + 8)
        }
        store32(CRC32C.checksum(Array(out[indexOffset..<trailerStart])), at: trailerStart + 16)
        store32(CRC32C.checksum(Array(out[trailerStart..<(trailerStart + 20)])), at: trailerStart + 20)
        return out
    }
}

/// libFuzzer's entry point for programs with a main of their own.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
