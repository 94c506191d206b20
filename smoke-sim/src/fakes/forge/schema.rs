//! Checking JSON values, and the text of path and query parameters, against the Swagger 2.0
//! types of the Forgejo spec.

use serde_json::{Map, Value};

/// Deep enough for any definition in the spec; a bound so a self-referencing schema cannot
/// recurse forever.
const MAX_DEPTH: usize = 32;

/// Checks a request body against its parameter's schema; the error names the first problem.
pub(super) fn check(doc: &Value, value: &Value, schema: &Value) -> Result<(), String> {
    check_value(doc, value, schema, "body", 0)
}

/// Checks `value` against a schema: type, format, enum, object properties (no unknown
/// ones, the required ones present) and array items, recursively.
fn check_value(
    doc: &Value,
    value: &Value,
    schema: &Value,
    at: &str,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("`{at}` nests deeper than any Forgejo type"));
    }
    let (schema, definition) = match schema["$ref"].as_str() {
        Some(reference) => (resolve(doc, schema), reference.rsplit('/').next()),
        None => (schema, None),
    };
    let declared = schema["type"]
        .as_str()
        .or_else(|| schema.get("properties").map(|_| "object"));
    if let Some(expected) = declared {
        if !has_type(value, expected) {
            let what = definition.map(|d| format!(" ({d})")).unwrap_or_default();
            return Err(format!(
                "`{at}` must be {}{what}, got {}",
                article(expected),
                describe(value)
            ));
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!(
                "`{at}` must be one of {}, got {value}",
                Value::from(allowed.clone())
            ));
        }
    }
    check_format(value, schema).map_err(|e| format!("`{at}` {e}"))?;
    match value {
        Value::Object(fields) => check_object(doc, fields, schema, definition, at, depth),
        Value::Array(items) => match schema.get("items") {
            Some(item_schema) => items.iter().enumerate().try_for_each(|(i, item)| {
                check_value(doc, item, item_schema, &format!("{at}[{i}]"), depth + 1)
            }),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn check_object(
    doc: &Value,
    fields: &Map<String, Value>,
    schema: &Value,
    definition: Option<&str>,
    at: &str,
    depth: usize,
) -> Result<(), String> {
    let name = definition.unwrap_or("the schema");
    let properties = schema["properties"].as_object();
    for (key, value) in fields {
        let field_at = format!("{at}.{key}");
        match (
            properties.and_then(|p| p.get(key)),
            schema.get("additionalProperties"),
        ) {
            (Some(property), _) => check_value(doc, value, property, &field_at, depth + 1)?,
            (None, Some(Value::Bool(true))) => {}
            (None, Some(extra @ Value::Object(_))) => {
                check_value(doc, value, extra, &field_at, depth + 1)?
            }
            (None, _) if properties.is_none() => {}
            (None, _) => {
                return Err(format!(
                    "unknown field `{field_at}`: {name} has no property `{key}`"
                ))
            }
        }
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        let key = required.as_str().unwrap_or_default();
        if !fields.contains_key(key) {
            return Err(format!("`{at}.{key}` is required by {name} but missing"));
        }
    }
    Ok(())
}

/// Follows a local `$ref` (`#/definitions/X`, `#/parameters/X`); anything else is itself.
pub(super) fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let Some(pointer) = schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) else {
        return schema;
    };
    doc.pointer(pointer).unwrap_or(&Value::Null)
}

/// Checks a path or query value (always text on the wire) against its parameter's type,
/// enum and format.
pub(super) fn check_text(text: &str, param: &Value) -> Result<(), String> {
    let ok = match param["type"].as_str() {
        Some("integer") => text.parse::<i64>().is_ok(),
        Some("number") => text.parse::<f64>().is_ok(),
        // What Go's strconv.ParseBool, and so Forgejo, accepts.
        Some("boolean") => matches!(
            text,
            "1" | "t"
                | "T"
                | "TRUE"
                | "true"
                | "True"
                | "0"
                | "f"
                | "F"
                | "FALSE"
                | "false"
                | "False"
        ),
        _ => true,
    };
    if !ok {
        let expected = param["type"].as_str().unwrap_or("valid");
        return Err(format!("must be {}, got `{text}`", article(expected)));
    }
    if let Some(allowed) = param["enum"].as_array() {
        if !allowed.iter().any(|a| a == text) {
            return Err(format!(
                "must be one of {}, got `{text}`",
                Value::from(allowed.clone())
            ));
        }
    }
    if param["format"] == "date-time" && text.parse::<jiff::Timestamp>().is_err() {
        return Err(format!("must be an RFC 3339 date-time, got `{text}`"));
    }
    Ok(())
}

fn check_format(value: &Value, schema: &Value) -> Result<(), String> {
    match (schema["format"].as_str(), value) {
        (Some("date-time"), Value::String(text)) if text.parse::<jiff::Timestamp>().is_err() => {
            Err(format!("must be an RFC 3339 date-time, got {value}"))
        }
        (Some("int64"), Value::Number(n)) if n.as_i64().is_none() => {
            Err(format!("must fit in an int64, got {n}"))
        }
        (Some("int32"), Value::Number(n))
            if n.as_i64().and_then(|n| i32::try_from(n).ok()).is_none() =>
        {
            Err(format!("must fit in an int32, got {n}"))
        }
        _ => Ok(()),
    }
}

/// Whether a JSON value has a Swagger type. `null` has none: the spec never marks a field
/// nullable, so a client should leave an unset field out rather than send null.
fn has_type(value: &Value, expected: &str) -> bool {
    match expected {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null (leave the field out instead)".to_owned(),
        Value::Bool(_) => format!("a boolean ({value})"),
        Value::Number(n) if n.is_f64() => format!("a fractional number ({value})"),
        Value::Number(_) => format!("an integer ({value})"),
        Value::String(_) => format!("a string ({value})"),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" | "object" => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}
