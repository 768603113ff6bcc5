/// One push reply read while subscribed (``RedisConnection/subscribe(_:pollInterval:until:_:)``),
/// in place: a message published on a channel, or the confirmation of a subscription.
///
/// - Warning: The buffers point into a reply that is freed when the visiting closure returns.
///   Copy what you need inside the closure; never store the message or its buffers.
public struct RedisPubSubMessage {
    /// What a push reply says.
    public enum Kind: Sendable, Equatable {
        /// `SUBSCRIBE` confirmed one channel; ``subscriptionCount`` says how many are active.
        case subscribed
        /// Something was published on ``channel``; ``payload`` holds it.
        case message
    }

    /// Whether this is a message or a subscription confirmation.
    public let kind: Kind
    /// The channel's name.
    public let channel: UnsafeRawBufferPointer
    /// The published bytes; empty for ``Kind/subscribed``.
    public let payload: UnsafeRawBufferPointer
    /// Channels this connection is subscribed to, after a ``Kind/subscribed``; 0 for messages.
    public let subscriptionCount: Int

    /// Reads a push reply (`["message", channel, payload]` or `["subscribe", channel, count]`);
    /// `nil` for any other shape, which the subscription skips.
    init?(_ reply: RedisReplyView) {
        guard reply.kind == .array, reply.count == 3, reply[0].kind == .bulk, reply[1].kind == .bulk else {
            return nil
        }
        let type = reply[0].bytes
        if _bytesEqual(type, _literal("message")) && reply[2].kind == .bulk {
            kind = .message
            payload = reply[2].bytes
            subscriptionCount = 0
        } else if _bytesEqual(type, _literal("subscribe")) && reply[2].kind == .integer {
            kind = .subscribed
            payload = UnsafeRawBufferPointer(start: nil, count: 0)
            subscriptionCount = Int(reply[2].integer)
        } else {
            return nil
        }
        channel = reply[1].bytes
    }
}

@available(*, unavailable, message: "points into a reply that is freed when the visit ends")
extension RedisPubSubMessage: Sendable {}

/// The bytes of a string literal, without building a `String`.
@inline(__always)
func _literal(_ text: StaticString) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
}
