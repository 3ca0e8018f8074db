// A SentencePiece model file (`*.model`, Marian's `source.spm` / `target.spm`): the serialized
// `ModelProto` of sentencepiece's src/sentencepiece_model.proto (proto2), read with a small
// protobuf wire-format reader. Only the fields tokenization needs are kept:
// - `pieces` (1): piece (1, string), score (2, float), type (3, enum: NORMAL 1, UNKNOWN 2,
//   CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6; default NORMAL);
// - `trainer_spec` (2): model_type (3: UNIGRAM 1, BPE 2, WORD 3, CHAR 4; default UNIGRAM),
//   treat_whitespace_as_suffix (24), byte_fallback (35), unk_surface (44, what decoding writes for
//   the unknown piece);
// - `normalizer_spec` (3): name (1), precompiled_charsmap (2, bytes), add_dummy_prefix (3, default
//   true), remove_extra_whitespaces (4, default true), escape_whitespaces (5, default true).
// Every other field is skipped by its wire type.

import Foundation

/// The parts of a SentencePiece `ModelProto` that tokenization reads.
public struct SentencePieceModelFile: Sendable {
    /// `ModelProto.SentencePiece.Type`.
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `TrainerSpec.ModelType`.
    public enum ModelType: Int, Sendable {
        case unigram = 1, bpe = 2, word = 3, char = 4
    }

    /// One vocabulary entry; its id is its position in `pieces`.
    public struct Piece: Equatable, Sendable {
        public var piece: String
        /// Log probability (Unigram) or merge priority (BPE, larger first); float as stored.
        public var score: Float
        public var type: PieceType

        public init(piece: String, score: Float, type: PieceType) {
            self.piece = piece
            self.score = score
            self.type = type
        }
    }

    /// `NormalizerSpec`.
    public struct Normalizer: Sendable {
        /// The rule name (`nmt_nfkc`, `identity`, ...); informational.
        public var name = ""
        /// The Darts double-array trie and replacement strings (empty: no character rule).
        public var precompiledCharsmap: [UInt8] = []
        public var addDummyPrefix = true
        public var removeExtraWhitespaces = true
        public var escapeWhitespaces = true

        public init(name: String = "", precompiledCharsmap: [UInt8] = [], addDummyPrefix: Bool = true,
                    removeExtraWhitespaces: Bool = true, escapeWhitespaces: Bool = true) {
            self.name = name
            self.precompiledCharsmap = precompiledCharsmap
            self.addDummyPrefix = addDummyPrefix
            self.removeExtraWhitespaces = removeExtraWhitespaces
            self.escapeWhitespaces = escapeWhitespaces
        }
    }

    public var pieces: [Piece] = []
    public var modelType: ModelType = .unigram
    public var byteFallback = false
    public var treatWhitespaceAsSuffix = false
    /// `trainer_spec.unk_surface`: the text decoding gives the unknown piece (default " \u{2047} ").
    public var unknownSurface = " \u{2047} "
    public var normalizer = Normalizer()

    /// A model built in memory (not read from a file), e.g. from a GGUF file's
    /// `tokenizer.ggml.*` arrays (TokenizerGGMLSentencePiece.swift). `unknownSurface` keeps its
    /// default. Checks nothing: `SentencePieceProcessor(file:)` checks the pieces.
    public init(pieces: [Piece], modelType: ModelType, byteFallback: Bool, normalizer: Normalizer,
                treatWhitespaceAsSuffix: Bool = false) {
        self.pieces = pieces
        self.modelType = modelType
        self.byteFallback = byteFallback
        self.normalizer = normalizer
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
    }

