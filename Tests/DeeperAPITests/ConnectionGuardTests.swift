import NIOCore
import NIOEmbedded
import Testing

@testable import DeeperAPI

/// The guard on an embedded channel: bytes in any cut pass on unchanged, heads are found
/// across reads, chunked bodies end where they end, and a refusal is an answer and a close.
@Suite("Connection guard")
struct ConnectionGuardTests {
    static func channel(limits: ConnectionLimits = ConnectionLimits()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(
            handler: ConnectionGuard(limits: limits, access: APIAccess(), counter: ConnectionCounter()))
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// Everything the guard passed on, as one string.
    static func passedOn(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readInbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    static let requests =
        "\r\nPOST /api/prints HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5;a=b\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n"
        + "POST /api/deeper-analysis/compute HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}"
        + "GET /health HTTP/1.0\r\n\r\n"

    @Test(arguments: [1, 2, 3, 7, 64, 10_000])
    func requestsPassOnUnchangedInPiecesOfAnySize(piece: Int) throws {
        let channel = try Self.channel()
        let bytes = Array(Self.requests.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + piece)
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes[start..<end]))
            start = end
        }
        // The empty lines before the first request line are dropped, nothing else.
        #expect(try Self.passedOn(channel) == String(decoding: Array(Self.requests.utf8).dropFirst(2), as: UTF8.self))
        #expect(try channel.readOutbound(as: IOData.self) == nil)
        #expect(channel.isActive)
    }

    @Test func aMalformedHeadAfterAGoodExchangeIsAnsweredAndClosed() throws {
        let channel = try Self.channel()
        try channel.writeInbound(channel.allocator.buffer(string: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))
        // The answer to the first request goes out and is flushed: no answer pending.
        try channel.writeOutbound(IOData.byteBuffer(channel.allocator.buffer(string: "HTTP/1.1 200 OK\r\n\r\n")))
        _ = try channel.readOutbound(as: IOData.self)
        try channel.writeInbound(channel.allocator.buffer(string: "GET /health HTTP/1.1\r\nContent-Length: -1\r\n\r\n"))
        guard case .byteBuffer(let answer)? = try channel.readOutbound(as: IOData.self) else {
            Issue.record("no answer")
            return
        }
        #expect(String(buffer: answer).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(String(buffer: answer).contains("Connection: close"))
        #expect(try Self.passedOn(channel) == "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    }

    @Test func theChunkScannerFindsTheEndInEveryCut() {
        let body = Array("4\r\nwiki\r\n5;x=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nA: b\r\n\r\n".utf8)
        let next = Array("GET / HTTP/1.1\r\n".utf8)
        for cut in 0...body.count {
            var scanner = ChunkedBodyScanner()
            let first = body[..<cut].withUnsafeBytes { scanner.consume($0) }
            #expect(first == cut)
            let rest = (body[cut...] + next).withUnsafeBytes { scanner.consume(UnsafeRawBufferPointer($0)) }
            #expect(rest == body.count - cut, "cut at \(cut)")
            #expect(scanner.isDone)
        }
        for bad in ["zz\r\n", "4\r\nwikiXX", "\r\n", String(repeating: "f", count: 16) + "\r\n"] {
            var scanner = ChunkedBodyScanner()
            #expect(Array(bad.utf8).withUnsafeBytes { scanner.consume($0) } == nil, "\(bad)")
        }
    }
}
