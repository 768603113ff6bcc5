import DeeperTestSupport
import DeeperRedis
import Testing

@Suite("Pipelines")
struct RedisPipelineTests {
    @Test func tenThousandCommandsAnswerInOrder() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        var batch = RedisCommandBatch(reservingCommands: 10_000)
        for _ in 0..<10_000 { batch.append(["INCR", "n"]) }
        let replies = try redis.pipeline(batch)
        #expect(replies.count == 10_000)
        #expect(replies == (1...10_000).map { RedisReply.integer(Int64($0)) })
    }

    @Test func errorReplyDoesNotStopThePipeline() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        let replies = try redis.pipeline([
            ["SET", "text", "abc"],
            ["INCR", "text"],
            ["ECHO", "after"],
        ])
        #expect(replies.count == 3)
        #expect(replies[0] == .status("OK"))
        guard case .error(let message) = replies[1] else {
            Issue.record("expected an error reply, got \(replies[1])")
            return
        }
        #expect(message.hasPrefix("ERR"))
        #expect(replies[2].string == "after")
        #expect(redis.isConnected)
    }

    @Test func emptyPipelineSendsNothing() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        #expect(try redis.pipeline([]) == [])
        #expect(try redis.command(["PING"]) == .status("PONG"))
    }

    @Test(arguments: [0, 7, -7, 10, 1_700_000_000_000, Int.max, Int.min])
    func integerArgumentsAreDecimal(value: Int) throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        var batch = RedisCommandBatch()
        batch.add("SET")
        batch.add("k")
        batch.add(value)
        batch.endCommand()
        batch.append(["GET", "k"])
        let replies = try redis.pipeline(batch)
        #expect(replies == [.status("OK"), .bulk(Array(String(value).utf8))])
    }

    @Test func mixedArgumentKindsAndReuse() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        var batch = RedisCommandBatch()
        batch.add("RPUSH")
        batch.add("list")
        batch.add(bytes: [0x00, 0x0A])
        batch.add("")
        batch.add(42)
        batch.endCommand()
        #expect(batch.count == 1)
        #expect(try redis.pipeline(batch) == [.integer(3)])

        batch.removeAll()
        #expect(batch.isEmpty)
        batch.append(bytes: [Array("LRANGE".utf8), Array("list".utf8), Array("0".utf8), Array("-1".utf8)])
        #expect(try redis.pipeline(batch) == [.array([.bulk([0x00, 0x0A]), .bulk([]), .bulk(Array("42".utf8))])])
    }

    @Test func visitingRepliesCopiesNothingAndKeepsOrder() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        var batch = RedisCommandBatch()
        for index in 0..<1_000 {
            batch.add("ECHO")
            batch.add(index)
            batch.endCommand()
        }
        var visited = 0
        try redis.pipeline(batch) { index, reply in
            #expect(reply.kind == .bulk)
            #expect(String(decoding: reply.bytes, as: UTF8.self) == String(index))
            visited += 1
        }
        #expect(visited == 1_000)
    }
}

@Suite("Streams")
struct RedisStreamTests {
    /// One print as the feed writes it.
    struct Print: Equatable {
        var symbol: String
        var time: Int
        var price: String
        var size: Int
        var venue: String
    }

    static func prints(_ count: Int) -> [Print] {
        (0..<count).map { index in
            Print(
                symbol: ["AAA-PA", "BBB.PRC", "ÇÇÇ-P"][index % 3],
                time: 1_700_000_000_000 + index * 250,
                price: "\(24 + index % 3).\(index % 10_000)",
                size: 100 * (index % 7 + 1),
                venue: index % 4 == 0 ? "" : "V\(index % 4)")
        }
    }

    static func xaddBatch(_ prints: [Print], key: String) -> RedisCommandBatch {
        var batch = RedisCommandBatch(reservingCommands: prints.count, bytesPerCommand: 80, argumentsPerCommand: 13)
        for print in prints {
            batch.add("XADD")
            batch.add(key)
            batch.add("*")
            batch.add("sym")
            batch.add(print.symbol)
            batch.add("t")
            batch.add(print.time)
            batch.add("p")
            batch.add(print.price)
            batch.add("s")
            batch.add(print.size)
            batch.add("v")
            batch.add(print.venue)
            batch.endCommand()
        }
        return batch
    }

