#!/usr/bin/env python3
"""Write Tests/Fixtures/tokenizer/corpus.jsonl: one JSON string per line.

Deterministic (fixed seed, no hashing of sets). The text is written for this project or is in
the public domain (the opening lines of 19th-century novels, Lincoln's Gettysburg Address).
It mixes hand-written strings covering every case the WordPiece pipeline has to get right
(accents in both normalization forms, many scripts, CJK, emoji sequences, control and format
characters, Unicode spaces, very long words, code, numbers, punctuation, literal special
tokens, empty and blank strings, one text longer than 512 tokens) with programmatic
combinations and random character soups drawn from the same pools.

Also writes typed_special_corpus.jsonl beside OUT: special tokens typed in the text, kept apart so
that they do not change the vocabularies generate_tokenizer_fixtures.py derives from the corpus.

Usage: python3 Tests/Fixtures/tokenizer/make_corpus.py [OUT.jsonl]
"""

import json
import os
import random
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))

PROSE = [
    "The quick brown fox jumps over the lazy dog.",
    "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
    "Call me Ishmael. Some years ago - never mind how long precisely - having little or no money in my purse, I thought I would sail about a little.",
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.",
    "Happy families are all alike; every unhappy family is unhappy in its own way.",
    "Whether I shall turn out to be the hero of my own life, or whether that station will be held by anybody else, these pages must show.",
    "The attention weights tell us where a head looks; the norms tell us how much it actually moves.",
    "Tokenizers split text into pieces that a model has seen during training.",
    "She sells sea-shells on the sea-shore, and the shells she sells are sea-shells, I'm sure.",
    "Don't count your chickens before they hatch, or so my grandmother used to say.",
    "We'll meet at 7 o'clock, won't we? I'd rather not be late again.",
    "Transformers compute a weighted sum of value vectors for every position.",
    "The committee's decision, announced Tuesday, surprised almost everyone.",
    "In 1969, Apollo 11 landed on the Moon; Neil Armstrong stepped out first.",
    "Mr. Smith went to Washington, D.C., on Jan. 3rd, 2024, at approx. 9 a.m.",
    "He said, \"This is the end.\" Then he left without another word.",
    "Programming languages like Swift, Rust, and Python each handle Unicode differently.",
    "A man, a plan, a canal: Panama!",
    "UPPERCASE TEXT SHOULD BE LOWERCASED BY AN UNCASED MODEL.",
    "MixedCase and camelCase and snake_case and kebab-case identifiers.",
    "Unbelievably, the unbreakable antidisestablishmentarianism argument persisted.",
    "The encoder reads the sentence; the decoder, if any, writes another.",
    "Rain, rain, go away; come again another day.",
    "Is it possible to tokenize this sentence without losing a single character offset?",
    "Fourscore and seven years ago our fathers brought forth on this continent a new nation.",
    "Ask not what your tokenizer can do for you; ask what you can do for your tokenizer.",
    "The cat sat on the mat. The dog did not.",
    "I have a dream that one day every offset will line up with the original text.",
    "Word pieces: playing, played, player, playful, playfulness, replay.",
    "Hyphenated-compound-words and em—dashes and en–dashes behave differently.",
    "Look at the ellipsis... and the question?! And the interrobang‽",
    "Parentheses (like these) and brackets [like these] and braces {like these}.",
    "E-mail me at someone@example.com or visit example.org for details.",
    "The temperature was -5°C at 06:45, rising to 12°C by noon.",
    "Café society gathered at the Hôtel de Ville for the soirée.",
    "Naïve coöperation between the two groups was, frankly, rare.",
    "The façade of the old château needed repair after the storm.",
    "Jalapeño, piñata, and señor are borrowed words in English.",
    "Über-cool Straße names confuse tourists in München.",
    "Smörgåsbord and fjärilar are Swedish words; Ærøskøbing is a Danish town.",
    "The résumé listed Zoë's experience as a déjà vu consultant.",
    "Łódź and Kraków are cities in Poland; Brno is in Czechia.",
    "İstanbul and Iğdır are Turkish cities with dotted and dotless i.",
    "Ångström units measure tiny lengths; the Ω sign measures resistance.",
    "Tolkien wrote of Eärendil and of Fëanor in his legendarium.",
    "Attention is not only a weight: the norm of the transformed vector matters too.",
    "Residual connections and layer normalization change the picture again.",
    "Each head of each layer gets its own matrix, and the rollout multiplies them.",
    "Cats, dogs, and ferrets; apples, oranges, and pears.",
    "This sentence has  two spaces, and this one has\ttabs\tinside.",
    "Line one\nLine two\nLine three",
    "Windows line endings\r\nare common in files\r\nfrom some editors.",
    "Trailing spaces matter for offsets.   ",
    "   Leading spaces matter too.",
    "A very short one.",
    "Yes.",
    "No!",
    "OK?",
    "x",
    "I",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z",
    "0 1 2 3 4 5 6 7 8 9",
    "The year 2000 problem, or Y2K, was mostly avoided.",
    "Version 3.10.2-beta+build.7 was released yesterday.",
    "Pi is roughly 3.14159265358979, and e is about 2.71828.",
    "The price rose from $1,299.99 to $1,499.00 (a 15.4% increase).",
    "Call 1-800-555-0199 or +44 20 7946 0958 for support.",
    "ISBN 978-3-16-148410-0 identifies the book.",
    "The meeting is on 2024-03-15T14:30:00Z.",
    "Coordinates: 48.8584° N, 2.2945° E.",
    "Its weight is 3 kg ± 0.5 kg, roughly 6.6 lb.",
]

