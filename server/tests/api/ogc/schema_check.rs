//! A small validator for the OpenAPI 3.0 schema keywords the OGC document uses, so that the
//! API tests can check real answers against the document's own response schemas (the
//! outside check, schemathesis in `scripts/test-python`, does the same over HTTP).
//!
//! Keywords: `$ref` (within the document), `type`, `nullable`, `enum`, `required`,
//! `properties`, `additionalProperties`, `items`, `minItems`, `maxItems`, `minimum`,
//! `maximum`, `pattern`, `oneOf` and `anyOf`. Any other keyword is refused, so that a schema
//! the validator does not understand fails loudly instead of passing.

use serde_json::Value;

/// Every way `value` breaks `schema`, as `path: problem` lines (empty when it conforms).
pub fn violations(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(doc, schema, value, "$", &mut out);
    out
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("only local $refs are expected: {reference}"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("dangling $ref {reference}"))
}

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown type {other}"),
    }
}

fn check(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let Some(s) = schema.as_object() else {
        panic!("{at}: a schema must be an object, got {schema}");
    };
    if let Some(r) = s.get("$ref") {
        return check(doc, resolve(doc, r.as_str().unwrap()), v, at, out);
    }
    if v.is_null() && s.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    for (key, want) in s {
        match key.as_str() {
            "type" => {
                let ty = want.as_str().unwrap();
                if !type_matches(ty, v) {
                    out.push(format!("{at}: expected {ty}, got {v}"));
                    return;
                }
            }
            "enum" => {
                if !want.as_array().unwrap().contains(v) {
                    out.push(format!("{at}: {v} is not one of {want}"));
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for name in want.as_array().unwrap() {
                        if !o.contains_key(name.as_str().unwrap()) {
                            out.push(format!("{at}: missing required {name}"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in want.as_object().unwrap() {
                        if let Some(x) = o.get(name) {
                            check(doc, sub, x, &format!("{at}.{name}"), out);
                        }
                    }
                }
            }
            "additionalProperties" => {
                let Some(o) = v.as_object() else { continue };
                let declared = s.get("properties").and_then(Value::as_object);
                for (name, x) in o {
                    if declared.is_some_and(|d| d.contains_key(name)) {
                        continue;
                    }
                    match want {
                        Value::Bool(true) => {}
                        Value::Bool(false) => out.push(format!("{at}: undeclared property {name}")),
                        sub => check(doc, sub, x, &format!("{at}.{name}"), out),
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        check(doc, want, x, &format!("{at}[{i}]"), out);
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let Some(a) = v.as_array() {
                    let n = want.as_u64().unwrap() as usize;
                    let ok = if key == "minItems" {
                        a.len() >= n
                    } else {
                        a.len() <= n
                    };
                    if !ok {
                        out.push(format!("{at}: {} items breaks {key} {n}", a.len()));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let Some(x) = v.as_f64() {
                    let n = want.as_f64().unwrap();
                    let ok = if key == "minimum" { x >= n } else { x <= n };
                    if !ok {
                        out.push(format!("{at}: {x} breaks {key} {n}"));
                    }
                }
            }
            "pattern" => {
                if let Some(text) = v.as_str() {
                    let re = regex::Regex::new(want.as_str().unwrap()).unwrap();
                    if !re.is_match(text) {
                        out.push(format!("{at}: {text:?} does not match {want}"));
                    }
                }
            }
            "oneOf" | "anyOf" => {
                let matching = want
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|sub| violations(doc, sub, v).is_empty())
                    .count();
                let ok = if key == "oneOf" {
                    matching == 1
                } else {
                    matching >= 1
                };
                if !ok {
                    out.push(format!("{at}: {matching} alternatives of {key} match {v}"));
                }
            }
            // `nullable` was handled above (a null it does not admit then fails `type`); the
            // rest are annotations that constrain nothing.
            "nullable" | "description" | "format" | "default" | "title" | "example" => {}
            other => panic!("{at}: the validator does not know the keyword `{other}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::violations;

    #[test]
    fn the_validator_finds_what_is_wrong() {
        let doc =
            json!({ "components": { "schemas": { "n": { "type": "integer", "minimum": 0 } } } });
        let schema = json!({
            "type": "object",
            "required": ["a", "b"],
            "properties": {
                "a": { "$ref": "#/components/schemas/n" },
                "b": { "type": "array", "items": { "type": "string", "enum": ["x"] }, "maxItems": 1 },
                "c": { "type": "string", "nullable": true },
            },
            "additionalProperties": false,
        });
        assert!(violations(&doc, &schema, &json!({ "a": 1, "b": ["x"], "c": null })).is_empty());
        let bad = json!({ "a": -1, "b": ["y", "x"], "d": 1 });
        let found = violations(&doc, &schema, &bad);
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(violations(&doc, &schema, &json!({ "b": [] })).len(), 1);
        assert_eq!(violations(&doc, &schema, &json!([])).len(), 1);
    }
}
