//! Seeded random and mutated filters: parsing never panics, and whatever parses has a
//! canonical text that round-trips, binds without panicking and evaluates.

use geo::{coord, point, polygon};

use super::super::{Expr, MAX_FILTER_BYTES};
use super::{feature, parcel, sample, schema, text};
use crate::model::{Feature, Value};

/// xorshift64*: tiny, deterministic, and no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const VOCABULARY: &[&str] = &[
    "用途地域名",
    "口径",
    "深さ",
    "公開",
    "認定年月日",
    "備考",
    "数値文字",
    "調査履歴",
    "\"name with spaces\"",
    "geometry",
    "AND",
    "OR",
    "NOT",
    "LIKE",
    "IN",
    "BETWEEN",
    "IS",
    "NULL",
    "TRUE",
    "false",
    "(",
    ")",
    ",",
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "'商業%'",
    "'it''s'",
    "'\\'",
    "''",
    "100",
    "-1.5",
    "1e3",
    ".5",
    "1e999",
    "99999999999999999999",
    "CASEI(",
    "ACCENTI(",
    "DATE('2020-01-01')",
    "TIMESTAMP('2020-01-01T00:00:00Z')",
    "S_INTERSECTS(",
    "S_WITHIN(",
    "S_CONTAINS(",
    "S_DISJOINT(",
    "POINT(130 33)",
    "BBOX(130, 33, 131, 34)",
    "POLYGON((130 33, 131 33, 131 34, 130 33))",
    "LINESTRING(130 33, 131 34)",
    "MULTIPOINT(130 33)",
    "POINT",
    "BBOX",
    "130",
    "33",
    "\"",
    "'",
    "!",
    "#",
    "%",
    "_",
    "\\",
    "\u{301}",
    "😀",
    "\n",
    "",
];

const SEEDS: &[&str] = &[
    "用途地域名 = '商業地域' AND 口径 >= 100",
    "NOT (備考 IS NULL) OR 深さ BETWEEN 1 AND 2",
    "CASEI(用途地域名) LIKE CASEI('%住居%') AND 口径 NOT IN (1, 2, '3')",
    "S_INTERSECTS(geometry, POLYGON((130.09 33.10, 130.10 33.10, 130.10 33.11, 130.09 33.10)))",
    "S_WITHIN(BBOX(130, 33, 131, 34), geom) AND 認定年月日 < DATE('2020-01-01')",
    "\"name with spaces\" = 'it''s' OR 公開 = TRUE OR 数値文字 > -1.5e3",
];

fn features() -> Vec<Feature> {
    let triangle = polygon![
        coord! { x: 130.0, y: 33.0 },
        coord! { x: 131.0, y: 33.0 },
        coord! { x: 130.5, y: 34.0 },
    ];
    vec![
        sample(),
        parcel(),
        feature(
            triangle.into(),
            &[("数値文字", text("x")), ("公開", Value::Int(1))],
        ),
        feature(
            point!(x: 0.0, y: 0.0).into(),
            &[("深さ", Value::Float(f64::NAN))],
        ),
    ]
}

fn random_tokens(rng: &mut Rng) -> String {
    let n = 1 + rng.below(24);
    let sep = if rng.below(4) == 0 { "" } else { " " };
    (0..n)
        .map(|_| *rng.pick(VOCABULARY))
        .collect::<Vec<_>>()
        .join(sep)
}

fn mutated(rng: &mut Rng) -> String {
    let mut chars: Vec<char> = rng.pick(SEEDS).chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if at < chars.len() => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at..end);
            }
            1 => {
                let insert: Vec<char> = rng.pick(VOCABULARY).chars().collect();
                chars.splice(at..at, insert);
            }
            2 => chars.truncate(at),
            _ => {
                let c = char::from_u32(rng.below(0x3100) as u32).unwrap_or('?');
                chars.insert(at, c);
            }
        }
    }
    chars.into_iter().collect()
}

const GEOMETRIES: &[&str] = &[
    "POINT(130.1 33.1)",
    "BBOX(130, 33, 131, 34)",
    "POLYGON((130 33, 131 33, 131 34, 130 33))",
    "LINESTRING(130 33, 131 34)",
    "MULTIPOINT((130 33), (130.1 33.1))",
    "MULTIPOLYGON(((130 33, 131 33, 131 34, 130 33)), ((0 0, 1 0, 1 1, 0 0)))",
];

const NAMES: &[&str] = &[
    "用途地域名",
    "口径",
    "深さ",
    "公開",
    "認定年月日",
    "備考",
    "数値文字",
    "\"name with spaces\"",
    "\"or\"",
    "未知",
    "調査履歴",
];

