import DeeperTestSupport
import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol (CDP): the tests load a page, wait on
/// conditions the page's own JavaScript evaluates, click, and take screenshots, in real time
/// (unlike `--virtual-time-budget`, which runs timers ahead of the server's messages).
final class HeadlessChromium: Sendable {
    let process: ChildProcess
    let profile: URL
    /// `ws://127.0.0.1:<port>`: where DevTools listens.
    let endpoint: String
    let browserPath: String

    init(_ chromium: String, windowSize: String = "1400,1000") throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("deeper-cdp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        process = try ChildProcess(
            chromium,
            arguments: [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
                "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=\(windowSize)", "about:blank",
            ],
            stdout: profile.appendingPathComponent("chromium.log").path)
        // Chromium writes the port it chose, and the browser's path, to DevToolsActivePort.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let deadline = ContinuousClock.now + .seconds(60)
        var lines: [Substring] = []
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8) {
                lines = text.split(separator: "\n")
                if lines.count >= 2 { break }
            }
            usleep(50_000)
        }
        guard lines.count >= 2 else {
            process.terminate(signal: SIGKILL)
            throw SupportError("Chromium did not open DevTools within 60 s")
        }
        endpoint = "ws://127.0.0.1:\(lines[0])"
        browserPath = String(lines[1])
    }

    deinit {
        process.terminate(signal: SIGKILL)
        _ = process.wait(timeout: .seconds(10))
        try? FileManager.default.removeItem(at: profile)
    }

    /// Opens a new tab at `url` and runs `body` with a DevTools session on it.
    func withPage(_ url: String, _ body: @escaping @Sendable (DevToolsSession) async throws -> Void) async throws {
        let target = try await Self.session(endpoint + browserPath) { browser in
            let reply = try await browser.call("Target.createTarget", ["url": "about:blank"])
            guard let id = reply["targetId"] as? String else { throw SupportError("no targetId in \(reply)") }
            return id
        }
        _ = try await Self.session(endpoint + "/devtools/page/" + target) { page in
            _ = try await page.call("Page.enable")
            _ = try await page.call("Page.navigate", ["url": url])
            try await body(page)
            return ""
        }
    }

    private static func session(
        _ url: String, _ body: @escaping @Sendable (DevToolsSession) async throws -> String
    ) async throws -> String {
        let box = OutcomeBox()
        var configuration = WebSocketClientConfiguration()
        // Screenshots arrive as one message of several megabytes.
        configuration.maxFrameSize = 1 << 26
        var logger = Logger(label: "cdp")
        logger.logLevel = .warning
        try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            let session = DevToolsSession(inbound: inbound, outbound: outbound)
            let outcome: Result<String, any Error>
            do { outcome = .success(try await body(session)) } catch { outcome = .failure(error) }
            box.outcome.withLock { $0 = outcome }
        }
        guard let outcome = box.outcome.withLock({ $0 }) else { throw SupportError("DevTools connection to \(url) failed") }
        return try outcome.get()
    }

    private final class OutcomeBox: Sendable {
        let outcome = Mutex<Result<String, any Error>?>(nil)
    }
}

/// One DevTools connection: numbered calls, their answers; events are read past.
final class DevToolsSession: @unchecked Sendable {
    // Only the task running the session's body uses it (calls are strictly one after another).
    private var messages: WebSocketInboundMessageStream.AsyncIterator
    private let outbound: WebSocketOutboundWriter
    private var nextID = 0

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        self.messages = inbound.messages(maxSize: 1 << 27).makeAsyncIterator()
        self.outbound = outbound
    }

    /// Calls `method` and returns its `result`; a protocol error is thrown.
    func call(_ method: String, _ parameters: [String: Any] = [:]) async throws -> [String: Any] {
        nextID += 1
        let id = nextID
        let request = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": parameters])
        try await outbound.write(.text(String(decoding: request, as: UTF8.self)))
        while let message = try await messages.next() {
            guard case .text(let text) = message,
                let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                object["id"] as? Int == id
            else { continue }
            if let error = object["error"] { throw SupportError("\(method): \(error)") }
            return object["result"] as? [String: Any] ?? [:]
        }
        throw SupportError("DevTools closed during \(method)")
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    func evaluate(_ expression: String) async throws -> Any? {
        let reply = try await call(
            "Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = reply["exceptionDetails"] { throw SupportError("\(expression): \(exception)") }
        return (reply["result"] as? [String: Any])?["value"]
    }

    /// Polls `expression` every 50 ms until it is `true`; false after `timeout`.
    func waitFor(_ expression: String, timeout: Duration = .seconds(30)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await evaluate(expression) as? Bool == true { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await evaluate(expression) as? Bool == true
    }

    /// A PNG of the viewport, written to `file`.
    func screenshot(to file: URL) async throws {
        let reply = try await call("Page.captureScreenshot", ["format": "png"])
        guard let base64 = reply["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw SupportError("no screenshot data")
        }
        try png.write(to: file)
    }
}
