/// Commands for one pipeline, their arguments packed back to back in one byte buffer.
///
/// Adding an argument copies its bytes into the buffer and records where it ends: no
/// allocation per argument or per command once the buffers have grown, and integers are
/// formatted straight into the buffer. Hand the batch to ``RedisConnection/pipeline(_:)``;
/// `removeAll()` keeps the capacity for the next batch.
///
/// ```swift
/// var batch = RedisCommandBatch()
/// for print in prints {
///     batch.add("XADD"); batch.add("deeper_analysis:prints"); batch.add("*")
///     batch.add("sym"); batch.add(print.symbol)
///     batch.add("t"); batch.add(print.epochMilliseconds)
///     batch.endCommand()
/// }
/// let replies = try connection.pipeline(batch)
/// ```
public struct RedisCommandBatch: Sendable {
    /// Every argument's bytes, back to back.
    var _bytes: [UInt8] = []
    /// End offset in `_bytes` of each argument; an argument starts where the previous ends.
    var _argumentEnds: [Int] = []
    /// End index in `_argumentEnds` of each finished command.
    var _commandEnds: [Int] = []

    /// An empty batch.
    public init() {}

    /// An empty batch with room for `commands` commands of about `bytesPerCommand` bytes and
    /// `argumentsPerCommand` arguments each.
    public init(reservingCommands commands: Int, bytesPerCommand: Int = 64, argumentsPerCommand: Int = 4) {
        _bytes.reserveCapacity(commands * bytesPerCommand)
        _argumentEnds.reserveCapacity(commands * argumentsPerCommand)
        _commandEnds.reserveCapacity(commands)
    }

    /// A batch holding `commands`, one inner array per command.
    public init(_ commands: [[String]]) {
        self.init()
        for command in commands { append(command) }
    }

    /// The number of finished commands.
    public var count: Int { _commandEnds.count }

    /// Bytes of every argument added so far (what the commands carry, before the protocol's framing).
    public var byteCount: Int { _bytes.count }

    /// Whether the batch holds no finished command.
    public var isEmpty: Bool { _commandEnds.isEmpty }

    /// Arguments added since the last ``endCommand()``.
    public var pendingArgumentCount: Int { _argumentEnds.count - (_commandEnds.last ?? 0) }

    /// Adds `argument`'s UTF-8 bytes as the next argument of the command being built.
    public mutating func add(_ argument: String) {
        let copied: Void? = argument.utf8.withContiguousStorageIfAvailable { _bytes.append(contentsOf: $0) }
        if copied == nil { _bytes.append(contentsOf: argument.utf8) }
        _argumentEnds.append(_bytes.count)
    }

    /// Adds raw bytes (binary-safe: NUL, CR and LF are fine) as the next argument.
    public mutating func add(bytes argument: some Sequence<UInt8>) {
        _bytes.append(contentsOf: argument)
        _argumentEnds.append(_bytes.count)
    }

    /// Adds `value` in decimal as the next argument, without building a `String`.
    public mutating func add(_ value: Int) {
        // Digits go into a 24-byte stack tuple (Int.min needs 20) from the right, then into the buffer at once.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var magnitude = value.magnitude
        withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                index -= 1
                scratch[index] = UInt8(ascii: "-")
            }
            _bytes.append(contentsOf: scratch[index...])
        }
        _argumentEnds.append(_bytes.count)
    }

    /// Finishes the command made of the arguments added since the last call.
    ///
    /// - Precondition: at least one argument (the command name) was added.
    public mutating func endCommand() {
        precondition(pendingArgumentCount > 0, "a Redis command needs at least its name")
        _commandEnds.append(_argumentEnds.count)
    }

    /// Adds `command` (name first, then its arguments) as one finished command.
    ///
    /// - Precondition: no arguments are pending (``endCommand()`` was called), and `command`
    ///   is not empty.
    public mutating func append(_ command: [String]) {
        precondition(pendingArgumentCount == 0, "finish the pending command with endCommand() first")
        for argument in command { add(argument) }
        endCommand()
    }

    /// Adds `command`, each argument given as raw bytes, as one finished command.
    public mutating func append(bytes command: [[UInt8]]) {
        precondition(pendingArgumentCount == 0, "finish the pending command with endCommand() first")
        for argument in command { add(bytes: argument) }
        endCommand()
    }

    /// Empties the batch, keeping its buffers' capacity by default.
    public mutating func removeAll(keepingCapacity: Bool = true) {
        _bytes.removeAll(keepingCapacity: keepingCapacity)
        _argumentEnds.removeAll(keepingCapacity: keepingCapacity)
        _commandEnds.removeAll(keepingCapacity: keepingCapacity)
    }
}