ACCENTED = [
    "café", "naïve", "Zoë", "Ångström", "résumé", "São Paulo", "Straße", "Ærøskøbing",
    "İstanbul", "ﬁnancial ﬂow", "Å", "Ω", "crème brûlée", "El Niño", "Pokémon", "Beyoncé",
    "Đặng Thị Ngọc Thịnh", "Tiếng Việt có dấu", "Nguyễn", "Ægir", "Œuvre", "ǅemal", "ǈubljana",
    "Ĳsselmeer", "Çà et là", "Ça va?", "Ÿ", "ẞ", "ﬀ ﬃ ﬄ ﬅ ﬆ", "µ vs μ", "K (Kelvin sign)",
    "ǖǘǚǜ", "ȘȚșț", "ĀĒĪŌŪ āēīōū", "Ǻǻ", "ḱṕ", "ẚ", "ŉ", "ΐΰ",
]

SCRIPTS = [
    "Καλημέρα κόσμε! Πώς είστε σήμερα;",
    "ΟΔΥΣΣΕΥΣ και ΑΧΙΛΛΕΥΣ",
    "ἄνδρα μοι ἔννεπε, μοῦσα, πολύτροπον",
    "Привет, мир! Как дела?",
    "Ёлка и ёжик, ЙОД и йогурт.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Українська мова: ґанок, їжак, є.",
    "Српски: Љубав, Њива, Џеп.",
    "مرحبا بالعالم",
    "مَرْحَبًا بِكُمْ فِي الْعَالَمِ",
    "اللغة العربية جميلة، أليس كذلك؟",
    "فارسی: سلام دنیا",
    "שלום עולם",
    "שָׁלוֹם עוֹלָם",
    "עִבְרִית עם ניקוד",
    "नमस्ते दुनिया",
    "हिन्दी भाषा बहुत सुन्दर है।",
    "संस्कृतम् क्षत्रिय ज्ञान",
    "বাংলা ভাষা",
    "தமிழ் மொழி",
    "తెలుగు భాష",
    "ಕನ್ನಡ ಭಾಷೆ",
    "മലയാളം ഭാഷ",
    "ગુજરાતી ભાષા",
    "ਪੰਜਾਬੀ ਭਾਸ਼ਾ",
    "සිංහල භාෂාව",
    "สวัสดีชาวโลก",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "ພາສາລາວ",
    "ភាសាខ្មែរ",
    "မြန်မာဘာသာ",
    "ქართული ენა",
    "Հայերեն լեզու",
    "አማርኛ ቋንቋ",
    "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
    "ᐃᓄᒃᑎᑐᑦ",
    "ᚠᚢᚦᚨᚱᚲ",
    "Tiếng Việt: Tôi yêu tiếng nước tôi.",
    "Türkçe: Şişli'de çay içtik.",
    "Magyar: árvíztűrő tükörfúrógép",
    "Română: Îmi place să citesc.",
    "Čeština: Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Polski: Zażółć gęślą jaźń.",
    "Íslenska: Þórður og Ðóra.",
    "Lietuvių: ąčęėįšųūž",
    "Latviešu: āčēģīķļņšūž",
    "Esperanto: ĉu vi parolas?",
    "Hawaiʻi and ʻokina",
    "Yorùbá: Ẹ kú àárọ̀",
]

