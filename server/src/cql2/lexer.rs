//! Splits filter text into tokens, each with its 0-based character position.

use super::Cql2Error;
use super::ast::CmpOp;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    /// An unquoted identifier or keyword, as written.
    Ident(String),
    /// A double-quoted property name.
    Quoted(String),
    /// A single-quoted string literal, unescaped.
    Str(String),
    /// A numeric literal as written (sign included).
    Number(String),
    LParen,
    RParen,
    Comma,
    Cmp(CmpOp),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    /// Character index of the token's first character.
    pub pos: usize,
}

impl Token {
    /// How an error message names the token.
    pub fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Ident(s) => format!("`{}`", shorten(s)),
            TokenKind::Quoted(s) => format!("\"{}\"", shorten(s)),
            TokenKind::Str(s) => format!("'{}'", shorten(s)),
            TokenKind::Number(s) => shorten(s),
            TokenKind::LParen => "'('".to_owned(),
            TokenKind::RParen => "')'".to_owned(),
            TokenKind::Comma => "','".to_owned(),
            TokenKind::Cmp(op) => format!("'{}'", op.symbol()),
            TokenKind::Eof => "the end of the filter".to_owned(),
        }
    }
}

/// Keeps quoted input in error messages to a readable length.
fn shorten(s: &str) -> String {
    const MAX: usize = 24;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// Identifiers may be Japanese: any Unicode letter or `_` starts one.
pub(super) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

pub(super) fn is_ident_part(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Tokenises the whole text; the last token is always `Eof`.
pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, Cql2Error> {
    let chars: Vec<char> = text.chars().collect();
    let mut lexer = Lexer { chars, at: 0 };
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token()?;
        let end = token.kind == TokenKind::Eof;
        tokens.push(token);
        if end {
            return Ok(tokens);
        }
    }
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn next_token(&mut self) -> Result<Token, Cql2Error> {
        while self.peek(0).is_some_and(char::is_whitespace) {
            self.at += 1;
        }
        let pos = self.at;
        let Some(c) = self.peek(0) else {
            return Ok(Token {
                kind: TokenKind::Eof,
                pos,
            });
        };
        let kind = match c {
            '(' => self.single(TokenKind::LParen),
            ')' => self.single(TokenKind::RParen),
            ',' => self.single(TokenKind::Comma),
            '=' | '<' | '>' => self.comparison(c),
            '\'' => TokenKind::Str(self.quoted('\'', "string")?),
            '"' => TokenKind::Quoted(self.quoted('"', "property name")?),
            _ if self.starts_number() => TokenKind::Number(self.number()?),
            _ if is_ident_start(c) => TokenKind::Ident(self.take_while(is_ident_part)),
            '!' => {
                return Err(err(
                    pos,
                    "unexpected character '!': write <> for 'not equal'",
                ));
            }
            _ => return Err(err(pos, unexpected(c))),
        };
        Ok(Token { kind, pos })
    }

    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.at += 1;
        kind
    }

    fn comparison(&mut self, c: char) -> TokenKind {
        self.at += 1;
        let next = self.peek(0);
        let (op, len) = match (c, next) {
            ('<', Some('=')) => (CmpOp::Le, 1),
            ('<', Some('>')) => (CmpOp::Ne, 1),
            ('<', _) => (CmpOp::Lt, 0),
            ('>', Some('=')) => (CmpOp::Ge, 1),
            ('>', _) => (CmpOp::Gt, 0),
            _ => (CmpOp::Eq, 0),
        };
        self.at += len;
        TokenKind::Cmp(op)
    }

    /// Reads a quoted run where a doubled quote stands for one quote.
    fn quoted(&mut self, quote: char, what: &str) -> Result<String, Cql2Error> {
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            match self.peek(0) {
                None => {
                    return Err(err(
                        start,
                        format!("unterminated {what}: add a closing {quote}"),
                    ));
                }
                Some(c) if c == quote && self.peek(1) == Some(quote) => {
                    out.push(quote);
                    self.at += 2;
                }
                Some(c) if c == quote => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }

    fn starts_number(&self) -> bool {
        let digit_at = |i: usize| self.peek(i).is_some_and(|c| c.is_ascii_digit());
        let unsigned_at = |i: usize| digit_at(i) || (self.peek(i) == Some('.') && digit_at(i + 1));
        match self.peek(0) {
            Some('-' | '+') => unsigned_at(1),
            _ => unsigned_at(0),
        }
    }

    /// `[sign] digits [. digits] [e [sign] digits]`, also `.5` and `5.`.
    fn number(&mut self) -> Result<String, Cql2Error> {
        let start = self.at;
        if matches!(self.peek(0), Some('-' | '+')) {
            self.at += 1;
        }
        self.take_while(|c| c.is_ascii_digit());
        if self.peek(0) == Some('.') {
            self.at += 1;
            self.take_while(|c| c.is_ascii_digit());
        }
        let exp_digit = |i| self.peek(i).is_some_and(|c: char| c.is_ascii_digit());
        if matches!(self.peek(0), Some('e' | 'E'))
            && (exp_digit(1) || (matches!(self.peek(1), Some('-' | '+')) && exp_digit(2)))
        {
            self.at += 2;
            self.take_while(|c| c.is_ascii_digit());
        }
        if self.peek(0).is_some_and(|c| is_ident_part(c) || c == '.') {
            return Err(err(
                start,
                "a name that starts with a digit must be double-quoted, as in \"2項道路\"",
            ));
        }
        Ok(self.chars[start..self.at].iter().collect())
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let start = self.at;
        while self.peek(0).is_some_and(&keep) {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }
}

/// Japanese input methods readily produce full-width forms (＝, （, ’): name the ASCII one.
fn unexpected(c: char) -> String {
    let ascii = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0),
        '‘' | '’' => Some('\''),
        '“' | '”' => Some('"'),
        _ => None,
    };
    match ascii {
        Some(a) => format!("unexpected character '{c}': write the ASCII '{a}' instead"),
        None => format!("unexpected character '{c}'"),
    }
}

