//! Identifies an accepted CRS in WKT (a Shapefile `.prj`, a GeoPackage definition, a
//! FlatGeobuf header): by its EPSG authority code when present, else by the ESRI or EPSG
//! name (`JGD_2011_Japan_Zone_2`, `GCS_JGD_2000`, …), else by the Transverse Mercator
//! parameters of a JGD datum.

use super::{Crs, CrsProblem, Datum, ZONE_ORIGINS};

/// Nesting and length limits: WKT comes from uploaded files.
const MAX_DEPTH: usize = 16;
const MAX_LEN: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    Number(f64),
    Word(String),
    Node(Node),
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    keyword: String,
    args: Vec<Arg>,
}

impl Node {
    fn name(&self) -> &str {
        match self.args.first() {
            Some(Arg::Text(s)) => s,
            _ => "",
        }
    }

    fn children(&self) -> impl Iterator<Item = &Node> {
        self.args.iter().filter_map(|a| match a {
            Arg::Node(n) => Some(n),
            _ => None,
        })
    }

    fn child(&self, keywords: &[&str]) -> Option<&Node> {
        self.children()
            .find(|n| keywords.iter().any(|k| n.keyword.eq_ignore_ascii_case(k)))
    }

    fn number(&self, i: usize) -> Option<f64> {
        match self.args.get(i)? {
            Arg::Number(x) => Some(*x),
            Arg::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Depth-first search for a node by keyword.
    fn find(&self, keywords: &[&str]) -> Option<&Node> {
        if keywords
            .iter()
            .any(|k| self.keyword.eq_ignore_ascii_case(k))
        {
            return Some(self);
        }
        self.children().find_map(|c| c.find(keywords))
    }
}

/// Identifies the CRS a WKT string describes.
pub fn from_wkt(text: &str) -> Result<Crs, CrsProblem> {
    let shown = || text.chars().take(120).collect::<String>();
    if text.len() > MAX_LEN {
        return Err(CrsProblem::Unrecognised(shown()));
    }
    let root = Parser::new(text)
        .node(0)
        .ok_or_else(|| CrsProblem::Unrecognised(shown()))?;
    if let Some(code) = authority_code(&root) {
        return Crs::from_epsg(code)
            .ok_or_else(|| CrsProblem::NotAccepted(format!("EPSG:{code} ({})", root.name())));
    }
    if is_tokyo_datum(&root) {
        return Err(CrsProblem::NotAccepted(format!(
            "{} (Tokyo datum / 旧日本測地系)",
            root.name()
        )));
    }
    by_name(root.name())
        .or_else(|| by_parameters(&root))
        .ok_or_else(|| CrsProblem::NotAccepted(root.name().to_owned()))
}

/// The EPSG code of the root's `AUTHORITY["EPSG","6670"]` or `ID["EPSG",6670]`.
fn authority_code(root: &Node) -> Option<u32> {
    let auth = root.child(&["AUTHORITY", "ID"])?;
    match auth.args.first()? {
        Arg::Text(org) if org.eq_ignore_ascii_case("EPSG") => auth
            .number(1)
            .filter(|c| c.fract() == 0.0 && (1.0..1e7).contains(c))
            .map(|c| c as u32),
        _ => None,
    }
}

fn is_tokyo_datum(root: &Node) -> bool {
    root.find(&["DATUM"])
        .is_some_and(|d| normalise(d.name()).contains("tokyo"))
}

/// Lowercase words of a name: `JGD_2011_Japan_Zone_2` → `jgd 2011 japan zone 2`.
fn normalise(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_owned()
}

fn datum_of(name: &str) -> Option<Datum> {
    let n = name.replace(' ', "");
    if n.contains("jgd2011") {
        Some(Datum::Jgd2011)
    } else if n.contains("jgd2000") {
        Some(Datum::Jgd2000)
    } else {
        None
    }
}

/// Recognises ESRI and EPSG names of the accepted systems.
fn by_name(name: &str) -> Option<Crs> {
    let n = normalise(name);
    if n.contains("utm") || n.contains("tokyo") {
        return None;
    }
    if n.contains("web mercator") || n.contains("pseudo mercator") {
        return Some(Crs::WebMercator);
    }
    if matches!(n.as_str(), "wgs 84" | "gcs wgs 1984" | "wgs 1984" | "wgs84") {
        return Some(Crs::Wgs84);
    }
    let datum = datum_of(&n)?;
    if let Some(zone) = zone_number(&n) {
        return Some(Crs::Plane(datum, zone));
    }
    let words: Vec<&str> = n.split(' ').collect();
    let geographic = matches!(
        words.as_slice(),
        ["jgd2011" | "jgd2000"] | ["gcs" | "d", "jgd", "2011" | "2000"] | ["jgd", "2011" | "2000"]
    );
    geographic.then_some(Crs::Geographic(datum))
}

/// The zone of `… japan zone 2` (ESRI) or `… japan plane rectangular cs ii` (EPSG).
fn zone_number(n: &str) -> Option<u8> {
    if !n.contains("japan") {
        return None;
    }
    let words: Vec<&str> = n.split(' ').collect();
    let after = |w: &str| {
        words
            .iter()
            .position(|x| *x == w)
            .and_then(|i| words.get(i + 1))
    };
    let zone = if let Some(z) = after("zone") {
        z.parse::<u8>().ok()?
    } else {
        let r = after("cs")?.to_ascii_uppercase();
        super::ROMAN.iter().position(|x| *x == r)? as u8 + 1
    };
    (1..=19).contains(&zone).then_some(zone)
}

/// A JGD Transverse Mercator with scale 0.9999, no false origin and a zone's origin.
fn by_parameters(root: &Node) -> Option<Crs> {
    let projection = root.child(&["PROJECTION", "METHOD"])?;
    if !normalise(projection.name()).contains("transverse mercator") {
        return None;
    }
    let datum = datum_of(&normalise(root.find(&["DATUM"])?.name()))?;
    let param = |names: &[&str]| -> Option<f64> {
        root.children()
            .filter(|c| c.keyword.eq_ignore_ascii_case("PARAMETER"))
            .find(|c| names.contains(&normalise(c.name()).as_str()))
            .and_then(|c| c.number(1))
    };
    let lat0 = param(&["latitude of origin", "latitude of natural origin"])?;
    let lon0 = param(&["central meridian", "longitude of natural origin"])?;
    let k0 = param(&["scale factor", "scale factor at natural origin"])?;
    let fe = param(&["false easting"]).unwrap_or(0.0);
    let fn_ = param(&["false northing"]).unwrap_or(0.0);
    if (k0 - 0.9999).abs() > 1e-9 || fe != 0.0 || fn_ != 0.0 {
        return None;
    }
    let zone = ZONE_ORIGINS
        .iter()
        .position(|(la, lo)| (la - lat0).abs() < 1e-6 && (lo - lon0).abs() < 1e-6)?;
    Some(Crs::Plane(datum, zone as u8 + 1))
}

/// A small recursive-descent WKT reader.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            s: text.as_bytes(),
            i: 0,
        }
    }

    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn node(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let keyword = self.word();
        self.skip_ws();
        let close = match self.s.get(self.i)? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.i += 1;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            match *self.s.get(self.i)? {
                b if b == close => {
                    self.i += 1;
                    return Some(Node { keyword, args });
                }
                b',' => self.i += 1,
                b'"' => args.push(Arg::Text(self.text()?)),
                b'-' | b'+' | b'.' | b'0'..=b'9' => args.push(Arg::Number(self.number()?)),
                _ => args.push(self.word_or_node(depth)?),
            }
        }
    }

    fn word_or_node(&mut self, depth: usize) -> Option<Arg> {
        let save = self.i;
        let w = self.word();
        if w.is_empty() {
            return None;
        }
        self.skip_ws();
        if matches!(self.s.get(self.i), Some(b'[' | b'(')) {
            self.i = save;
            return self.node(depth + 1).map(Arg::Node);
        }
        Some(Arg::Word(w))
    }

    fn text(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            if b == b'"' {
                if self.s.get(self.i) == Some(&b'"') {
                    self.i += 1;
                    out.push(b'"');
                    continue;
                }
                return Some(String::from_utf8_lossy(&out).into_owned());
            }
            out.push(b);
        }
    }

    fn number(&mut self) -> Option<f64> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const ESRI_ZONE_2: &str = r#"PROJCS["JGD_2011_Japan_Zone_2",GEOGCS["GCS_JGD_2011",DATUM["D_JGD_2011",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",131.0],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",33.0],UNIT["Meter",1.0]]"#;
    const TOKYO_ZONE_9: &str = r#"PROJCS["Japan_Zone_9",GEOGCS["GCS_Tokyo",DATUM["D_Tokyo",SPHEROID["Bessel_1841",6377397.155,299.1528128]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",139.833333333333],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",36.0],UNIT["Meter",1.0]]"#;
    const OGC_WITH_CODE: &str = r#"PROJCS["JGD2011 / Japan Plane Rectangular CS II",GEOGCS["JGD2011",DATUM["Japanese_Geodetic_Datum_2011",SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","1128"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","6668"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",33],PARAMETER["central_meridian",131],PARAMETER["scale_factor",0.9999],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Northing",NORTH],AXIS["Easting",EAST],AUTHORITY["EPSG","6670"]]"#;

    #[rstest]
    #[case(ESRI_ZONE_2, Crs::Plane(Datum::Jgd2011, 2))]
    #[case(&ESRI_ZONE_2.replace("2011", "2000"), Crs::Plane(Datum::Jgd2000, 2))]
    #[case(OGC_WITH_CODE, Crs::Plane(Datum::Jgd2011, 2))]
    #[case(r#"GEOGCS["GCS_JGD_2011",DATUM["D_JGD_2011",SPHEROID["GRS_1980",6378137.0,298.257222101]]]"#, Crs::Geographic(Datum::Jgd2011))]
    #[case(r#"GEOGCS["GCS_JGD_2000",DATUM["D_JGD_2000",SPHEROID["GRS_1980",6378137.0,298.257222101]]]"#, Crs::Geographic(Datum::Jgd2000))]
    #[case(r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]]"#, Crs::Wgs84)]
    #[case(
        r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984"]]"#,
        Crs::WebMercator
    )]
    #[case(
        r#"PROJCRS["JGD2011 / Japan Plane Rectangular CS XIX",BASEGEOGCRS["JGD2011"]]"#,
        Crs::Plane(Datum::Jgd2011, 19)
    )]
    fn prj_files_are_identified(#[case] wkt: &str, #[case] crs: Crs) {
        assert_eq!(from_wkt(wkt), Ok(crs));
    }

    #[test]
    fn unnamed_zone_is_found_by_its_parameters() {
        let wkt = ESRI_ZONE_2.replace("JGD_2011_Japan_Zone_2", "Custom");
        assert_eq!(from_wkt(&wkt), Ok(Crs::Plane(Datum::Jgd2011, 2)));
    }

    #[test]
    fn tokyo_datum_is_refused_by_name() {
        let e = from_wkt(TOKYO_ZONE_9).unwrap_err();
        assert!(
            matches!(&e, CrsProblem::NotAccepted(m) if m.contains("Tokyo")),
            "{e:?}"
        );
    }

    #[test]
    fn utm_is_not_mistaken_for_a_plane_zone() {
        let wkt = r#"PROJCS["JGD2011 / UTM zone 53N",GEOGCS["JGD2011"]]"#;
        assert!(from_wkt(wkt).is_err());
    }

    #[test]
    fn deep_or_broken_wkt_is_refused_without_panicking() {
        let deep = "A[".repeat(100) + &"]".repeat(100);
        assert!(from_wkt(&deep).is_err());
        assert!(from_wkt("PROJCS[\"x\",").is_err());
    }
}
