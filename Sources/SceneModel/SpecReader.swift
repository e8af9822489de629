/// Reads one JSON object of a spec field by field, tracking the JSON path so every error
/// names where it happened, and rejecting keys nobody asked for.
///
/// Usage: read the fields you know, then call ``finish()``, which throws for any key that
/// was not read (a typo such as `"raduis"` is an error, not a silently ignored field).
public struct SpecReader {
    /// The JSON path of this object, such as `$.shapes[2]`.
    public let path: String
    /// The file being read, for error messages.
    public let file: String?
    private let fields: [String: JSONValue]
    private var consumed: Set<String> = []

    /// Wraps a JSON value that must be an object.
    /// - Throws: ``SpecError`` when `value` is not an object.
    public init(_ value: JSONValue, path: String = "$", file: String? = nil) throws {
        guard case .object(let fields) = value else {
            throw SpecError(file: file, path: path, expected: "an object", found: value.kindDescription)
        }
        self.fields = fields
        self.path = path
        self.file = file
    }

    /// Whether the object has `key`.
    public func has(_ key: String) -> Bool { fields[key] != nil }

    /// The raw value of an optional field (marks it as read).
    public mutating func optionalValue(_ key: String) -> JSONValue? {
        consumed.insert(key)
        return fields[key]
    }

    /// The raw value of a required field.
    public mutating func value(_ key: String) throws -> JSONValue {
        guard let value = optionalValue(key) else {
            throw SpecError(file: file, path: path, expected: "a field \"\(key)\"", found: "none")
        }
        return value
    }

    /// An error about the field `key` of this object.
    public func error(_ key: String, expected: String, found: String) -> SpecError {
        SpecError(file: file, path: "\(path).\(key)", expected: expected, found: found)
    }

    // MARK: Typed fields

    /// A required number, optionally bounded.
    public mutating func number(_ key: String, in range: ClosedRange<Double>? = nil) throws -> Double {
        try checkedNumber(key, try value(key), in: range)
    }

    /// An optional number with a default, optionally bounded.
    public mutating func number(_ key: String, default fallback: Double, in range: ClosedRange<Double>? = nil) throws -> Double {
        guard let value = optionalValue(key) else { return fallback }
        return try checkedNumber(key, value, in: range)
    }

    /// A required integer, optionally bounded.
    public mutating func integer(_ key: String, in range: ClosedRange<Int>? = nil) throws -> Int {
        try checkedInteger(key, try value(key), in: range)
    }

    /// An optional integer with a default, optionally bounded.
    public mutating func integer(_ key: String, default fallback: Int, in range: ClosedRange<Int>? = nil) throws -> Int {
        guard let value = optionalValue(key) else { return fallback }
        return try checkedInteger(key, value, in: range)
    }

    /// A required string.
    public mutating func string(_ key: String) throws -> String {
        let value = try value(key)
        guard case .string(let text) = value else {
            throw error(key, expected: "a string", found: value.kindDescription)
        }
        return text
    }

