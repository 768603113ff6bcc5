import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One TCP connection to a local port, spoken to in raw bytes: for requests no HTTP client
/// would send (a broken request line, half a head) and for watching when the server closes.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let e = errno
            Glibc.close(fd)
            throw RawError("connect to \(port): errno \(e)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends every byte (a peer that closed early makes this return quietly).
    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// What the server sent until it closed the connection or `timeout` passed.
    func read(timeout: Duration) -> RawReply {
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return RawReply(bytes: bytes, closed: false) }
            let (s, atto) = left.components
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(s * 1000 + atto / 1_000_000_000_000_000 + 1))
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return RawReply(bytes: bytes, closed: true) }
            bytes.append(contentsOf: buffer[0..<n])
        }
    }

    /// Sends `request` and reads until the server closes (or `timeout`).
    static func exchange(port: Int, _ request: [UInt8], timeout: Duration = .seconds(5)) throws -> RawReply {
        let c = try RawConnection(port: port)
        c.send(request)
        return c.read(timeout: timeout)
    }

    static func exchange(port: Int, _ request: String, timeout: Duration = .seconds(5)) throws -> RawReply {
        try exchange(port: port, Array(request.utf8), timeout: timeout)
    }
}

struct RawReply: CustomStringConvertible {
    var bytes: [UInt8]
    /// Whether the server closed the connection.
    var closed: Bool

    var text: String { String(decoding: bytes, as: UTF8.self) }
    /// The status code of the first response, if one came.
    var status: Int? {
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }
    var body: String { text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? "" }
    func header(_ name: String) -> String? {
        let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
        for line in head.components(separatedBy: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
    var description: String { "\(closed ? "closed" : "open"): \(text.prefix(600))" }
}

struct RawError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Open descriptors and resident memory of a process, from /proc.
enum ProcessUsage {
    static func descriptors(_ pid: pid_t) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    static func residentKiB(_ pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
}