CJK = [
    "你好，世界！",
    "我爱北京天安门。",
    "机器学习是人工智能的一个分支。",
    "繁體中文與简体中文",
    "こんにちは世界",
    "カタカナとひらがな、そして漢字。",
    "東京は日本の首都です。",
    "ｶﾀｶﾅ ﾊﾝｶｸ",
    "ＡＢＣ１２３ｘｙｚ",
    "안녕하세요 세계",
    "한국어 문장입니다.",
    "ᄒᆞᆫ글 자모",
    "𠀀𠀁𠀂 CJK Extension B",
    "豈 更 車 (compatibility ideographs)",
    "中文English混合text",
    "日本語とEnglishのmixed文章",
    "한글과English",
    "〇一二三四五六七八九十",
    "「引用」『二重引用』【括弧】",
    "㈱ ㍿ ㌔ ㎞",
    "⺀⺁ radicals ⼀⼁",
    "𪚥 𫝀 𬺰",
]

EMOJI = [
    "😀", "I love it 😍!", "👍🏽 thumbs up", "👨‍👩‍👧‍👦 family", "🇫🇷🇯🇵🇺🇸 flags",
    "❤️ heart with VS16", "☺︎ text style", "🏳️‍🌈", "1️⃣2️⃣3️⃣", "🥰 newer emoji", "🫠 melting",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland", "👩🏿‍💻 technologist", "🧑‍🤝‍🧑", "✌🏻✌🏼✌🏽✌🏾✌🏿", "emoji😀inside😀words",
    "🐍🦀🦊", "⌚⌛⏰", "©®™", "♠♣♥♦", "→←↑↓↔", "∑∏∫√∞≈≠≤≥", "★☆✓✗",
]

CONTROL = [
    "null\u0000byte", "bell\u0007char", "delete\u007fchar", "next\u0085line", "zero\u200bwidth",
    "bom\ufeffinside", "\ufeffleading BOM", "replacement\ufffdchar", "soft\u00adhyphen",
    "zwj\u200dalone", "zwnj\u200cinside", "line\u2028separator", "para\u2029separator",
    "arabic\u061cmark", "rtl\u202eoverride\u202c", "private\ue000use", "\u0001\u0002\u0003",
    "\u0000", "\u200b", "\ufeff", "\ufffd", "mixed\u0000\u0007\u007f\u0085\u200b\ufeff\ufffdend",
    "form\u000cfeed", "vertical\u000btab", "unit\u001fseparator", "escape\u001b[31mred\u001b[0m",
    "word\u2060joiner", "tag\U000e0041chars", "\u00ad", "end with control\u0007",
]

SPACES = [
    "tab\tseparated\tvalues", "CRLF\r\nline", "non\u00a0breaking\u00a0space", "em\u2003space",
    "ideographic\u3000space", "ogham\u1680space", "narrow\u202fnbsp", "math\u205fspace",
    "thin\u2009space", "hair\u200aspace", "figure\u2007space", "en\u2002space",
    "\t\tindented", "many     spaces", "\n\n\n", "mixed \t\n\r\u00a0\u3000 spaces",
]

LONG_WORDS = [
    "a" * 150,
    "x" * 101,
    "y" * 100,
    "z" * 99,
    "abc" * 34,
    "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "é" * 101,
    unicodedata.normalize("NFD", "é" * 60),
    "短" * 120,
    "supercalifragilisticexpialidocious " * 5,
    "ab" * 49 + "é",
    "ab" * 50 + "é",
    "Lopadotemachoselachogaleokranioleipsanodrimhypotrimmatosilphioparaomelitokatakechymenokichlepikossyphophattoperisteralektryonoptekephalliokigklopeleiolagoiosiraiobaphetraganopterygon",
]

