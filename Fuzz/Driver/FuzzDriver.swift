// What every libFuzzer target of `scripts/fuzz` shares: the entry point and the invariant check.
import Foundation

/// Runs libFuzzer's driver on `callback` and exits with its status. Called from Swift because
/// SwiftPM renames an executable's `main`, so libFuzzer's own `main` cannot be the entry point.
public func runFuzzer(_ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runFuzzerDriver(&argc, &argv, callback))
}

/// Stops the run with the input that broke an invariant (libFuzzer saves it as a crash).
public func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(what())") }
}

/// `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t))`
/// from the libFuzzer runtime that `-sanitize=fuzzer` links.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt
) -> CInt