    static func decode(_ entry: RedisStreamEntry) -> Print? {
        guard
            let symbol = entry.value(forField: "sym"),
            let time = entry.integer(forField: "t"),
            let price = entry.value(forField: "p"),
            let size = entry.integer(forField: "s"),
            let venue = entry.value(forField: "v")
        else { return nil }
        return Print(
            symbol: String(decoding: symbol, as: UTF8.self), time: Int(time),
            price: String(decoding: price, as: UTF8.self), size: Int(size),
            venue: String(decoding: venue, as: UTF8.self))
    }

    @Test func xaddThenPagedXrangeRoundTrips() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        let key = "deeper_analysis:prints"
        let written = Self.prints(2_500)

        var ids: [RedisStreamID] = []
        try redis.pipeline(Self.xaddBatch(written, key: key)) { _, reply in
            #expect(reply.kind == .bulk)
            if let id = RedisStreamID(bytes: reply.bytes) { ids.append(id) }
        }
        #expect(ids.count == written.count)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(try redis.command(["XLEN", key]) == .integer(2_500))

        var read: [Print] = []
        var readIDs: [RedisStreamID] = []
        var start = "-"
        var pages = 0
        while true {
            let page = try redis.xrange(key, from: start, count: 1_000) { entry in
                #expect(entry.fieldCount == 5)
                readIDs.append(entry.id)
                if let print = Self.decode(entry) { read.append(print) }
            }
            guard let last = page.lastID else { break }
            pages += 1
            #expect(page.count <= 1_000)
            start = "(" + last.description
        }
        #expect(pages == 3)
        #expect(readIDs == ids)
        #expect(read == written)
    }

    /// The pipelined page reader visits exactly what one XRANGE of the whole range visits, and
    /// ends each page where a plain page read would.
    @Test(arguments: [1, 7, 100, 2_345, 5_000])
    func pipelinedPagesEqualOneRead(pageSize: Int) throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        let key = "deeper_analysis:prints"
        let written = Self.prints(2_345)
        _ = try redis.pipeline(Self.xaddBatch(written, key: key))
        // Entries with other shapes: no fields of ours, an empty value, binary bytes.
        _ = try redis.command(["XADD", key, "*", "other", ""])
        _ = try redis.command(["XADD", key, "*", "bin", "\u{0}\r\n"])
        var whole: [(RedisStreamID, [[UInt8]])] = []
        try redis.xrange(key) { entry in
            whole.append((entry.id, (0..<entry.fieldCount).flatMap { [Array(entry.field(at: $0)), Array(entry.value(at: $0))] }))
        }
        #expect(whole.count == 2_347)
        var paged: [(RedisStreamID, [[UInt8]])] = []
        var pages: [RedisStreamPage] = []
        let total = try redis.xrangePages(key, from: "-", pageSize: pageSize) { entry in
            paged.append((entry.id, (0..<entry.fieldCount).flatMap { [Array(entry.field(at: $0)), Array(entry.value(at: $0))] }))
        } endOfPage: { page in
            pages.append(page)
        }
        #expect(total == 2_347)
        #expect(paged.map(\.0) == whole.map(\.0))
        #expect(paged.map(\.1) == whole.map(\.1))
        #expect(pages.count == 2_347 / pageSize + 1)
        #expect(pages.dropLast().allSatisfy { $0.count == pageSize })
        #expect(pages.map(\.lastID).compactMap { $0 }.last == whole.last?.0)
        // From an exclusive start, and the connection is usable afterwards.
        let fromID = whole[1000].0
        var after: [RedisStreamID] = []
        try redis.xrangePages(key, from: "(" + fromID.description, pageSize: pageSize) { after.append($0.id) } endOfPage: { _ in }
        #expect(after == whole[1001...].map(\.0))
        #expect(try redis.command(["PING"]) == .status("PONG"))
    }

    /// The flat reader (stream reads) against hiredis's own reply tree (`command`), its safe
    /// twin: the same entries, ids, fields and bytes, for XRANGE and XREAD alike.
    @Test func flatStreamRepliesEqualHiredisReplyTrees() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        let key = "s"
        _ = try redis.pipeline(Self.xaddBatch(Self.prints(300), key: key))
        _ = try redis.command(["XADD", key, "*", "empty", ""])
        _ = try redis.command([Array("XADD".utf8), Array(key.utf8), Array("*".utf8), Array("bin".utf8), [0, 13, 10, 255]])
        _ = try redis.command(["XADD", key, "*", "f", String(repeating: "x", count: 100_000)])
        func fromTree(_ reply: RedisReply) -> [[[UInt8]]] {
            (reply.array ?? []).map { entry in
                let pair = entry.array ?? []
                return [pair[0].bytes ?? []] + (pair[1].array ?? []).map { $0.bytes ?? [] }
            }
        }
        func entryBytes(_ entry: RedisStreamEntry) -> [[UInt8]] {
            [Array(entry.id.description.utf8)]
                + (0..<entry.fieldCount).flatMap { [Array(entry.field(at: $0)), Array(entry.value(at: $0))] }
        }
        let tree = fromTree(try redis.command(["XRANGE", key, "-", "+"]))
        var flat: [[[UInt8]]] = []
        try redis.xrange(key) { flat.append(entryBytes($0)) }
        #expect(tree.count == 303)
        #expect(flat == tree)

        let readTree = try redis.command(["XREAD", "COUNT", "50", "STREAMS", key, "0-0"])
        let streams = readTree.array ?? []
        #expect(streams.count == 1)
        var read: [[[UInt8]]] = []
        try redis.xread(key, after: .zero, count: 50) { read.append(entryBytes($0)) }
        #expect(read == fromTree((streams.first?.array ?? [])[1]))
    }

    @Test func pipelinedPagesOfAWrongKeyThrowAndLeaveTheConnectionUsable() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        _ = try redis.command(["SET", "text", "abc"])
        #expect {
            try redis.xrangePages("text", pageSize: 10) { _ in } endOfPage: { _ in }
        } throws: { error in
            guard case .server(let message) = error as? RedisError else { return false }
            return message.hasPrefix("WRONGTYPE")
        }
        #expect(try redis.command(["GET", "text"]) == .bulk(Array("abc".utf8)))
        #expect(try redis.xrangePages("missing", pageSize: 10) { _ in } endOfPage: { _ in } == 0)
    }

    @Test func entryAccessors() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        _ = try redis.command(["XADD", "s", "5-1", "a", "1", "bin", "\u{0}\n", "a", "2"])
        let page = try redis.xrange("s") { entry in
            #expect(entry.id == RedisStreamID(milliseconds: 5, sequence: 1))
            #expect(entry.fieldCount == 3)
            #expect(Array(entry.field(at: 1)) == Array("bin".utf8))
            #expect(Array(entry.value(at: 1)) == [0x00, 0x0A])
            #expect(entry.integer(forField: "a") == 1)  // the first of two
            #expect(entry.value(forField: "missing") == nil)
            #expect(entry.integer(forField: "bin") == nil)  // not a number
        }
        #expect(page == RedisStreamPage(count: 1, lastID: RedisStreamID(milliseconds: 5, sequence: 1)))
    }

    @Test func xreadAfterAnIDAndBlockingTimeout() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        let key = "prints"
        let written = Self.prints(300)
        _ = try redis.pipeline(Self.xaddBatch(written, key: key))

        var read: [Print] = []
        var after = RedisStreamID.zero
        while true {
            let page = try redis.xread(key, after: after, count: 128) { entry in
                if let print = Self.decode(entry) { read.append(print) }
            }
            guard let last = page.lastID else { break }
            after = last
        }
        #expect(read == written)

        // Nothing new: BLOCK times out and the reply is nil, an empty page.
        let empty = try redis.xread(key, after: after, block: .milliseconds(20)) { _ in
            Issue.record("no entry expected")
        }
        #expect(empty == RedisStreamPage(count: 0, lastID: nil))
        #expect(redis.isConnected)
    }

    @Test func xrangeOnAnEmptyOrWrongKey() throws {
        let server = try RedisTestServer()
        let redis = try connect(to: server)
        #expect(try redis.xrange("missing") { _ in } == RedisStreamPage(count: 0, lastID: nil))
        _ = try redis.command(["SET", "text", "abc"])
        #expect {
            try redis.xrange("text") { _ in }
        } throws: { error in
            guard case .server(let message) = error as? RedisError else { return false }
            return message.hasPrefix("WRONGTYPE")
        }
    }
}