CODE = [
    "https://example.com/path/to/page?query=1&x=y#fragment",
    "http://www.example.org:8080/index.html",
    "ftp://files.example.net/pub/archive.tar.gz",
    "def f(x): return x**2",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "let tokens = tokenizer.encode(\"hello\")",
    '{"key": "value", "numbers": [1, 2, 3], "nested": {"a": null}}',
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "/usr/local/bin/python3 -m pip install --upgrade pip",
    "C:\\Users\\Name\\Documents\\file.txt",
    "<div class=\"container\"><p>Hello</p></div>",
    "x = a && b || !c; y = a ? b : c;",
    "regex: ^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\\.[a-zA-Z0-9-.]+$",
    "git commit -m 'Fix bug #123'",
    "user_name123 and CONSTANT_VALUE and __dunder__",
    "0x1F600 0b1010 0o755 1e-10 6.02e23",
    "a->b, a=>b, a::b, a..b, a...b, a?.b",
    "@decorator\ndef method(self, *args, **kwargs):\n    pass",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }",
    "$ echo $HOME && ls -la | grep '.swift'",
]

NUMBERS = [
    "3.14159", "1,000,000", "12:30pm", "½ ¼ ¾", "x² + y³", "①②③", "٣٤٥", "१२३", "Ⅻ Ⅳ ⅸ",
    "1e-10", "-42", "$100.00", "€50", "£20", "¥1000", "₹500", "100%", "#1", "No. 5", "4th 21st 32nd",
    "1/2 3/4", "10^6", "2024", "007", "3.0.0", "99 bottles", "١٢٣٤٥٦٧٨٩٠", "𝟙𝟚𝟛", "⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃",
]

PUNCT = [
    "!!!???", "...", "—–-", "«»„“”‘’", "¿Qué? ¡Hola!", "()[]{}<>", "@#$%^&*", "、。「」『』",
    "·•", "§¶†‡", "‽", "⁂", "'quoted' \"double\"", "a-b_c.d,e;f:g", "~`|\\/", "…", "‐‑‒–—―",
    "!?!?!?!?", ".,;:", "(((nested)))", "«Bonjour», dit-il.", "„Guten Tag“, sagte sie.",
    "『ダブル』", "﹏﹏", "⸘⸮", "꧁꧂", "،؛؟", "।॥", "።፣", "་།",
]

SPECIAL = [
    "[CLS]", "hello [SEP] world", "[MASK]", "[unk]", "[UNK]", "[PAD]", "[CLS][SEP]", "x[SEP]y",
    "[SEP ]", "[[SEP]]", "[ SEP ]", "[cls] lower case", "The [MASK] sat on the mat.",
    "[CLS] first [SEP] second [SEP]", "[MASK][MASK][MASK]", "[Mask]", "[SEP]\t[SEP]", "[SEP]é",
    "é[SEP]", "[SEP]😀", "[unused0]", "##ing", "## hash", "[UNK]nown",
    # Added tokens of the extra test configurations (see generate_tokenizer_fixtures.py).
    "an <ent> here", "x<ent>y", "  <ent>  spaced  ", "<ent>", "<ent><ent>", "\t<ent>\n", "<ENT>",
    "hello world", "Hello World!", "HELLO   world", "say hello world twice: hello world",
    "don't stop", "idon't", "don'tcha", "(don't)", "C++ and c++", "C++C++", "é <ent> é",
]

# Special tokens typed in the text (written to typed_special_corpus.jsonl, not to corpus.jsonl, so
# that the small vocabularies derived from corpus.jsonl stay as they are): each must keep its
# source span, lowercase forms follow tokenizer.json's added_tokens flags, and whitespace,
# punctuation and non-ASCII text may sit right next to them.
TYPED_SPECIAL = [
    "a [SEP]", "The [MASK] is blue.", "[CLS] [SEP] [MASK] as text", "[mask] lowercase", "x[SEP]y",
    "[UNK] [PAD]", "[MASK][MASK]", "The [MASK] sat on the mat.", "[Mask] [mASK] [sep] [Cls]",
    "([MASK]).", "[MASK],[SEP]!", "\"[MASK]\"", "end.[SEP]", "?[CLS]?", "a-[MASK]-b", "[MASK]'s",
    "café[MASK]", "[MASK]é", "Zoë [MASK] naïve", "東京[MASK]京", "😀[MASK]", "🚀 [MASK] sat", "[MASK]😀",
    "[MASK]\u0301", "e\u0301[SEP]", "\u00a0[MASK]\u3000", "\u200b[SEP]\u200b",
    " [MASK]", "[MASK] ", "  [MASK]  ", "\t[SEP]\n", "\n[CLS]\r\n[SEP]\t", " a [SEP] ",
    "[MASK] <ent> x", "a<ent>[MASK]", "[SEP]<ent>", "hello world [MASK]", "C++[SEP]",
]

