// A sample of JSONTestSuite's test_parsing corpus (github.com/nst/JSONTestSuite, commit 1ef36fa),
// embedded so the tests need nothing outside the package. `y_` must be accepted, `n_` rejected,
// `i_` may go either way (never crash). Regenerate from ../shared/data/JSONTestSuite if needed.
// The corpus is under the MIT licence:
//
// MIT License
//
// Copyright (c) 2016 Nicolas Seriot
//
// Permission is hereby granted, free of charge, to any person obtaining a copy
// of this software and associated documentation files (the "Software"), to deal
// in the Software without restriction, including without limitation the rights
// to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
// copies of the Software, and to permit persons to whom the Software is
// furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
// AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
// SOFTWARE.

/// One conformance case: the file's name (without `.json`) and its exact bytes.
public struct ConformanceCase: Sendable {
    /// The file's name without `.json`; its prefix (`y_`, `n_`, `i_`) says what a reader must do.
    public let name: String
    /// The file's exact bytes.
    public let bytes: [UInt8]

    /// A case whose bytes are the UTF-8 of `text`.
    public init(_ name: String, text: String) {
        self.name = name
        self.bytes = Array(text.utf8)
    }

    /// A case of raw bytes (not necessarily UTF-8).
    public init(_ name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// The embedded sample, for the JSON reader's tests and the JSON-RPC envelope's.
public enum ConformanceSample {
    /// The sample's files, `y_` first, then `n_`, then `i_`.
    public static let cases: [ConformanceCase] = [
        ConformanceCase("y_array_empty", text: "[]"),
        ConformanceCase("y_array_heterogeneous", text: "[null, 1, \"1\", {}]"),
        ConformanceCase("y_array_with_several_null", text: "[1,null,null,null,2]"),
        ConformanceCase("y_number", text: "[123e65]"),
        ConformanceCase("y_number_0e+1", text: "[0e+1]"),
        ConformanceCase("y_number_double_close_to_zero", text: "[-0.000000000000000000000000000000000000000000000000000000000000000000000000000001]\n"),
        ConformanceCase("y_number_minus_zero", text: "[-0]"),
        ConformanceCase("y_number_real_capital_e_neg_exp", text: "[1E-2]"),
        ConformanceCase("y_number_real_exponent", text: "[123e45]"),
        ConformanceCase("y_object_duplicated_key", text: "{\"a\":\"b\",\"a\":\"c\"}"),
        ConformanceCase("y_object_empty_key", text: "{\"\":0}"),
        ConformanceCase("y_object_escaped_null_in_key", text: "{\"foo\\u0000bar\": 42}"),
        ConformanceCase("y_object_extreme_numbers", text: "{ \"min\": -1.0e+28, \"max\": 1.0e+28 }"),
        ConformanceCase("y_string_accepted_surrogate_pairs", text: "[\"\\ud83d\\ude39\\ud83d\\udc8d\"]"),
        ConformanceCase("y_string_allowed_escapes", text: "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"),
        ConformanceCase("y_string_backslash_and_u_escaped_zero", text: "[\"\\\\u0000\"]"),
        ConformanceCase("y_string_nonCharacterInUTF-8_U+10FFFF", text: "[\"\u{10FFFF}\"]"),
        ConformanceCase("y_string_null_escape", text: "[\"\\u0000\"]"),
        ConformanceCase("y_string_u+2028_line_sep", text: "[\"\u{2028}\"]"),
        ConformanceCase("y_string_unicode_U+FFFE_nonchar", text: "[\"\\uFFFE\"]"),
        ConformanceCase("y_string_utf8", text: "[\"€𝄞\"]"),
        ConformanceCase("y_string_with_del_character", text: "[\"a\u{7F}a\"]"),
        ConformanceCase("y_structure_lonely_negative_real", text: "-0.1"),
        ConformanceCase("y_structure_lonely_string", text: "\"asd\""),
        ConformanceCase("y_structure_whitespace_array", text: " [] "),
        ConformanceCase("y_structure_trailing_newline", text: "[\"a\"]\n"),
        ConformanceCase("n_array_extra_comma", text: "[\"\",]"),
        ConformanceCase("n_array_double_comma", text: "[1,,2]"),
        ConformanceCase("n_array_inner_array_no_comma", text: "[3[4]]"),
        ConformanceCase("n_array_just_minus", text: "[-]"),
        ConformanceCase("n_array_unclosed_trailing_comma", text: "[1,"),
        ConformanceCase("n_array_spaces_vertical_tab_formfeed", text: "[\"\u{B}a\"\\f]"),
        ConformanceCase("n_incomplete_true", text: "[tru]"),
        ConformanceCase("n_multidigit_number_then_00", text: "123\u{0}"),
        ConformanceCase("n_number_-01", text: "[-01]"),
        ConformanceCase("n_number_+1", text: "[+1]"),
        ConformanceCase("n_number_.2e-3", text: "[.2e-3]"),
        ConformanceCase("n_number_0.e1", text: "[0.e1]"),
        ConformanceCase("n_number_1.0e+", text: "[1.0e+]"),
        ConformanceCase("n_number_NaN", text: "[NaN]"),
        ConformanceCase("n_number_hex_1_digit", text: "[0x1]"),
        ConformanceCase("n_number_invalid-utf-8-in-int", bytes: [0x5B, 0x30, 0xE5, 0x5D, 0x0A]),
        ConformanceCase("n_number_with_leading_zero", text: "[012]"),
        ConformanceCase("n_object_trailing_comma", text: "{\"id\":0,}"),
        ConformanceCase("n_object_single_quote", text: "{'a':0}"),
        ConformanceCase("n_object_non_string_key", text: "{1:1}"),
        ConformanceCase("n_object_trailing_comment", text: "{\"a\":\"b\"}/**/"),
        ConformanceCase("n_object_missing_value", text: "{\"a\":"),
        ConformanceCase("n_object_lone_continuation_byte_in_key_and_trailing_comma", bytes: [0x7B, 0x22, 0xB9, 0x22, 0x3A, 0x22, 0x30, 0x22, 0x2C, 0x7D]),
        ConformanceCase("n_string_1_surrogate_then_escape_u1x", text: "[\"\\uD800\\u1x\"]"),
        ConformanceCase("n_string_escape_x", text: "[\"\\x00\"]"),
        ConformanceCase("n_string_incomplete_surrogate_escape_invalid", text: "[\"\\uD800\\uD800\\x\"]"),
        ConformanceCase("n_string_unescaped_ctrl_char", text: "[\"a\u{0}a\"]"),
        ConformanceCase("n_string_unescaped_tab", text: "[\"\t\"]"),
        ConformanceCase("n_string_invalid_utf8_after_escape", bytes: [0x5B, 0x22, 0x5C, 0xE5, 0x22, 0x5D]),
        ConformanceCase("n_string_single_quote", text: "['single quote']"),
        ConformanceCase("n_structure_UTF8_BOM_no_data", text: "\u{FEFF}"),
        ConformanceCase("n_structure_no_data", text: ""),
        ConformanceCase("n_structure_null-byte-outside-string", text: "[\u{0}]"),
        ConformanceCase("n_structure_whitespace_formfeed", text: "[\u{C}]"),
        ConformanceCase("n_structure_double_array", text: "[][]"),
        ConformanceCase("n_structure_lone-invalid-utf-8", bytes: [0xE5]),
        ConformanceCase("n_structure_unclosed_object", text: "{\"asd\":\"asd\""),
        ConformanceCase("i_number_huge_exp", text: "[0.4e00669999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999969999999006]"),
        ConformanceCase("i_number_real_underflow", text: "[123e-10000000]"),
        ConformanceCase("i_number_too_big_neg_int", text: "[-123123123123123123123123123123]"),
        ConformanceCase("i_object_key_lone_2nd_surrogate", text: "{\"\\uDFAA\":0}"),
        ConformanceCase("i_string_1st_surrogate_but_2nd_missing", text: "[\"\\uDADA\"]"),
        ConformanceCase("i_string_incomplete_surrogate_and_escape_valid", text: "[\"\\uD800\\n\"]"),
        ConformanceCase("i_string_invalid_lonely_surrogate", text: "[\"\\ud800\"]"),
        ConformanceCase("i_string_inverted_surrogates_U+1D11E", text: "[\"\\uDd1e\\uD834\"]"),
        ConformanceCase("i_string_UTF8_surrogate_U+D800", bytes: [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D]),
        ConformanceCase("i_string_overlong_sequence_2_bytes", bytes: [0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D]),
        ConformanceCase("i_string_not_in_unicode_range", bytes: [0x5B, 0x22, 0xF4, 0xBF, 0xBF, 0xBF, 0x22, 0x5D]),
        ConformanceCase("i_structure_UTF-8_BOM_empty_object", text: "\u{FEFF}{}"),
        ConformanceCase("i_string_utf16LE_no_BOM", bytes: [0x5B, 0x00, 0x22, 0x00, 0xE9, 0x00, 0x22, 0x00, 0x5D, 0x00]),
    ]
}
