import CPNG

/// A fast path for the most common PNG in our datasets: 8-bit RGB, not interlaced, no
/// palette or transparency, sRGB (or no colour information).
///
/// libpng inflates one row at a time; for small images (a 64-pixel RGB row is 193 bytes)
/// that keeps zlib off its fast loop (`inflate_fast` needs 258 bytes of output room), which
/// made inflate 70 % of a 64 x 64 decode. This path inflates the whole image in one call into
/// a scratch buffer, then undoes the row filters. It decodes nothing libpng would decode
/// differently: any other layout, any ancillary chunk that could change colours, and any
/// problem at all (a CRC, the zlib stream, the sizes) makes it decline, and the caller falls
/// back to libpng, which decodes or reports the error as before.
enum PNGWholeImageDecoder {
    /// Decodes `data` into `destination` (`width * height * 3` bytes, rows top to bottom) and
    /// returns true, or returns false (having possibly written to `destination`) when libpng
    /// should decode it instead.
    static func decodeRGB8(_ data: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                           width: Int, height: Int) -> Bool {
        let rowBytes = width * 3
        guard width > 0, height > 0, destination.count >= rowBytes * height, data.count > 8,
              data.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return false }
        let filteredSize = height * (rowBytes + 1)
        let filtered = UnsafeMutableRawBufferPointer.allocate(byteCount: filteredSize, alignment: 16)
        defer { filtered.deallocate() }

        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return false }
        defer { inflateEnd(&stream) }
        stream.next_out = filtered.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = UInt32(filteredSize)

        var offset = 8
        var sawHeader = false, streamEnded = false
        while true {
            guard data.count - offset >= 12 else { return false }
            let length = Int(bigEndianUInt32(data, offset))
            guard length <= data.count - offset - 12 else { return false }
            let type = bigEndianUInt32(data, offset + 4)
            let body = UnsafeRawBufferPointer(rebasing: data[(offset + 8)..<(offset + 8 + length)])
            let storedCRC = bigEndianUInt32(data, offset + 8 + length)
            let typeAndBody = UnsafeRawBufferPointer(rebasing: data[(offset + 4)..<(offset + 8 + length)])
            guard UInt32(crc32(0, typeAndBody.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(length + 4)))
                    == storedCRC else { return false }
            offset += 12 + length
            switch type {
            case chunk("IHDR"):
                // Width, height, bit depth 8, colour type 2 (RGB), compression 0, filter 0, no interlace.
                guard !sawHeader, length == 13, Int(bigEndianUInt32(body, 0)) == width, Int(bigEndianUInt32(body, 4)) == height,
                      body[8] == 8, body[9] == 2, body[10] == 0, body[11] == 0, body[12] == 0 else { return false }
                sawHeader = true
            case chunk("IDAT"):
                guard sawHeader, !streamEnded else { return false }
                if length == 0 { continue }
                stream.next_in = UnsafeMutablePointer(mutating: body.baseAddress!.assumingMemoryBound(to: UInt8.self))
                stream.avail_in = UInt32(length)
                let status = inflate(&stream, Z_NO_FLUSH)
                if status == Z_STREAM_END {
                    streamEnded = true
                } else if status != Z_OK || stream.avail_in != 0 {
                    return false
                }
            case chunk("IEND"):
                guard streamEnded, stream.avail_out == 0 else { return false }
                return unfilter(filtered, into: destination, rowBytes: rowBytes, height: height)
            case chunk("sRGB"), chunk("pHYs"), chunk("tEXt"), chunk("zTXt"), chunk("iTXt"), chunk("tIME"):
                // Nothing libpng's simplified API does with these changes 8-bit RGB output.
                guard sawHeader else { return false }
            case chunk("gAMA"):
                // Only the sRGB-equivalent gamma (1/2.2) leaves the samples as stored.
                guard sawHeader, length == 4, bigEndianUInt32(body, 0) == 45_455 else { return false }
            default:
                return false
            }
        }
    }

    /// Undoes the five PNG row filters (3 bytes per pixel); false for an unknown filter type.
    private static func unfilter(_ filtered: UnsafeMutableRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                                 rowBytes: Int, height: Int) -> Bool {
        let source = filtered.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let out = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for y in 0..<height {
            let raw = source + y * (rowBytes + 1) + 1
            let row = out + y * rowBytes
            let filter = raw[-1]
            // The row above, or nil for the first row (its bytes count as 0).
            let above: UnsafeMutablePointer<UInt8>? = y == 0 ? nil : row - rowBytes
            switch (filter, above) {
            case (0, _):
                row.update(from: raw, count: rowBytes)
            case (1, _):
                for i in 0..<min(3, rowBytes) { row[i] = raw[i] }
                for i in 3..<max(3, rowBytes) { row[i] = raw[i] &+ row[i - 3] }
            case (2, nil):
                row.update(from: raw, count: rowBytes)
            case (2, let up?):
                for i in 0..<rowBytes { row[i] = raw[i] &+ up[i] }
            case (3, nil):
                for i in 0..<min(3, rowBytes) { row[i] = raw[i] }
                for i in 3..<max(3, rowBytes) { row[i] = raw[i] &+ row[i - 3] >> 1 }
            case (3, let up?):
                for i in 0..<min(3, rowBytes) { row[i] = raw[i] &+ up[i] >> 1 }
                for i in 3..<max(3, rowBytes) {
                    row[i] = raw[i] &+ UInt8(truncatingIfNeeded: (UInt16(row[i - 3]) + UInt16(up[i])) >> 1)
                }
            case (4, nil):
                // Paeth with no row above predicts from the left: the Sub filter.
                for i in 0..<min(3, rowBytes) { row[i] = raw[i] }
                for i in 3..<max(3, rowBytes) { row[i] = raw[i] &+ row[i - 3] }
            case (4, let up?):
                for i in 0..<min(3, rowBytes) { row[i] = raw[i] &+ up[i] }
                for i in 3..<max(3, rowBytes) {
                    row[i] = raw[i] &+ paeth(left: row[i - 3], above: up[i], upperLeft: up[i - 3])
                }
            default:
                return false
            }
        }
        return true
    }

    /// The Paeth predictor (PNG specification, section 9.4), branch-light.
    @inline(__always)
    private static func paeth(left: UInt8, above: UInt8, upperLeft: UInt8) -> UInt8 {
        let a = Int16(left), b = Int16(above), c = Int16(upperLeft)
        let pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c)
        if pa <= pb && pa <= pc { return left }
        return pb <= pc ? above : upperLeft
    }

    @inline(__always)
    private static func bigEndianUInt32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static func chunk(_ name: StaticString) -> UInt32 {
        let p = name.utf8Start
        return UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
    }
}
