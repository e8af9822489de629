/// The fixed numbers of the shard file format, versions 1 and 2.
///
/// The article <doc:ShardFileFormat> specifies the layout byte by byte; these constants are
/// the ones it names. All integers in a shard are little-endian.
public enum ShardLayout {
    /// The format versions this module reads. Version 2 is version 1's layout with one more
    /// image encoding (code 2, JPEG); writers use the lowest version a dataset needs
    /// (``DatasetSchema/formatVersion``).
    public static let supportedFormatVersions: ClosedRange<UInt32> = 1...2
    /// The 8 bytes every shard starts with: ASCII `GQNSHARD`.
    public static let headerMagic: [UInt8] = Array("GQNSHARD".utf8)
    /// The 8 bytes every finished shard ends with: ASCII `GQNTRAIL`.
    public static let trailerMagic: [UInt8] = Array("GQNTRAIL".utf8)
    /// Size of the header, which holds the magic, the version and the schema; the first record
    /// starts right after it.
    public static let headerSize = 40
    /// Size of the trailer at the very end of the file.
    public static let trailerSize = 32
    /// Bytes in front of every record's payload: a `UInt64` payload length and a `UInt32` CRC-32C.
    public static let recordFramingSize = 12
    /// Bytes per entry of the footer index: one `UInt64` record offset.
    public static let indexEntrySize = 8

    static let headerMagicText = "GQNSHARD"
    static let trailerMagicText = "GQNTRAIL"
    /// The first eight bytes of every PNG stream.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The first three bytes of every JPEG stream: the SOI marker and the next marker's 0xFF.
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
}
