import DeeperTestSupport
import Foundation
import Testing

/// `deeper serve` runs `deeper-api` from beside `deeper`, the way git runs git-foo, so the
/// binary that analyzes files and runs workers carries no HTTP stack.
@Suite struct ServeCommandTests {
    @Test func serveHandsEveryArgumentToDeeperAPI() throws {
        let help = try DeeperProcess.run(["serve", "--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("USAGE: deeper-api"), "\(help.stdout)")
        #expect(help.stdout.contains("--blocking-threads"))
        let bad = try DeeperProcess.run(["serve", "--port", "70000"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--port must be in 0...65535"), "\(bad.stderr)")
    }

    /// Without `deeper-api` beside it, `deeper serve` says where it looked and exits 127 (a
    /// command not found, as a shell says it).
    @Test func serveWithoutDeeperAPIBesideItExits127() throws {
        // A hard link beside the build products, not a copy: a copy's write descriptor can be
        // inherited by a process another test forks meanwhile (redis-server lives for the whole
        // run), and exec of a file open for writing fails with ETXTBSY for as long as it lives.
        let dir = DeeperProcess.binary.deletingLastPathComponent().appendingPathComponent("deeper-alone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let alone = dir.appendingPathComponent("deeper")
        try FileManager.default.linkItem(at: DeeperProcess.binary, to: alone)
        let log = dir.appendingPathComponent("stderr.log")
        let child = try Self.spawnFreshCopy(alone.path, arguments: ["serve", "--port", "0"], stderr: log.path)
        #expect(child.wait(timeout: .seconds(60)) == 127)
        let stderr = try String(contentsOf: log, encoding: .utf8)
        #expect(stderr.contains("deeper-api not found beside deeper"), "\(stderr)")
        #expect(stderr.contains(dir.appendingPathComponent("deeper-api").path), "\(stderr)")
        // The other commands do not need it.
        let rules = try Self.spawnFreshCopy(alone.path, arguments: ["rules"])
        #expect(rules.wait(timeout: .seconds(60)) == 0)
    }

    /// Starts the linked executable, retrying ETXTBSY (errno 26) for up to 5 s in case the
    /// build products are still being written when the test starts.
    static func spawnFreshCopy(_ path: String, arguments: [String], stderr: String? = nil) throws -> ChildProcess {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try ChildProcess(path, arguments: arguments, stderr: stderr)
            } catch where "\(error)".contains("errno 26") && ContinuousClock.now < deadline {
                usleep(50_000)
            }
        }
    }

    /// The point of the split: `deeper` links no HTTP stack (no Hummingbird, NIO or TLS code),
    /// `deeper-api` does.
    @Test func deeperCarriesNoHTTPStack() throws {
        let deeper = try Data(contentsOf: DeeperProcess.binary)
        let api = try Data(contentsOf: DeeperProcess.apiBinary)
        for name in ["HummingbirdCore", "NIOPosix", "BoringSSL"] {
            #expect(deeper.range(of: Data(name.utf8)) == nil, "deeper contains \(name)")
        }
        #expect(api.range(of: Data("HummingbirdCore".utf8)) != nil)
    }
}
