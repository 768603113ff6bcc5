import DeeperKernels
import Testing

/// `Prefault.populate` is advice only: it must never change a byte, at any alignment or size.
@Suite struct PrefaultTests {
    @Test(arguments: [0, 1, 4095, 4096, (1 << 20) - 1, 1 << 20, (3 << 20) + 123])
    func populateKeepsEveryByte(count: Int) {
        // Odd offsets into the allocation, so the buffer starts and ends inside pages.
        for offset in [0, 1, 4093] {
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: count + offset, alignment: 4096)
            defer { storage.deallocate() }
            for i in storage.indices { storage[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
            let buffer = UnsafeMutableRawBufferPointer(rebasing: storage[offset...])
            Prefault.populate(buffer)
            #expect(storage.indices.allSatisfy { storage[$0] == UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        }
    }

    /// Fresh, never-written memory reads as zeros after populating, as after a first write.
    @Test func freshMemoryIsUsable() {
        let n = 4 << 20
        let words = [Int64](unsafeUninitializedCapacity: n / 8) { buffer, initialized in
            Prefault.populate(buffer)
            for i in 0..<buffer.count { buffer[i] = Int64(i) }
            initialized = buffer.count
        }
        #expect(words.count == n / 8)
        #expect(words.enumerated().allSatisfy { $0.offset == Int($0.element) })
    }
}
