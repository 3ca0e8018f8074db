// Outgoing messages as frame bodies. Results arrive pre-serialised (or are written straight into
// the response's buffer), so a large matrix is formatted once and never becomes a JSONValue.

import HeedJSON

extension JSONWriter {
    /// Writes a request id (null when nil).
    public mutating func id(_ id: JSONRPCID?) {
        switch id {
        case .int(let i)?: int(i)
        case .string(let s)?: string(s)
        case nil: null()
        }
    }
}

public enum JSONRPCResponse {
    /// `{"jsonrpc":"2.0","id":...,"result":<resultJSON>}` with the result's bytes copied in as they are.
    public static func result<C: Collection>(id: JSONRPCID, json resultJSON: C) -> [UInt8] where C.Element == UInt8 {
        var w = JSONWriter(reservingCapacity: resultJSON.count + 64)
        w.beginObject()
        w.key("jsonrpc"); w.string("2.0")
        w.key("id"); w.id(id)
        w.key("result"); w.raw(resultJSON)
        w.endObject()
        return w.bytes
    }

    /// A response whose result is a `JSONValue` (small results: null, ModelInfo, ...).
    public static func result(id: JSONRPCID, _ value: JSONValue) -> [UInt8] {
        var w = JSONWriter(reservingCapacity: 256)
        w.beginObject()
        w.key("jsonrpc"); w.string("2.0")
        w.key("id"); w.id(id)
        w.key("result"); w.value(value)
        w.endObject()
        return w.bytes
    }

    /// A response whose result `write` streams straight into the response buffer (exactly one value).
    /// `nonFinite` tells whether a NaN or infinity was written (as null): a bug to report as -32603.
    public static func result(id: JSONRPCID, reservingCapacity n: Int = 1 << 12,
                              _ write: (inout JSONWriter) -> Void) -> (bytes: [UInt8], nonFinite: Bool) {
        var w = JSONWriter(reservingCapacity: n)
        w.beginObject()
        w.key("jsonrpc"); w.string("2.0")
        w.key("id"); w.id(id)
        w.key("result"); write(&w)
        w.endObject()
        return (w.bytes, w.nonFinite)
    }

    /// `{"jsonrpc":"2.0","id":...|null,"error":{"code":...,"message":...,"data"?:...}}`.
    public static func error(id: JSONRPCID?, _ error: JSONRPCError) -> [UInt8] {
        var w = JSONWriter(reservingCapacity: 256)
        w.beginObject()
        w.key("jsonrpc"); w.string("2.0")
        w.key("id"); w.id(id)
        w.key("error")
        w.beginObject()
        w.key("code"); w.int(error.code.rawValue)
        w.key("message"); w.string(error.message)
        if let data = error.data { w.key("data"); w.value(data) }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// `{"jsonrpc":"2.0","method":...,"params":...}` (e.g. `$/progress`).
    public static func notification(method: String, params: JSONValue) -> [UInt8] {
        var w = JSONWriter(reservingCapacity: 256)
        w.beginObject()
        w.key("jsonrpc"); w.string("2.0")
        w.key("method"); w.string(method)
        w.key("params"); w.value(params)
        w.endObject()
        return w.bytes
    }

    /// The answer to a batch: `[r1,r2,...]`, or nil when no element needed a response
    /// (JSON-RPC 2.0: then nothing at all is sent).
    public static func batch(_ responses: [[UInt8]]) -> [UInt8]? {
        guard !responses.isEmpty else { return nil }
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(responses.reduce(2) { $0 + $1.count + 1 })
        for (k, r) in responses.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: r)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
