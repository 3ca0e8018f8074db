import HeedAnalysis
import HeedCheckpoints
import HeedJSONRPC
import HeedModels
import HeedTokenizers

/// Domain errors become JSON-RPC errors here, and only here.
enum ErrorMapping {
    static func rpcError(_ error: Error) -> JSONRPCError {
        switch error {
        case let e as JSONRPCError:
            return e
        case let e as InvalidParams:
            return JSONRPCError(e)
        case ForwardError.cancelled:
            return JSONRPCError(.requestCancelled, "request cancelled")
        case let ForwardError.tooLong(tokens, limit), let PipelineError.inputTooLong(tokens, limit):
            return JSONRPCError(.inputTooLong, "input too long: \(tokens) tokens; the model allows at most \(limit)",
                                data: .object(JSONObject([("limit", .number(JSONNumber(limit))), ("tokens", .number(JSONNumber(tokens)))])))
        case let e as WorkingSetTooLarge:
            return JSONRPCError(.requestTooLarge, "request too large: \(e)", data: .object(JSONObject([
                ("neededBytes", .number(JSONNumber(e.neededBytes))), ("budgetBytes", .number(JSONNumber(e.budgetBytes)))])))
        case let e as TokenBeyondEmbeddings:
            return JSONRPCError(.modelInconsistent, "model inconsistent: \(e)", data: .object(JSONObject([
                ("tokenId", .number(JSONNumber(e.tokenID))), ("token", e.tokenText.map { .string($0) } ?? .null),
                ("embeddingRows", .number(JSONNumber(e.embeddingRows)))])))
        case let ForwardError.tokenOutOfRange(id, rows):
            // Ids only come from the model's own tokenizer: the same fault, without the token's text.
            return rpcError(TokenBeyondEmbeddings(tokenID: id, tokenText: nil, embeddingRows: rows))
        case let e as ForwardError:
            return JSONRPCError(.invalidParams, "\(e)")
        case let AnalysisError.unsupportedMethod(m, supported):
            return JSONRPCError(.methodNotSupported, "method \"\(m.rawValue)\" is not supported by this model",
                                data: .object(JSONObject([("supported", .array(supported.map { .string($0.rawValue) }))])))
        case let e as PredictionUnavailable:
            return JSONRPCError(.methodNotSupported, "not supported for this model: \(e)", data: .object(JSONObject([("predicts", .bool(false))])))
        case let e as NetworkUnavailable:
            return JSONRPCError(.methodNotSupported, "method not supported: \(e)", data: .object(JSONObject([("supported", .array([]))])))
        case let e as AnalysisError:
            return JSONRPCError(.invalidParams, "Invalid params: \(e)")
        case let e as PipelineError:
            return JSONRPCError(.invalidParams, "Invalid params: \(e)")
        case let ModelStoreError.unknownModel(id, catalog, _):
            return JSONRPCError(.unknownModel, "unknown model \"\(id)\": not a catalog name, a model directory or a cached Hugging Face repo",
                                data: .object(JSONObject([("catalog", .array(catalog.map { .string($0) }))])))
        case let e as ModelStoreError:
            return JSONRPCError(.modelLoadFailed, "model failed to load: \(e)")
        case let e as ModelLoadError:
            return JSONRPCError(.modelLoadFailed, "model failed to load: \(e)")
        case let e as CheckpointError:
            return JSONRPCError(.modelLoadFailed, "model failed to load: \(e)")
        case let e as GGUFError:
            return JSONRPCError(.modelLoadFailed, "model failed to load: \(e)")
        case let e as TokenizerError:
            return JSONRPCError(.modelLoadFailed, "model failed to load: \(e)")
        default:
            return JSONRPCError(.internalError, "internal error: \(error)")
        }
    }
}
