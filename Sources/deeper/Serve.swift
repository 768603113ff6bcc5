import ArgumentParser
import DeeperCLI
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `deeper serve …` runs `deeper-api …`: the HTTP stack (Hummingbird, NIO, TLS) lives in that
/// executable alone, so the binary that analyzes files and runs workers builds without it.
///
/// `deeper` finds `deeper-api` beside its own executable and replaces itself with it (same
/// process, same pid, same signals), as `git` runs `git-foo`. `Deeper.main()` does this before
/// parsing, so `deeper serve --help` shows the server's own help; this command only lists
/// `serve` among the subcommands and catches `deeper help serve`.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API and the Deeper Analysis page (runs deeper-api, installed beside deeper).",
        discussion: "Every argument goes to deeper-api; `deeper serve --help` lists them."
    )

    @Argument(parsing: .captureForPassthrough, help: .hidden)
    var arguments: [String] = []

    func run() throws {
        Sibling.exec(Sibling.apiServer, arguments: arguments)
    }
}

/// Executables installed beside `deeper`.
enum Sibling {
    /// The HTTP API's executable.
    static let apiServer = "deeper-api"

    /// Replaces this process with the executable `name` found in the directory of this one
    /// (symbolic links to `deeper` resolved), passing `arguments`. Never returns: when it
    /// cannot run it, it says why and exits 127, as a shell does for a command not found.
    static func exec(_ name: String, arguments: [String]) -> Never {
        let directory = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
            .resolvingSymlinksInPath().deletingLastPathComponent()
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            printError(
                "deeper: \(name) not found beside deeper (looked for \(path)); `deeper serve` runs it. Build it with `swift build [-c release] --product \(name)`, or install it next to deeper."
            )
            exit(127)
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([name] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        // Only reached when execv failed.
        printError("deeper: cannot run \(path): \(String(cString: strerror(errno)))")
        exit(127)
    }
}