    /// Reads a model file.
    /// - Throws: `TokenizerError` (`.unreadableFile`; `.invalidConfiguration` for bytes that are not
    ///   a well-formed ModelProto: a truncated field, a wrong wire type, a string that is not UTF-8,
    ///   an unknown piece type).
    public init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError(kind: .unreadableFile, message: "cannot read \(url.path): \(error.localizedDescription)",
                                 source: url.lastPathComponent)
        }
        do {
            try self.init(bytes: [UInt8](data))
        } catch var error as TokenizerError {
            error.source = url.lastPathComponent
            throw error
        }
    }

    /// Reads the serialized `ModelProto`. Throws as `init(url:)`.
    public init(bytes: [UInt8]) throws {
        var reader = ProtobufReader(bytes: bytes[...], path: "ModelProto")
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited):
                pieces.append(try Self.readPiece(try reader.bytes(), index: pieces.count))
            case (2, .lengthDelimited):
                try readTrainerSpec(try reader.bytes())
            case (3, .lengthDelimited):
                normalizer = try Self.readNormalizer(try reader.bytes())
            default:
                try reader.skip(field)
            }
        }
        guard !pieces.isEmpty else { throw TokenizerError.invalid("ModelProto has no pieces") }
    }

    private static func readPiece(_ bytes: ArraySlice<UInt8>, index: Int) throws -> Piece {
        let path = "ModelProto.pieces[\(index)]"
        var reader = ProtobufReader(bytes: bytes, path: path)
        var piece = Piece(piece: "", score: 0, type: .normal)
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): piece.piece = try reader.string()
            case (2, .fixed32): piece.score = Float(bitPattern: try reader.fixed32())
            case (3, .varint):
                let raw = try reader.varint()
                guard let type = PieceType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw TokenizerError.invalid("\(path).type \(raw) is not a SentencePiece piece type")
                }
                piece.type = type
            default: try reader.skip(field)
            }
        }
        return piece
    }

    private mutating func readTrainerSpec(_ bytes: ArraySlice<UInt8>) throws {
        var reader = ProtobufReader(bytes: bytes, path: "ModelProto.trainer_spec")
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (3, .varint):
                let raw = try reader.varint()
                guard let type = ModelType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw TokenizerError.invalid("ModelProto.trainer_spec.model_type \(raw) is unknown")
                }
                modelType = type
            case (24, .varint): treatWhitespaceAsSuffix = try reader.varint() != 0
            case (35, .varint): byteFallback = try reader.varint() != 0
            case (44, .lengthDelimited): unknownSurface = try reader.string()
            default: try reader.skip(field)
            }
        }
    }

    private static func readNormalizer(_ bytes: ArraySlice<UInt8>) throws -> Normalizer {
        var reader = ProtobufReader(bytes: bytes, path: "ModelProto.normalizer_spec")
        var spec = Normalizer()
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): spec.name = try reader.string()
            case (2, .lengthDelimited): spec.precompiledCharsmap = Array(try reader.bytes())
            case (3, .varint): spec.addDummyPrefix = try reader.varint() != 0
            case (4, .varint): spec.removeExtraWhitespaces = try reader.varint() != 0
            case (5, .varint): spec.escapeWhitespaces = try reader.varint() != 0
            default: try reader.skip(field)
            }
        }
        return spec
    }
}

/// The protobuf wire format (developers.google.com/protocol-buffers/docs/encoding): a message is
/// a sequence of (tag varint = number << 3 | wire type, value) fields.
struct ProtobufReader {
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    struct Field {
        var number: UInt64
        var wireType: WireType
    }

    private var data: ArraySlice<UInt8>
    private let path: String

    init(bytes: ArraySlice<UInt8>, path: String) {
        self.data = bytes
        self.path = path
    }

    private func truncated() -> TokenizerError {
        TokenizerError.invalid("\(path) is truncated or not a protobuf message")
    }

    /// The next field's tag, nil at the end of the message.
    mutating func nextField() throws -> Field? {
        if data.isEmpty { return nil }
        let tag = try varint()
        guard let type = WireType(rawValue: tag & 7), tag >> 3 != 0 else {
            throw TokenizerError.invalid("\(path) has a field with tag \(tag), which is not valid protobuf")
        }
        return Field(number: tag >> 3, wireType: type)
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = data.first {
            data.removeFirst()
            guard shift < 64 else { throw truncated() }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw truncated()
    }

    mutating func fixed32() throws -> UInt32 {
        guard data.count >= 4 else { throw truncated() }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(data[data.startIndex + i]) << (8 * UInt32(i)) }
        data.removeFirst(4)
        return value
    }

    mutating func bytes() throws -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(data.count) else { throw truncated() }
        let value = data.prefix(Int(length))
        data.removeFirst(Int(length))
        return value
    }

    mutating func string() throws -> String {
        let raw = try bytes()
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw TokenizerError.invalid("\(path) has a string field that is not UTF-8")
        }
        return text
    }

    /// Skips a field's value by its wire type. Groups (deprecated) are refused.
    mutating func skip(_ field: Field) throws {
        switch field.wireType {
        case .varint: _ = try varint()
        case .fixed64:
            guard data.count >= 8 else { throw truncated() }
            data.removeFirst(8)
        case .lengthDelimited: _ = try bytes()
        case .fixed32: _ = try fixed32()
        case .startGroup, .endGroup:
            throw TokenizerError.invalid("\(path) field \(field.number) is a group, which SentencePiece never writes")
        }
    }
}
