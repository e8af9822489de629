import Testing
@testable import ShardFormat

@Suite("CRC-32C")
struct CRC32CTests {
    @Test("check value of \"123456789\" is 0xE3069283")
    func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test("empty input gives 0; 32 zero bytes give the RFC 3720 value")
    func knownVectors() {
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test("ISA-L's CRC agrees with the bytewise definition at every length to 300, at long lengths, and at split points")
    func isalMatchesBitwise() {
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        // Short inputs take the byte loop, long ones the folding paths (64-byte blocks and up).
        let data = Fixtures.bytes(70_001, seed: 3)
        for length in Array(0...300) + [1_024, 4_099, 65_537, 70_001] {
            let prefix = Array(data[0..<length])
            #expect(CRC32C.checksum(prefix) == bitwise(prefix))
            let split = length / 3
            let head = CRC32C.checksum(Array(prefix[0..<split]))
            let whole = Array(prefix[split...]).withUnsafeBytes { CRC32C.update(head, with: $0) }
            #expect(whole == bitwise(prefix))
        }
    }
}