BLANK = ["", " ", "   ", "\t", "\n", "\t\n", "\r\n", "\u3000", "\u00a0\u00a0", " \u2003 ", "\u200b\u200b"]

COMBINING = [
    "a\u0301\u0323", "e\u0323\u0302", "o\u0308\u0304", "\u0301abc", "abc \u0301 def",
    "Z\u0324\u0354\u0367\u0311\u0313a\u0356\u032d\u0308\u0307l\u036e\u0312\u036bg\u030c\u0317\u035ao\u0319\u0314\u036e\u0307\u0350\u0307",
    "q\u0307\u0323", "s\u0323\u0307", "\u1e69", "x\u20dd", "A\u20e3", "क\u093f", "क्\u200dष",
    "e\u0301\u0301\u0301", "a\u0345\u0301", "u\u031b\u0301", "n\u0303n\u0303", "i\u0307",
    "ﬁ\u0301", "\u0344", "\u0340\u0341", "\u0f73\u0f75", "\u0958", "\u2126\u212b",
    "a\u0300\u0316\u0301\u0317", "\u05d0\u05b8\u05bc", "\u0627\u0653\u0654", "\u0b47\u0b3e",
    "\u1100\u1161\u11a8", "\u1100\u1161", "\uac00\u11a8", "\u0d4a\u0d46\u0d3e",
]


def build_long_text():
    paragraphs = [
        "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age "
        "of foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season "
        "of Light, it was the season of Darkness, it was the spring of hope, it was the winter of "
        "despair, we had everything before us, we had nothing before us, we were all going direct to "
        "Heaven, we were all going direct the other way.",
        "Four score and seven years ago our fathers brought forth on this continent, a new nation, "
        "conceived in Liberty, and dedicated to the proposition that all men are created equal. Now we "
        "are engaged in a great civil war, testing whether that nation, or any nation so conceived and "
        "so dedicated, can long endure. We are met on a great battle-field of that war. We have come to "
        "dedicate a portion of that field, as a final resting place for those who here gave their "
        "lives that that nation might live. It is altogether fitting and proper that we should do this.",
        "But, in a larger sense, we can not dedicate -- we can not consecrate -- we can not hallow -- "
        "this ground. The brave men, living and dead, who struggled here, have consecrated it, far "
        "above our poor power to add or detract. The world will little note, nor long remember what we "
        "say here, but it can never forget what they did here.",
        "Heed reads a tokenizer file, splits the text into words and pieces, and keeps, for every "
        "piece, the exact span of the original characters it came from. Those spans let an editor "
        "paint each word with the attention it receives, the norm of what flows into it, or a whole "
        "rollout across layers. Accents (café, naïve), scripts (Привет, こんにちは, 안녕하세요), and "
        "emoji (👍🏽, 🇯🇵) must all keep their offsets, even when the normalizer strips, lowercases or "
        "pads them with spaces.",
        "Call me Ishmael. Some years ago -- never mind how long precisely -- having little or no money "
        "in my purse, and nothing particular to interest me on shore, I thought I would sail about a "
        "little and see the watery part of the world. It is a way I have of driving off the spleen, "
        "and regulating the circulation.",
        "A tokenizer is a small program with a large responsibility. If it drops a character, every "
        "offset after it shifts; if it merges two words, the highlight lands on the wrong one; if it "
        "disagrees with the library the model was trained with, the model reads a text nobody wrote. "
        "So the rules are copied carefully: control characters vanish, odd spaces become plain ones, "
        "ideographs are padded, accents are stripped after decomposition, and every remaining word "
        "is cut greedily into the longest pieces the vocabulary knows, with an unknown token for "
        "anything it cannot spell.",
    ]
    return "\n\n".join(paragraphs)


