// SentencePiece detokenization as the `sentencepiece` package 0.2.3 does it for a list of piece
// strings (sentencepiece_processor.cc `Decode(pieces)`, what Python's `decode_pieces` calls):
// - each piece gets its id by `PieceToId` (an unknown string gets the unknown piece's id);
// - a CONTROL piece (`<s>`, `</s>`) gives nothing; the unknown piece itself gives
//   `trainer_spec.unk_surface` (" \u{2047} "); any other string that is not a piece is kept as it is;
// - a run of BYTE pieces (`<0xNN>`) is put together and read as UTF-8 one character at a time
//   (`string_util::DecodeUTF8`), each byte that does not start a well-formed character giving
//   U+FFFD;
// - every other piece has U+2581 replaced by a space, except that while nothing has been written
//   yet one leading U+2581 is dropped (with add_dummy_prefix or remove_extra_whitespaces; with
//   remove_extra_whitespaces for every piece until some text is written, else only for the first
//   piece that had one).
// Not done: the `denormalizer_spec` rules, which the models Heed reads do not carry.

extension SentencePieceProcessor {
    /// The text of `pieces` (sentencepiece's `decode_pieces`): see the file header. Never throws;
    /// a piece that is not in the model is kept verbatim, as sentencepiece does.
    public func decode(pieces: [String]) -> String {
        let space: Unicode.Scalar = "\u{2581}"
        var text = ""
        var isBOSWhitespace = true
        var sawBOSWhitespace = false
        var bytes: [UInt8] = []
        let consumesLeadingSpace = file.normalizer.addDummyPrefix || file.normalizer.removeExtraWhitespaces

        func flushBytes() {
            var offset = 0
            while offset < bytes.count {
                if let length = Self.utf8CharacterLength(bytes, at: offset) {
                    text += String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
                    offset += length
                } else {
                    text += "\u{FFFD}"
                    offset += 1
                }
            }
            bytes.removeAll()
        }

        for piece in pieces {
            let id = self.id(forPiece: piece) ?? unknownID
            let type = file.pieces[id].type
            if type == .byte, let byte = Self.byteValue(piece) {
                bytes.append(byte)
                continue
            }
            flushBytes()
            if sawBOSWhitespace || !text.isEmpty { isBOSWhitespace = false }
            sawBOSWhitespace = false
            switch type {
            case .control:
                continue
            case .unknown:
                text += piece == file.pieces[id].piece ? file.unknownSurface : piece
                continue
            default:
                break
            }
            var scalars = Substring(piece).unicodeScalars[...]
            if isBOSWhitespace && consumesLeadingSpace, scalars.first == space {
                scalars = scalars.dropFirst()
                sawBOSWhitespace = !file.normalizer.removeExtraWhitespaces
            }
            var surface = String.UnicodeScalarView()
            for s in scalars { surface.append(s == space ? " " : s) }
            text += String(surface)
        }
        flushBytes()
        return text
    }

    /// The length of the well-formed UTF-8 character starting at `offset` (`DecodeUTF8`: no
    /// overlong form, no surrogate, at most U+10FFFF), nil when there is none.
    static func utf8CharacterLength(_ bytes: [UInt8], at offset: Int) -> Int? {
        let lead = bytes[offset]
        if lead < 0x80 { return 1 }
        let length: Int, minimum: UInt32, initial: UInt32
        switch lead {
        case _ where lead & 0xE0 == 0xC0: (length, minimum, initial) = (2, 0x80, UInt32(lead & 0x1F))
        case _ where lead & 0xF0 == 0xE0: (length, minimum, initial) = (3, 0x800, UInt32(lead & 0x0F))
        case _ where lead & 0xF8 == 0xF0: (length, minimum, initial) = (4, 0x10000, UInt32(lead & 0x07))
        default: return nil
        }
        guard offset + length <= bytes.count else { return nil }
        var cp = initial
        for i in 1..<length {
            let b = bytes[offset + i]
            guard b & 0xC0 == 0x80 else { return nil }
            cp = cp << 6 | UInt32(b & 0x3F)
        }
        guard cp >= minimum, cp < 0xD800 || (cp >= 0xE000 && cp <= 0x10FFFF) else { return nil }
        return length
    }
}
