//! Checking JSON values, and the text of path and query parameters, against the Swagger 2.0
//! types of the Forgejo spec.

use serde_json::{Map, Value};

/// Deep enough for any definition in the spec; a bound so a self-referencing schema cannot
/// recurse forever.
const MAX_DEPTH: usize = 32;

/// Why a JSON value does not fit its schema (`at`: where in the body, like `body.labels[0]`).
#[derive(Debug, thiserror::Error)]
pub(super) enum SchemaError {
    #[error("`{at}` nests deeper than any Forgejo type")]
    TooDeep { at: String },
    /// `expected` with its article, `definition` as " (Name)" or nothing, `got` described.
    #[error("`{at}` must be {expected}{definition}, got {got}")]
    Type {
        at: String,
        expected: String,
        definition: String,
        got: String,
    },
    #[error("`{at}` must be one of {allowed}, got {got}")]
    NotAllowed {
        at: String,
        allowed: Value,
        got: Value,
    },
    #[error("`{at}` {error}")]
    Format {
        at: String,
        #[source]
        error: FormatError,
    },
    /// `name`: the definition, or "the schema".
    #[error("unknown field `{at}`: {name} has no property `{key}`")]
    UnknownField {
        at: String,
        name: String,
        key: String,
    },
    #[error("`{at}.{key}` is required by {name} but missing")]
    Missing {
        at: String,
        key: String,
        name: String,
    },
}

/// A JSON value of the right type but not of its schema's `format`.
#[derive(Debug, thiserror::Error)]
pub(super) enum FormatError {
    #[error("must be an RFC 3339 date-time, got {0}")]
    DateTime(Value),
    #[error("must fit in an int64, got {0}")]
    Int64(serde_json::Number),
    #[error("must fit in an int32, got {0}")]
    Int32(serde_json::Number),
}

/// Why a path or query value does not fit its parameter.
#[derive(Debug, thiserror::Error)]
pub(super) enum TextError {
    /// `expected` with its article.
    #[error("must be {expected}, got `{text}`")]
    Type { expected: String, text: String },
    #[error("must be one of {allowed}, got `{text}`")]
    NotAllowed { allowed: Value, text: String },
    #[error("must be an RFC 3339 date-time, got `{0}`")]
    DateTime(String),
}

/// Checks a request body against its parameter's schema; the error names the first problem.
pub(super) fn check(doc: &Value, value: &Value, schema: &Value) -> Result<(), SchemaError> {
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
) -> Result<(), SchemaError> {
    if depth > MAX_DEPTH {
        return Err(SchemaError::TooDeep { at: at.to_owned() });
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
            return Err(SchemaError::Type {
                at: at.to_owned(),
                expected: article(expected),
                definition: definition.map(|d| format!(" ({d})")).unwrap_or_default(),
                got: describe(value),
            });
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(SchemaError::NotAllowed {
                at: at.to_owned(),
                allowed: Value::from(allowed.clone()),
                got: value.clone(),
            });
        }
    }
    check_format(value, schema).map_err(|error| SchemaError::Format {
        at: at.to_owned(),
        error,
    })?;
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
) -> Result<(), SchemaError> {
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
                return Err(SchemaError::UnknownField {
                    at: field_at,
                    name: name.to_owned(),
                    key: key.clone(),
                })
            }
        }
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        let key = required.as_str().unwrap_or_default();
        if !fields.contains_key(key) {
            return Err(SchemaError::Missing {
                at: at.to_owned(),
                key: key.to_owned(),
                name: name.to_owned(),
            });
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
pub(super) fn check_text(text: &str, param: &Value) -> Result<(), TextError> {
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
        return Err(TextError::Type {
            expected: article(expected),
            text: text.to_owned(),
        });
    }
    if let Some(allowed) = param["enum"].as_array() {
        if !allowed.iter().any(|a| a == text) {
            return Err(TextError::NotAllowed {
                allowed: Value::from(allowed.clone()),
                text: text.to_owned(),
            });
        }
    }
    if param["format"] == "date-time" && text.parse::<jiff::Timestamp>().is_err() {
        return Err(TextError::DateTime(text.to_owned()));
    }
    Ok(())
}

fn check_format(value: &Value, schema: &Value) -> Result<(), FormatError> {
    match (schema["format"].as_str(), value) {
        (Some("date-time"), Value::String(text)) if text.parse::<jiff::Timestamp>().is_err() => {
            Err(FormatError::DateTime(value.clone()))
        }
        (Some("int64"), Value::Number(n)) if n.as_i64().is_none() => {
            Err(FormatError::Int64(n.clone()))
        }
        (Some("int32"), Value::Number(n))
            if n.as_i64().and_then(|n| i32::try_from(n).ok()).is_none() =>
        {
            Err(FormatError::Int32(n.clone()))
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
