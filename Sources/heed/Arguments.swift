/// A small command-line parser: options with values (`--model M`, `--model=M`), boolean
/// options, and positional arguments (`-` is a positional: "read stdin"). Unknown options are
/// errors that suggest the nearest known one; an option given twice is an error unless it is
/// declared repeatable (`--method`).
struct Arguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positional: [String] = []
    /// `--help` or `-h` was given.
    private(set) var wantsHelp = false

    /// A usage mistake: printed as `heed: <description>` with exit status 2.
    struct Error: Swift.Error, CustomStringConvertible { let description: String }

    /// `valued` lists options that take a value, `boolean` those that do not; `repeatable` the
    /// valued options that may be given more than once (each value is kept).
    init(_ args: [String], valued: Set<String>, boolean: Set<String>, repeatable: Set<String> = []) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { positional += args[(i + 1)...]; break }
            if a == "--help" || a == "-h" { wantsHelp = true; i += 1; continue }
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2)), value: String? = nil
                if let eq = name.firstIndex(of: "=") { value = String(name[name.index(after: eq)...]); name = String(name[..<eq]) }
                if valued.contains(name) {
                    if value == nil {
                        guard i + 1 < args.count else { throw Error(description: "--\(name) needs a value") }
                        i += 1; value = args[i]
                    }
                    if values[name] != nil, !repeatable.contains(name) {
                        throw Error(description: "--\(name) is given twice (\"\(values[name]![0])\" and \"\(value!)\"); give it once")
                    }
                    values[name, default: []].append(value!)
                } else if boolean.contains(name) {
                    guard value == nil else { throw Error(description: "--\(name) takes no value") }
                    flags.insert(name)
                } else {
                    var message = "unknown option --\(name)"
                    if let near = Suggest.nearest(to: name, among: valued.union(boolean)) { message += "; did you mean --\(near)?" }
                    throw Error(description: message)
                }
            } else if a.count > 1, a.hasPrefix("-"), Double(a) == nil {
                var message = "unknown option \(a) (options start with --)"
                if let near = Suggest.nearest(to: String(a.drop { $0 == "-" }), among: valued.union(boolean)) { message += "; did you mean --\(near)?" }
                throw Error(description: message)
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    /// The value of `--name`, if given.
    func value(_ name: String) -> String? { values[name]?.last }
    /// Every value of a repeatable `--name`, in order.
    func all(_ name: String) -> [String] { values[name] ?? [] }
    /// True when the boolean `--name` was given.
    func has(_ name: String) -> Bool { flags.contains(name) }
    /// True when `--name` was given, with or without a value.
    func given(_ name: String) -> Bool { values[name] != nil || flags.contains(name) }
}

/// Nearest-name suggestions for mistyped commands and options.
enum Suggest {
    /// The candidate closest to `name` by edit distance (case-insensitive), when it is close
    /// enough to be a likely typo (at most a third of the longer name, at least 2 edits
    /// allowed) or when one is a prefix of the other.
    static func nearest(to name: String, among candidates: some Sequence<String>) -> String? {
        let lower = name.lowercased()
        var best: (String, Int)? = nil
        for c in candidates.sorted() {
            let d = distance(lower, c.lowercased())
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (c, d) = best else { return nil }
        let allowed = max(2, max(lower.count, c.count) / 3)
        if d <= allowed || (lower.count >= 3 && c.hasPrefix(lower)) { return c }
        return nil
    }

    /// Levenshtein distance over characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
