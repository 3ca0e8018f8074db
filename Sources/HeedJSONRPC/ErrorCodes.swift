import HeedJSON

/// The one table of JSON-RPC error codes Heed answers with (JSON-RPC 2.0, LSP, and Heed's own).
/// Every error response takes its code from here; a test pins the numbers to the specs.
public enum JSONRPCErrorCode: Int, CaseIterable, Sendable {
    // JSON-RPC 2.0
    /// The body is not JSON.
    case parseError = -32700
    /// The JSON is not a valid request object (also: oversized frame, empty batch, duplicate id).
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    // LSP
    /// A request other than `initialize` arrived before `initialize`.
    case serverNotInitialized = -32002
    /// The client cancelled the request with `$/cancelRequest`.
    case requestCancelled = -32800
    // Heed's own (-32010 ... -32019)
    case unknownModel = -32010
    /// A model's files are missing or corrupt (the file and the reason in the message).
    case modelLoadFailed = -32011
    /// The model family cannot compute an analysis method (the supported ones in `data`).
    case methodNotSupported = -32012
    /// The text is longer than the model's token limit (the limit in `data`).
    case inputTooLong = -32013
    /// The model's files disagree: its tokenizer produced a token id its checkpoint has no
    /// embedding for (the id, the token and the embedding rows in `data`). The model stays
    /// loaded; texts without that token work.
    case modelInconsistent = -32014
    /// The request's own working memory (estimated from its text before any is allocated)
    /// exceeds what one request may use under `--max-memory` (needed and allowed bytes in `data`).
    case requestTooLarge = -32015

    /// A short default message.
    public var defaultMessage: String {
        switch self {
        case .parseError: return "Parse error"
        case .invalidRequest: return "Invalid Request"
        case .methodNotFound: return "Method not found"
        case .invalidParams: return "Invalid params"
        case .internalError: return "Internal error"
        case .serverNotInitialized: return "Server not initialized"
        case .requestCancelled: return "Request cancelled"
        case .unknownModel: return "Unknown model"
        case .modelLoadFailed: return "Model failed to load"
        case .methodNotSupported: return "Method not supported by this model"
        case .inputTooLong: return "Input too long"
        case .modelInconsistent: return "Model inconsistent"
        case .requestTooLarge: return "Request too large"
        }
    }
}

/// An error as sent in a response: code, message and optional `data`.
public struct JSONRPCError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: JSONRPCErrorCode
    public var message: String
    /// Something a client can act on (a limit, the supported methods), or nil.
    public var data: JSONValue?

    public init(_ code: JSONRPCErrorCode, _ message: String? = nil, data: JSONValue? = nil) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.data = data
    }

    public var description: String { "\(code.rawValue) \(message)" }
}
