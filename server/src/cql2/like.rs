//! String folding for `CASEI`/`ACCENTI` and `LIKE` pattern matching, without allocating
//! per feature: values are folded lazily, character by character.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::ast::Fold;

/// The Japanese voicing marks (゛゜). Removing them would make が equal か: they change
/// the word, so `ACCENTI` keeps them.
fn is_voicing_mark(c: char) -> bool {
    matches!(c, '\u{3099}' | '\u{309A}')
}

/// One character folded; `None` when `ACCENTI` drops it (a combining accent).
pub(super) fn fold_char(c: char, fold: Fold) -> Option<char> {
    let mut c = c;
    if fold.accenti {
        if is_combining_mark(c) && !is_voicing_mark(c) {
            return None;
        }
        let mut base = None;
        let mut voiced = false;
        decompose_canonical(c, |d| {
            if base.is_none() {
                base = Some(d);
            } else if is_voicing_mark(d) {
                voiced = true;
            }
        });
        if !voiced {
            c = base.unwrap_or(c);
        }
    }
    if fold.casei {
        c = c.to_lowercase().next().unwrap_or(c);
    }
    Some(c)
}

/// The folded characters of `s`.
pub(super) fn folded(s: &str, fold: Fold) -> impl Iterator<Item = char> + Clone + '_ {
    s.chars().filter_map(move |c| fold_char(c, fold))
}

/// Checks a `LIKE` pattern's escapes; the message says what is wrong.
pub(super) fn check_pattern(pattern: &str) -> Result<(), String> {
    let mut escaped = false;
    for c in pattern.chars() {
        escaped = !escaped && c == '\\';
    }
    if escaped {
        return Err("the LIKE pattern ends with '\\': write '\\\\' for a backslash".to_owned());
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Char(char),
    /// `_`
    One,
    /// `%`
    Any,
}

/// A compiled `LIKE` pattern, its literal characters already folded.
#[derive(Debug, Clone)]
pub(super) struct Pattern {
    pieces: Box<[Piece]>,
    fold: Fold,
}

impl Pattern {
    /// Compiles a pattern that [`check_pattern`] accepted.
    pub(super) fn new(pattern: &str, fold: Fold) -> Pattern {
        let mut pieces = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            let piece = match c {
                '%' if pieces.last() == Some(&Piece::Any) => continue,
                '%' => Piece::Any,
                '_' => Piece::One,
                '\\' => match chars.next().and_then(|e| fold_char(e, fold)) {
                    Some(e) => Piece::Char(e),
                    None => continue,
                },
                c => match fold_char(c, fold) {
                    Some(c) => Piece::Char(c),
                    None => continue,
                },
            };
            pieces.push(piece);
        }
        Pattern {
            pieces: pieces.into(),
            fold,
        }
    }

    /// Greedy matching that backtracks only to the last `%`: O(pattern × value), no
    /// recursion, so hostile patterns cannot blow up.
    pub(super) fn matches(&self, value: &str) -> bool {
        let mut rest = folded(value, self.fold);
        let mut p = 0;
        let mut resume: Option<(usize, _)> = None;
        loop {
            let mut next = rest.clone();
            let c = next.next();
            let advanced = match (self.pieces.get(p), c) {
                (Some(Piece::Any), _) => {
                    resume = Some((p + 1, rest.clone()));
                    p += 1;
                    continue;
                }
                (Some(Piece::One), Some(_)) => true,
                (Some(Piece::Char(want)), Some(got)) => *want == got,
                (None, None) => return true,
                _ => false,
            };
            if advanced {
                p += 1;
                rest = next;
                continue;
            }
            let Some((star_p, star_rest)) = &mut resume else {
                return false;
            };
            if star_rest.next().is_none() {
                return false;
            }
            p = *star_p;
            rest = star_rest.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const PLAIN: Fold = Fold {
        casei: false,
        accenti: false,
    };
    const CASEI: Fold = Fold {
        casei: true,
        accenti: false,
    };
    const ACCENTI: Fold = Fold {
        casei: false,
        accenti: true,
    };

    #[rstest]
    #[case("第一種低層住居専用地域", "第一種%", PLAIN, true)]
    #[case("第一種低層住居専用地域", "%住居%", PLAIN, true)]
    #[case("第一種低層住居専用地域", "%商業%", PLAIN, false)]
    #[case("市道", "市_", PLAIN, true)]
    #[case("市道", "市__", PLAIN, false)]
    #[case("", "%", PLAIN, true)]
    #[case("", "_", PLAIN, false)]
    #[case("100%", "100\\%", PLAIN, true)]
    #[case("1000", "100\\%", PLAIN, false)]
    #[case("a_b", "a\\_b", PLAIN, true)]
    #[case("axb", "a\\_b", PLAIN, false)]
    #[case("back\\slash", "back\\\\slash", PLAIN, true)]
    #[case("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%a%c", PLAIN, false)]
    #[case("abcabd", "%abd", PLAIN, true)]
    #[case("Kashima", "kashima", PLAIN, false)]
    #[case("Kashima", "kashima", CASEI, true)]
    #[case("ＫＡＳＨＩＭＡ", "ｋａ%", CASEI, true)]
    #[case("Café", "Cafe", ACCENTI, true)]
    #[case("Cafe\u{301}", "Café", ACCENTI, true)]
    #[case("Café", "cafe", ACCENTI, false)]
    #[case("がっこう", "かっこう", ACCENTI, false)]
    fn like_patterns(
        #[case] value: &str,
        #[case] pattern: &str,
        #[case] fold: Fold,
        #[case] expected: bool,
    ) {
        assert_eq!(Pattern::new(pattern, fold).matches(value), expected);
    }

    #[rstest]
    #[case("abc\\", false)]
    #[case("abc\\\\", true)]
    #[case("a\\%", true)]
    fn trailing_escape_is_refused(#[case] pattern: &str, #[case] ok: bool) {
        assert_eq!(check_pattern(pattern).is_ok(), ok);
    }
}