    /// An optional boolean with a default.
    public mutating func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = optionalValue(key) else { return fallback }
        guard case .bool(let flag) = value else {
            throw error(key, expected: "true or false", found: value.kindDescription)
        }
        return flag
    }

    /// A required array of exactly `count` numbers.
    public mutating func numbers(_ key: String, count: Int) throws -> [Double] {
        let value = try value(key)
        let expected = "an array of \(count) numbers"
        guard case .array(let items) = value, items.count == count else {
            throw error(key, expected: expected, found: value.kindDescription)
        }
        return try items.enumerated().map { index, item in
            guard case .number(let number) = item else {
                throw SpecError(file: file, path: "\(path).\(key)[\(index)]", expected: "a number", found: item.kindDescription)
            }
            return number
        }
    }

    /// A required 3-vector `[x, y, z]`.
    public mutating func vector(_ key: String) throws -> Vector3 {
        let v = try numbers(key, count: 3)
        return Vector3(Float(v[0]), Float(v[1]), Float(v[2]))
    }

    /// An optional 3-vector with a default.
    public mutating func vector(_ key: String, default fallback: Vector3) throws -> Vector3 {
        has(key) ? try vector(key) : fallback
    }

    /// A colour `[r, g, b]` with components in [0, 1].
    public mutating func color(_ key: String) throws -> Vector3 {
        let values = try numbers(key, count: 3)
        for (index, component) in values.enumerated() where !(0...1).contains(component) {
            throw SpecError(file: file, path: "\(path).\(key)[\(index)]", expected: "a colour component in [0, 1]",
                            found: JSONValue.number(component).kindDescription)
        }
        return Vector3(Float(values[0]), Float(values[1]), Float(values[2]))
    }

    /// An optional colour with a default.
    public mutating func color(_ key: String, default fallback: Vector3) throws -> Vector3 {
        has(key) ? try color(key) : fallback
    }

    /// A range of numbers: either one number (a fixed value) or `[min, max]` with
    /// `min <= max`, both inside `bounds`.
    public mutating func range(_ key: String, in bounds: ClosedRange<Double>? = nil) throws -> ClosedRange<Double> {
        let value = try value(key)
        let expected = "a number or [min, max]" + (bounds.map { " within \($0.lowerBound)...\($0.upperBound)" } ?? "")
        let limits: (Double, Double)
        switch value {
        case .number(let fixed):
            limits = (fixed, fixed)
        case .array(let items) where items.count == 2:
            guard case .number(let low) = items[0], case .number(let high) = items[1], low <= high else {
                throw error(key, expected: expected + " with min <= max", found: value.kindDescription)
            }
            limits = (low, high)
        default:
            throw error(key, expected: expected, found: value.kindDescription)
        }
        if let bounds, !(bounds.contains(limits.0) && bounds.contains(limits.1)) {
            throw error(key, expected: expected, found: "[\(limits.0), \(limits.1)]")
        }
        return limits.0...limits.1
    }

    /// An optional range with a default.
    public mutating func range(_ key: String, default fallback: ClosedRange<Double>,
                               in bounds: ClosedRange<Double>? = nil) throws -> ClosedRange<Double> {
        has(key) ? try range(key, in: bounds) : fallback
    }

    /// An integer range: one integer or `[min, max]`.
    public mutating func integerRange(_ key: String, in bounds: ClosedRange<Int>) throws -> ClosedRange<Int> {
        let range = try range(key, in: Double(bounds.lowerBound)...Double(bounds.upperBound))
        guard range.lowerBound == range.lowerBound.rounded(), range.upperBound == range.upperBound.rounded() else {
            throw error(key, expected: "an integer or [min, max] of integers", found: "[\(range.lowerBound), \(range.upperBound)]")
        }
        return Int(range.lowerBound)...Int(range.upperBound)
    }

    /// A required nested object.
    public mutating func object(_ key: String) throws -> SpecReader {
        try SpecReader(try value(key), path: "\(path).\(key)", file: file)
    }

    /// An optional nested object.
    public mutating func optionalObject(_ key: String) throws -> SpecReader? {
        guard let value = optionalValue(key) else { return nil }
        return try SpecReader(value, path: "\(path).\(key)", file: file)
    }

    /// A required array; `minimumCount` elements at least.
    public mutating func array(_ key: String, minimumCount: Int = 0) throws -> [(path: String, value: JSONValue)] {
        let value = try value(key)
        guard case .array(let items) = value, items.count >= minimumCount else {
            throw error(key, expected: minimumCount > 0 ? "an array of at least \(minimumCount) element\(minimumCount == 1 ? "" : "s")" : "an array",
                        found: value.kindDescription)
        }
        return items.enumerated().map { ("\(path).\(key)[\($0.offset)]", $0.element) }
    }

    /// An array of objects, each wrapped in its own reader.
    public mutating func objects(_ key: String, minimumCount: Int = 0) throws -> [SpecReader] {
        try array(key, minimumCount: minimumCount).map { try SpecReader($0.value, path: $0.path, file: file) }
    }

    /// One of a fixed set of strings.
    public mutating func choice(_ key: String, from options: [String]) throws -> String {
        let text = try string(key)
        guard options.contains(text) else {
            throw error(key, expected: "one of " + options.map { "\"\($0)\"" }.joined(separator: ", "),
                        found: "\"\(text)\"")
        }
        return text
    }

    /// Throws for the first key (alphabetically) that no read asked for.
    public func finish() throws {
        if let unknown = fields.keys.filter({ !consumed.contains($0) }).sorted().first {
            let known = consumed.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw SpecError(file: file, path: "\(path).\(unknown)", expected: "no such key (known here: \(known))",
                            found: "an unknown key \"\(unknown)\"")
        }
    }

    private func checkedNumber(_ key: String, _ value: JSONValue, in range: ClosedRange<Double>?) throws -> Double {
        guard case .number(let number) = value else {
            throw error(key, expected: "a number", found: value.kindDescription)
        }
        if let range, !range.contains(number) {
            throw error(key, expected: "a number in \(range.lowerBound)...\(range.upperBound)", found: value.kindDescription)
        }
        return number
    }

    private func checkedInteger(_ key: String, _ value: JSONValue, in range: ClosedRange<Int>?) throws -> Int {
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 1e15 else {
            throw error(key, expected: "an integer", found: value.kindDescription)
        }
        let integer = Int(number)
        if let range, !range.contains(integer) {
            throw error(key, expected: "an integer in \(range.lowerBound)...\(range.upperBound)", found: value.kindDescription)
        }
        return integer
    }
}
