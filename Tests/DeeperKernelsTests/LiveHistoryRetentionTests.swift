@testable import DeeperKernels
import Testing

/// Per-symbol retention (issue #9): evicting one symbol's old prints leaves every other symbol
/// as it was, and later arrivals older than that symbol's cutoff are counted as stale.
@Suite struct LiveHistoryRetentionTests {
    @Test func evictingOneSymbolLeavesTheOthersWhole() {
        var h = LiveHistory(rules: .default)
        for t in 1...10 {
            h.append(symbol: "OLD", time: Int64(t), price: 250_000, size: 100, venue: "NYSE")
            h.append(symbol: "NEW", time: Int64(t), price: 250_000, size: 100, venue: "NYSE")
        }
        h.append(symbol: "NEW", time: 1_000, price: 250_000, size: 100, venue: "NYSE")
        let new = h.index(of: "NEW")!
        let old = h.index(of: "OLD")!
        #expect(h.newestTime(ofSymbol: new) == 1_000)
        h.evict(symbolID: new, before: 500)
        #expect(h.printCount(ofSymbol: new) == 1)
        #expect(h.printCount(ofSymbol: old) == 10)
        #expect(h.count == 11)
        #expect(h.columns(ofSymbol: "OLD")?.time == (1...10).map { Int64($0) })

        // A late print of NEW below its cutoff is stale; one of OLD at the same time is not.
        h.append(symbol: "NEW", time: 400, price: 250_000, size: 100, venue: "NYSE")
        h.append(symbol: "OLD", time: 400, price: 250_000, size: 100, venue: "NYSE")
        #expect(h.staleCount == 1)
        #expect(h.printCount(ofSymbol: old) == 11)
        // A cutoff at or below an earlier one does nothing; emptied symbols report no newest time.
        h.evict(symbolID: new, before: 100)
        #expect(h.printCount(ofSymbol: new) == 1)
        h.evict(symbolID: new, before: 2_000)
        #expect(h.printCount(ofSymbol: new) == 0)
        #expect(h.newestTime(ofSymbol: new) == nil)
        #expect(h.count == 11)
    }
}
