import Testing

@testable import DeeperData

@Suite("Short-key cache")
struct ShortKeyCacheTests {
    /// The word-load packing (16 bytes readable) must equal the byte loop for every length.
    @Test func wideAndNarrowPackingAgree() {
        let text = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        text.withUnsafeBufferPointer { all in
            for length in 0...16 {
                let field = UnsafeBufferPointer(rebasing: all[0..<length])
                let wide = _ShortKey(field, readable: all.count)
                let narrow = _ShortKey(field)
                #expect(wide == narrow, "length \(length)")
                #expect(wide.length == length)
            }
        }
    }

    @Test func keysDifferByLengthEvenWithZeroBytes() {
        let bytes: [UInt8] = [0x41, 0x42, 0x00]
        bytes.withUnsafeBufferPointer { b in
            #expect(_ShortKey(UnsafeBufferPointer(rebasing: b[0..<2])) != _ShortKey(b))
        }
    }

    @Test func cacheFindsEveryKeyAcrossGrowth() {
        var cache = _ShortKeyCache()
        let names = (0..<1000).map { Array("K\($0 * 7919)".utf8) }
        for (i, name) in names.enumerated() {
            name.withUnsafeBufferPointer { b in
                #expect(cache.lookup(_ShortKey(b)) == nil)
                cache.insert(_ShortKey(b), Int32(i))
            }
        }
        for (i, name) in names.enumerated().reversed() {
            name.withUnsafeBufferPointer { b in #expect(cache.lookup(_ShortKey(b)) == Int32(i)) }
        }
        Array("missing".utf8).withUnsafeBufferPointer { b in #expect(cache.lookup(_ShortKey(b)) == nil) }
    }
}
