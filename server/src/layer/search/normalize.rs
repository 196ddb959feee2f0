//! Normalisation of search text, applied alike to the query and the indexed data, so that
//! the ways one name or address is written in Japan compare equal.
//!
//! - NFKC: full-width Latin and digits become ASCII, half-width katakana becomes full-width.
//! - Case folded; all whitespace (including the ideographic space) removed.
//! - Hyphens, minus signs and the long-vowel mark (`ー‐－−-` and kin) become `-`: addresses
//!   write `1248-2` with any of them.
//! - After a kanji or a digit, `ヶ/ケ/が/ガ/ヵ/カ` become `ケ` (霞ヶ関 = 霞が関 = 霞ケ関) and
//!   `之/ノ/の` become `ノ` (一之瀬 = 一ノ瀬 = 一の瀬). Elsewhere they are ordinary kana.
//! - Kanji numerals before `丁`, `番` or `号` become digits (一丁目 = 1丁目, 二十三番地 = 23番地).
//! - Hiragana becomes katakana, so a reading typed either way matches (めいりん = メイリン).
//! - 地番 and 番地 forms: between digits `番`, `番地`, `の`, `ノ` and `之` become `-`
//!   (1248番2 = 1248番地2 = 1248の2 = 1248-2); `番` and `番地` after a digit at the end or
//!   before a non-digit are dropped (1248番地 = 1248).
//! - `大字` is dropped: addresses write 大字高津原 and 高津原 alike.

use unicode_normalization::UnicodeNormalization;

/// The normalised form of `text`.
pub fn normalize(text: &str) -> String {
    let chars: Vec<char> = text
        .nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .map(unify_dash)
        .collect();
    let chars = lot_numbers(&drop_oaza(&numerals_to_digits(&chars)));
    let mut out = String::with_capacity(chars.len() * 3);
    let mut prev: Option<char> = None;
    for c in chars {
        let joins = prev.is_some_and(|p| is_kanji(p) || p.is_ascii_digit());
        out.push(match c {
            'ヶ' | 'ケ' | 'が' | 'ガ' | 'ヵ' | 'カ' | 'ゖ' | 'ゕ' if joins => 'ケ',
            '之' | 'ノ' | 'の' if joins => 'ノ',
            other => katakana(other),
        });
        prev = Some(c);
    }
    out
}

/// Hiragana as katakana (the two blocks are 0x60 apart); anything else unchanged.
fn katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        }
        other => other,
    }
}

/// Drops every `大字`.
fn drop_oaza(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '大' && chars.get(i + 1) == Some(&'字') {
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// After a digit: `番地`/`番`/`の`/`ノ`/`之` before a digit become `-`; `番地`/`番` before
/// anything else (or the end) are dropped.
fn lot_numbers(chars: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let after_digit = out.last().is_some_and(char::is_ascii_digit);
        let len = match (chars[i], chars.get(i + 1)) {
            ('番', Some('地')) => 2,
            ('番' | 'の' | 'ノ' | '之', _) => 1,
            _ => 0,
        };
        if after_digit && len > 0 {
            let next_digit = chars.get(i + len).is_some_and(char::is_ascii_digit);
            if next_digit {
                out.push('-');
                i += len;
                continue;
            }
            if chars[i] == '番' {
                i += len;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn unify_dash(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{2500}'
        | '\u{2501}'
        | '\u{30FC}'
        | '\u{FE63}'
        | '\u{FF0D}'
        | '\u{FF70}' => '-',
        other => other,
    }
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '々')
}

fn kanji_digit(c: char) -> Option<u64> {
    "〇一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u64)
}

fn kanji_unit(c: char) -> Option<u64> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        _ => None,
    }
}

/// Replaces each run of kanji numerals that is followed by `丁`, `番` or `号` with digits.
fn numerals_to_digits(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|&&c| kanji_digit(c).is_some() || kanji_unit(c).is_some())
            .count();
        let followed = matches!(chars.get(i + run), Some('丁' | '番' | '号'));
        if run > 0 && followed {
            out.extend(kanji_number(&chars[i..i + run]).to_string().chars());
            i += run;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The value of a kanji numeral: `二十三` = 23, `百五` = 105, positional `二〇三` = 203.
fn kanji_number(run: &[char]) -> u64 {
    if run.iter().all(|&c| kanji_digit(c).is_some()) {
        return run
            .iter()
            .filter_map(|&c| kanji_digit(c))
            .fold(0, |acc, d| acc.saturating_mul(10).saturating_add(d));
    }
    let (mut total, mut digit) = (0u64, None::<u64>);
    for &c in run {
        if let Some(d) = kanji_digit(c) {
            digit = Some(d);
        } else if let Some(unit) = kanji_unit(c) {
            total = total.saturating_add(digit.unwrap_or(1).saturating_mul(unit));
            digit = None;
        }
    }
    total.saturating_add(digit.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("ＡＢＣ鹿島", "abc鹿島")]
    #[case("ｶｼﾏ", "カシマ")]
    #[case("霞ヶ関", "霞が関")]
    #[case("霞ケ関", "霞ガ関")]
    #[case("霞ヵ関", "霞カ関")]
    #[case("一之瀬", "一の瀬")]
    #[case("一ノ瀬", "一の瀬")]
    #[case("古枝甲1248ー2", "古枝甲1248-2")]
    #[case("古枝甲1248−2", "古枝甲1248‐2")]
    #[case("１２４８－２", "1248-2")]
    #[case("一丁目", "1丁目")]
    #[case("二十三番地", "23番地")]
    #[case("三丁目十五番二号", "3丁目15番2号")]
    #[case("百五番地", "105番地")]
    #[case("祐徳 稲荷", "祐徳稲荷")]
    #[case("祐徳　稲荷", "祐徳稲荷")]
    #[case("Yutoku Inari", "YUTOKU INARI")]
    #[case("センター", "センタ－")]
    #[case("高津原1248-2", "大字高津原 1248番2")]
    #[case("高津原1248-2", "高津原１２４８－２")]
    #[case("1248-2", "1248の2")]
    #[case("1248-2", "1248ノ2")]
    #[case("1248-2", "千二百四十八番2")]
    #[case("1248-2", "1248番地2")]
    #[case("高津原1248", "大字高津原1248番地")]
    #[case("高津原1248", "高津原千二百四十八番")]
    #[case("めいりん", "メイリン")]
    #[case("めいりん", "ﾒｲﾘﾝ")]
    fn variants_normalise_alike(#[case] a: &str, #[case] b: &str) {
        assert_eq!(normalize(a), normalize(b));
    }

    #[rstest]
    #[case("カメラ", "ケメラ")]
    #[case("鹿島", "鹿嶋")]
    #[case("一丁目", "2丁目")]
    #[case("一番館", "二番館")]
    #[case("1248-2", "1248-3")]
    #[case("1248-2", "12482")]
    #[case("の", "-")]
    fn different_names_stay_different(#[case] a: &str, #[case] b: &str) {
        assert_ne!(normalize(a), normalize(b));
    }

    #[test]
    fn numerals_are_only_converted_before_address_units() {
        assert_eq!(normalize("三島"), "三島");
        assert_eq!(normalize("二十三番地"), "23");
    }
}
