import Foundation
import HeedJSON

extension ModelConfig {
    /// The `model_type` string of the config.json at `url` (the architecture a family registers
    /// under), read without checking anything else; nil when the file cannot be read, is not a
    /// JSON object, or has no string `model_type`.
    public static func modelType(configAt url: URL) -> String? {
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONParser.parse(data, options: .configuration) else { return nil }
        return object["model_type"]?.stringValue
    }
}