WORDS = [
    "hello", "world", "Tokenizer", "café", "naïve", "Straße", "İstanbul", "Ωmega", "東京", "서울",
    "Привет", "שלום", "مرحبا", "नमस्ते", "สวัสดี", "😀", "👍🏽", "[SEP]", "[MASK]", "don't",
    "e-mail", "3.14", "C++", "ǅ", "ﬁ", "ΣΊΣΥΦΟΣ", "ÅNGSTRÖM", "coöperate", "x²", "½",
]
JOINERS = [" ", "  ", "\t", "\n", "\u00a0", "\u3000", "", "-", ", ", "\u200b", "\u0000", "\r\n", "…"]
WRAPPERS = [("", ""), ("(", ")"), ("\"", "\""), ("«", "»"), ("[", "]"), (" ", " "), ("¿", "?"), ("「", "」")]

SOUP_POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    " \t\n\r\u00a0\u2003\u3000\u1680\u202f\u0085\u000b\u000c",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»—–…‽、。「」",
    "\u0300\u0301\u0302\u0303\u0308\u0323\u0327\u0345\u031b\u093f\u0903\u20dd\u0e31\u05b8",
    "éèêëàáâäçñöüÅåØøÆæœßİıǅǈǋﬁﬂĲ",
    "ΑΒΓΔΣσςΩάέήίόύώЁЖЩЯёжщяابتثשבגדकखगघกขคง",
    "中文字漢語日本語ひらがなカタカナ한국어ｶﾅＡ１豈",
    "😀👍🏽🇫🇷❤️\u200d\ufe0f\ufe0e🏳🌈🥰🫠",
    "\u0000\u0007\u007f\u200b\ufeff\ufffd\u00ad\u200e\u202e\ue000\U000e0061",
    "①½²Ⅻ٣१𝟙₀",
]


def programmatic(rng):
    out = []
    transforms = [
        lambda s: s,
        str.upper,
        str.lower,
        str.title,
        lambda s: unicodedata.normalize("NFD", s),
        lambda s: unicodedata.normalize("NFC", s),
        lambda s: unicodedata.normalize("NFKC", s),
    ]
    for _ in range(220):
        n = rng.randint(1, 6)
        words = [rng.choice(WORDS) for _ in range(n)]
        words = [rng.choice(transforms)(w) for w in words]
        joined = words[0]
        for w in words[1:]:
            joined += rng.choice(JOINERS) + w
        left, right = rng.choice(WRAPPERS)
        out.append(left + joined + right)
    for _ in range(90):
        n = rng.randint(1, 40)
        pools = rng.sample(SOUP_POOLS, rng.randint(1, 4))
        chars = "".join(pools)
        out.append("".join(rng.choice(chars) for _ in range(n)))
    return out


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus.jsonl")
    rng = random.Random(20240611)
    nfd_variants = [unicodedata.normalize("NFD", s) for s in ACCENTED + SCRIPTS[:12]]
    mixed_case = [s.upper() for s in PROSE[:10]] + [s.swapcase() for s in ACCENTED[:10]]
    corpus = (
        PROSE + ACCENTED + nfd_variants + mixed_case + SCRIPTS + CJK + EMOJI + CONTROL + SPACES
        + LONG_WORDS + CODE + NUMBERS + PUNCT + SPECIAL + BLANK + COMBINING
        + [build_long_text()] + programmatic(rng)
    )
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        for text in corpus:
            f.write(json.dumps(text, ensure_ascii=True) + "\n")
    print(f"wrote {len(corpus)} strings to {out_path}")
    typed_path = os.path.join(os.path.dirname(os.path.abspath(out_path)), "typed_special_corpus.jsonl")
    with open(typed_path, "w", encoding="utf-8", newline="\n") as f:
        for text in TYPED_SPECIAL:
            f.write(json.dumps(text, ensure_ascii=True) + "\n")
    print(f"wrote {len(TYPED_SPECIAL)} strings to {typed_path}")


if __name__ == "__main__":
    main()