fn literal(rng: &mut Rng) -> String {
    match rng.below(9) {
        0 => (rng.next() as i64).to_string(),
        1 => format!("{:?}", f64::from_bits(rng.next()) % 1e6),
        2 => format!("{}e{}", rng.below(100), rng.below(40) as i32 - 20),
        3 => "'it''s 商業%'".to_owned(),
        4 => format!(
            "'{}'",
            char::from_u32(rng.below(0x3100) as u32).unwrap_or('x')
        ),
        5 => "DATE('2020-02-29')".to_owned(),
        6 => "TIMESTAMP('2020-02-29T12:00:00.25Z')".to_owned(),
        7 => "CASEI('Ab')".to_owned(),
        _ => rng.pick(&["TRUE", "false", "'true'", "1", "0"]).to_string(),
    }
}

fn predicate(rng: &mut Rng) -> String {
    let name = *rng.pick(NAMES);
    let not = if rng.below(2) == 0 { "" } else { " NOT" };
    match rng.below(8) {
        0 => format!(
            "{name} {} {}",
            rng.pick(&["=", "<>", "<", "<=", ">", ">="]),
            literal(rng)
        ),
        1 => format!("{} {} {name}", literal(rng), rng.pick(&["=", "<", ">="])),
        2 => format!("CASEI({name}){not} LIKE '%商\\_%'"),
        3 => format!("{name}{not} IN ({}, {})", literal(rng), literal(rng)),
        4 => format!("{name}{not} BETWEEN {} AND {}", literal(rng), literal(rng)),
        5 => format!("{name} IS{not} NULL"),
        6 => format!(
            "{}(geometry, {})",
            rng.pick(&["S_INTERSECTS", "S_WITHIN", "S_CONTAINS", "S_DISJOINT"]),
            rng.pick(GEOMETRIES)
        ),
        _ => rng.pick(&["TRUE", "FALSE"]).to_string(),
    }
}

/// A random well-formed filter, nested up to `depth`.
fn grammar(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 {
        return predicate(rng);
    }
    match rng.below(6) {
        0 => format!(
            "{} AND {}",
            grammar(rng, depth - 1),
            grammar(rng, depth - 1)
        ),
        1 => format!("{} or {}", grammar(rng, depth - 1), grammar(rng, depth - 1)),
        2 => format!("NOT {}", grammar(rng, depth - 1)),
        3 => format!("({})", grammar(rng, depth - 1)),
        _ => predicate(rng),
    }
}

/// Parses, and checks everything that must hold of whatever parses.
fn check(input: &str, features: &[Feature]) -> bool {
    let Ok(expr) = Expr::parse(input) else {
        return false;
    };
    let canonical = expr.to_string();
    if canonical.len() <= MAX_FILTER_BYTES {
        let again =
            Expr::parse(&canonical).unwrap_or_else(|e| panic!("{input:?} → {canonical:?}: {e}"));
        assert_eq!(again, expr, "{input:?} → {canonical:?}");
    }
    if let Ok(filter) = expr.bind(&schema()) {
        for f in features {
            let _ = filter.matches(f);
        }
        let _ = filter.envelope();
    }
    true
}

#[test]
fn random_and_mutated_filters_never_panic() {
    let features = features();
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    let mut parsed = 0;
    for i in 0..30_000 {
        let input = match i % 3 {
            0 => random_tokens(&mut rng),
            1 => mutated(&mut rng),
            _ => grammar(&mut rng, 5),
        };
        parsed += usize::from(check(&input, &features));
    }
    // The generator must reach past the parser's front door, or the test proves little.
    assert!(parsed > 10_000, "only {parsed} inputs parsed");
}

#[test]
fn random_characters_never_panic() {
    let features = features();
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let len = rng.below(40);
        let input: String = (0..len)
            .map(|_| char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('('))
            .collect();
        check(&input, &features);
    }
}

/// The time-bounded run for `scripts/test` and long runs: `KASHIMAP_FUZZ_SECS` seconds
/// (default 2) from seed `KASHIMAP_FUZZ_SEED` (the same variables as the upload readers'
/// fuzzer, `ingest/fuzz.rs`).
#[test]
fn fuzz_cql2_for_the_configured_time() {
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<u64>().ok());
    let time = std::time::Duration::from_secs(env("KASHIMAP_FUZZ_SECS").unwrap_or(2));
    let seed = env("KASHIMAP_FUZZ_SEED").unwrap_or(0x5EED_F022) ^ 0xC0_12;
    let features = features();
    let mut rng = Rng(seed | 1);
    let deadline = std::time::Instant::now() + time;
    let (mut tried, mut parsed) = (0_u64, 0_u64);
    while tried < 100 || std::time::Instant::now() < deadline {
        let input = match tried % 3 {
            0 => random_tokens(&mut rng),
            1 => mutated(&mut rng),
            _ => grammar(&mut rng, 5),
        };
        parsed += u64::from(check(&input, &features));
        tried += 1;
    }
    eprintln!("fuzz cql2: {tried} inputs ({parsed} parsed) in {time:?} (seed {seed:#x})");
    assert!(parsed > 0);
}
