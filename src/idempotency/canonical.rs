//! Canonical JSON, written straight from the text: object members sorted by key at every
//! level, no whitespace, strings in one escaping, numbers as the f64 JavaScript holds. No
//! value tree is built: members are written in place and an object whose keys are out of
//! order is rewritten sorted.

/// Deeper nesting is not canonicalised (the caller hashes the text as it is instead), which
/// also bounds the recursion.
pub const MAX_DEPTH: usize = 128;

/// Appends the canonical form of `text` to `out`; `None` if `text` is not one JSON value
/// (or nests deeper than `MAX_DEPTH`, or holds a lone surrogate escape), leaving `out` as it was.
pub fn canonicalize(text: &str, out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    let mut parser = Parser {
        text: text.as_bytes(),
        pos: 0,
        members: Vec::new(),
    };
    let done = parser.value(out, 0).and_then(|()| {
        parser.skip_whitespace();
        (parser.pos == parser.text.len()).then_some(())
    });
    if done.is_none() {
        out.truncate(start);
    }
    done
}

/// One object member as written to `out` (no comma): where it starts (its quoted key's
/// first byte), where its key ends, where it ends.
#[derive(Clone, Copy)]
struct Member {
    key_start: usize,
    key_end: usize,
    end: usize,
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    /// Members of the objects being written, innermost last (one list for all levels).
    members: Vec<Member>,
}

impl Parser<'_> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.pos) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], out: &mut Vec<u8>) -> Option<()> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            out.extend_from_slice(word);
            Some(())
        } else {
            None
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_whitespace();
        match *self.text.get(self.pos)? {
            b'{' => self.object(out, depth),
            b'[' => self.array(out, depth),
            b'"' => self.string(out),
            b't' => self.literal(b"true", out),
            b'f' => self.literal(b"false", out),
            b'n' => self.literal(b"null", out),
            b'-' | b'0'..=b'9' => self.number(out),
            _ => None,
        }
    }

    fn array(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.pos += 1;
        out.push(b'[');
        self.skip_whitespace();
        if self.text.get(self.pos) == Some(&b']') {
            self.pos += 1;
            out.push(b']');
            return Some(());
        }
        loop {
            self.value(out, depth + 1)?;
            self.skip_whitespace();
            match *self.text.get(self.pos)? {
                b',' => out.push(b','),
                b']' => break,
                _ => return None,
            }
            self.pos += 1;
        }
        self.pos += 1;
        out.push(b']');
        Some(())
    }

    fn object(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        self.pos += 1;
        out.push(b'{');
        let first = self.members.len();
        self.skip_whitespace();
        if self.text.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            out.push(b'}');
            return Some(());
        }
        loop {
            self.skip_whitespace();
            if self.text.get(self.pos) != Some(&b'"') {
                return None;
            }
            if self.members.len() > first {
                out.push(b',');
            }
            let key_start = out.len();
            self.string(out)?;
            let key_end = out.len();
            self.skip_whitespace();
            if self.text.get(self.pos) != Some(&b':') {
                return None;
            }
            self.pos += 1;
            out.push(b':');
            self.value(out, depth + 1)?;
            self.members.push(Member {
                key_start,
                key_end,
                end: out.len(),
            });
            self.skip_whitespace();
            match *self.text.get(self.pos)? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
            self.pos += 1;
        }
        self.pos += 1;
        self.sort_members(out, first);
        self.members.truncate(first);
        out.push(b'}');
        Some(())
    }

    /// Puts the members from `first` on in key order (they are written one after another,
    /// comma-separated, and end at the end of `out`). Members already in order cost nothing.
    fn sort_members(&self, out: &mut Vec<u8>, first: usize) {
        let members = &self.members[first..];
        let key = |m: &Member| &out[m.key_start..m.key_end];
        if members
            .windows(2)
            .all(|pair| key(&pair[0]) <= key(&pair[1]))
        {
            return;
        }
        let mut order: Vec<&Member> = members.iter().collect();
        order.sort_by(|a, b| key(a).cmp(key(b)));
        let body = members[0].key_start;
        let mut sorted = Vec::with_capacity(out.len() - body);
        for (i, m) in order.iter().enumerate() {
            if i > 0 {
                sorted.push(b',');
            }
            sorted.extend_from_slice(&out[m.key_start..m.end]);
        }
        out.truncate(body);
        out.extend_from_slice(&sorted);
    }

    fn string(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let start = self.pos;
        let mut i = start + 1;
        loop {
            match *self.text.get(i)? {
                b'"' => break,
                b'\\' => return self.escaped_string(out),
                0..=0x1f => return None,
                _ => i += 1,
            }
        }
        // No escapes: the text is already the canonical form (the only characters the
        // canonical escaping changes are quotes, backslashes and control characters).
        out.extend_from_slice(&self.text[start..=i]);
        self.pos = i + 1;
        Some(())
    }

    fn escaped_string(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let mut decoded = String::new();
        let mut i = self.pos + 1;
        loop {
            let run = i;
            while !matches!(*self.text.get(i)?, b'"' | b'\\' | 0..=0x1f) {
                i += 1;
            }
            // The text is a &str and the run stops at ASCII bytes: a whole UTF-8 sequence.
            decoded.push_str(std::str::from_utf8(&self.text[run..i]).ok()?);
            match self.text[i] {
                b'"' => break,
                b'\\' => {
                    let escape = *self.text.get(i + 1)?;
                    i += 2;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let unit = self.hex4(i)?;
                            i += 4;
                            if (0xd800..0xdc00).contains(&unit) {
                                if self.text.get(i..i + 2)? != b"\\u" {
                                    return None;
                                }
                                let low = self.hex4(i + 2)?;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return None;
                                }
                                i += 6;
                                char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))?
                            } else {
                                char::from_u32(unit)?
                            }
                        }
                        _ => return None,
                    };
                    decoded.push(c);
                }
                _ => return None,
            }
        }
        self.pos = i + 1;
        serde_json::to_writer(&mut *out, &decoded).ok()
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = std::str::from_utf8(self.text.get(at..at + 4)?).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }

    fn number(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let text = self.text;
        let start = self.pos;
        let mut i = start;
        if text[i] == b'-' {
            i += 1;
        }
        let digits = i;
        match *text.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while text.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        let integer_digits = i - digits;
        let mut plain = true;
        if text.get(i) == Some(&b'.') {
            plain = false;
            i += 1;
            let from = i;
            while text.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == from {
                return None;
            }
        }
        if let Some(b'e' | b'E') = text.get(i) {
            plain = false;
            i += 1;
            if let Some(b'+' | b'-') = text.get(i) {
                i += 1;
            }
            let from = i;
            while text.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == from {
                return None;
            }
        }
        self.pos = i;
        let literal = &text[start..i];
        if plain && integer_digits <= 15 {
            // Exact in an f64 and already its shortest form; only -0 is 0.
            out.extend_from_slice(if literal == b"-0" { b"0" } else { literal });
            return Some(());
        }
        let value: f64 = std::str::from_utf8(literal).ok()?.parse().ok()?;
        let value = if value == 0.0 { 0.0 } else { value };
        out.extend_from_slice(value.to_string().as_bytes());
        Some(())
    }
}
