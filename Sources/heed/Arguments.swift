/// A small command-line parser: flags with values (`--model M`, `--model=M`), boolean
/// flags, and positional arguments. Unknown flags are errors.
struct Arguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positional: [String] = []

    struct Error: Swift.Error, CustomStringConvertible { let description: String }

    /// `valued` lists flags that take a value, `boolean` those that do not.
    init(_ args: [String], valued: Set<String>, boolean: Set<String>) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { positional += args[(i + 1)...]; break }
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2)), value: String? = nil
                if let eq = name.firstIndex(of: "=") { value = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
                if valued.contains(name) {
                    if value == nil {
                        guard i + 1 < args.count else { throw Error(description: "--\(name) needs a value") }
                        i += 1; value = args[i]
                    }
                    values[name, default: []].append(value!)
                } else if boolean.contains(name), value == nil {
                    flags.insert(name)
                } else {
                    throw Error(description: "unknown option --\(name)")
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ name: String) -> Bool { flags.contains(name) }
}
