// JSON-RPC 2.0 envelopes: what a frame body is (one message, a batch, or junk), checked once so
// handlers only ever see well-formed requests.

import HeedJSON

/// A request id: an integer or a string (JSON-RPC 2.0 and LSP).
public enum JSONRPCID: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return "\"\(s)\""
        }
    }

    public var jsonValue: JSONValue {
        switch self {
        case .int(let i): return .number(JSONNumber(i))
        case .string(let s): return .string(s)
        }
    }
}

/// A call that expects exactly one response.
public struct JSONRPCRequest: Sendable {
    public var id: JSONRPCID
    public var method: String
    /// An object or an array; nil when absent or null.
    public var params: JSONValue?

    public init(id: JSONRPCID, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// A call without an id: never answered.
public struct JSONRPCNotification: Sendable {
    public var method: String
    /// An object or an array; nil when absent or null.
    public var params: JSONValue?

    public init(method: String, params: JSONValue? = nil) {
        self.method = method
        self.params = params
    }
}

/// One element of a body, classified.
public enum JSONRPCMessage: Sendable {
    case request(JSONRPCRequest)
    case notification(JSONRPCNotification)
    /// A response from the client (Heed sends no requests, so there is nothing to match it to).
    case response(id: JSONRPCID?)
    /// Not a valid message: answer `error` with `id` (null when nil).
    case invalid(JSONRPCError, id: JSONRPCID?)
    /// A notification that cannot be processed (a lone surrogate escape): log it, never answer.
    case invalidNotification(JSONRPCError, method: String)
}

/// A whole frame body, classified.
public enum JSONRPCBody: Sendable {
    /// One message; answer it with a single response (if it needs one).
    case single(JSONRPCMessage)
    /// A non-empty batch; answer with an array of the responses it needs (nothing if none).
    case batch([JSONRPCMessage])
}

public enum JSONRPCEnvelope {
    /// Parses and classifies a frame body. Not JSON: -32700; not an object or a non-empty array:
    /// -32600; both with id null.
    public static func classify<C: Collection>(body: C) -> JSONRPCBody where C.Element == UInt8 {
        do {
            return classify(try JSONParser.parse(body, options: .jsonRPC))
        } catch {
            return .single(.invalid(JSONRPCError(.parseError, "Parse error: \(error)"), id: nil))
        }
    }

    /// Classifies a parsed body: a batch array is classified element by element.
    public static func classify(_ body: JSONValue) -> JSONRPCBody {
        if case .array(let items) = body {
            if items.isEmpty {
                return .single(.invalid(JSONRPCError(.invalidRequest, "Invalid Request: empty batch"), id: nil))
            }
            return .batch(items.map(classifyMessage))
        }
        return .single(classifyMessage(body))
    }

    /// Classifies one request, notification or response object.
    public static func classifyMessage(_ value: JSONValue) -> JSONRPCMessage {
        guard case .object(let object) = value else {
            return .invalid(invalid("a message must be a JSON object, not \(value.typeName)"), id: nil)
        }

        // The id first, so that later errors can echo it.
        var id: JSONRPCID? = nil
        if let rawID = object["id"] {
            switch rawID {
            case .number(let n) where n.isIntegerLiteral && n.int != nil:
                id = .int(n.int!)
            case .string(let s, let lone):
                if lone { return .invalid(invalid("id contains a lone surrogate escape"), id: nil) }
                id = .string(s)
            default:
                return .invalid(invalid("id must be an integer or a string, not \(rawID.typeName)"), id: nil)
            }
        }

        guard case .string("2.0", false)? = object["jsonrpc"] else {
            return .invalid(invalid("jsonrpc must be \"2.0\""), id: id)
        }

        guard let rawMethod = object["method"] else {
            if object["result"] != nil || object["error"] != nil { return .response(id: id) }
            return .invalid(invalid("method is missing"), id: id)
        }
        guard case .string(let method, _) = rawMethod else {
            return .invalid(invalid("method must be a string, not \(rawMethod.typeName)"), id: id)
        }

        var params: JSONValue? = nil
        switch object["params"] {
        case nil, .null?: params = nil
        case .object?, .array?: params = object["params"]
        case let other?: return .invalid(invalid("params must be an object or an array, not \(other.typeName)"), id: id)
        }

        if let path = value.loneSurrogatePath() {
            let error = JSONRPCError(.invalidParams,
                                     "Invalid params: \(path) contains a lone surrogate escape (a \\uD800-\\uDFFF escape without its pair)",
                                     data: ["path": .string(path)])
            guard let id else { return .invalidNotification(error, method: method) }
            return .invalid(error, id: id)
        }

        if let id { return .request(JSONRPCRequest(id: id, method: method, params: params)) }
        return .notification(JSONRPCNotification(method: method, params: params))
    }

    private static func invalid(_ reason: String) -> JSONRPCError {
        JSONRPCError(.invalidRequest, "Invalid Request: \(reason)")
    }
}