fn err(position: usize, message: impl Into<String>) -> Cql2Error {
    Cql2Error {
        position,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[rstest]
    #[case("-1.5e3", "-1.5e3")]
    #[case(".5", ".5")]
    #[case("5.", "5.")]
    #[case("+7", "+7")]
    #[case("1E-7", "1E-7")]
    fn numbers_are_read_whole(#[case] text: &str, #[case] expected: &str) {
        assert_eq!(
            kinds(text),
            [TokenKind::Number(expected.into()), TokenKind::Eof]
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let tokens = tokenize("用途地域名 <> '商業'").unwrap();
        let pos: Vec<usize> = tokens.iter().map(|t| t.pos).collect();
        assert_eq!(pos, [0, 6, 9, 13]);
    }

    #[rstest]
    #[case("'it''s'", TokenKind::Str("it's".into()))]
    #[case("\"a \"\"b\"\"\"", TokenKind::Quoted("a \"b\"".into()))]
    #[case("口径", TokenKind::Ident("口径".into()))]
    fn quotes_and_identifiers(#[case] text: &str, #[case] expected: TokenKind) {
        assert_eq!(kinds(text), [expected, TokenKind::Eof]);
    }

    #[rstest]
    #[case("名前 = 'abc", 5, "unterminated string")]
    #[case("a ! b", 2, "<>")]
    #[case("2項道路 = 1", 0, "double-quoted")]
    #[case("x = #", 4, "unexpected character '#'")]
    #[case("口径 ＝ 100", 3, "write the ASCII '=' instead")]
    #[case("（口径 = 1)", 0, "write the ASCII '(' instead")]
    #[case("名称 = ’鹿島’", 5, "write the ASCII ''' instead")]
    fn lexer_errors_point_at_the_spot(
        #[case] text: &str,
        #[case] position: usize,
        #[case] needle: &str,
    ) {
        let e = tokenize(text).unwrap_err();
        assert_eq!(e.position, position, "{e}");
        assert!(e.message.contains(needle), "{e}");
    }
}
