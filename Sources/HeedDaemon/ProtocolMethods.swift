// Every method the server handles and every notification it sends: one table, which
// protocol.md must document exactly (ProtocolDocumentTests checks both ways).

import HeedJSONRPC

/// Methods and notifications the client may send.
public enum ClientMethod: String, CaseIterable, Sendable {
    case initialize
    case initialized
    case shutdown
    case exit
    case models = "heed/models"
    case loadModel = "heed/loadModel"
    case unloadModel = "heed/unloadModel"
    case tokenize = "heed/tokenize"
    case analyze = "heed/analyze"
    case highlight = "heed/highlight"
    case predict = "heed/predict"
    case align = "heed/align"
    case cancelRequest = "$/cancelRequest"

    /// Notifications: never answered.
    public var isNotification: Bool { self == .initialized || self == .exit || self == .cancelRequest }

    /// The work methods listed in `initialize`'s capabilities.
    public static let workMethods: [ClientMethod] = [.models, .loadModel, .unloadModel, .tokenize, .analyze, .highlight, .predict, .align]
}

/// Notifications the server sends.
public enum ServerNotification: String, CaseIterable, Sendable {
    case progress = "$/progress"
}

public enum ServerInfo {
    public static let name = "heed"
    public static let version = "0.1.0"
    /// The `format`s of `heed/analyze`, listed in `initialize`'s `capabilities.tensorFormats`
    /// (`binary` added in 0.1.0 without a version change: clients check this list before using it).
    public static let tensorFormats: [JSONWriter.TensorFormat] = [.nested, .base64, .binary]
}
