//! The published Forgejo API description (Swagger 2.0) and checking each request against it,
//! so a client that only works against the fake's leniency is caught here, not in production.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Vendored rather than read from elsewhere at run time, so tests don't depend on the layout
/// of the machine they run on.
const SPEC_TEXT: &str = include_str!("../../../data/forgejo-api-v1.swagger.json");

/// Deep enough for any definition in the spec; a bound so a self-referencing schema cannot
/// recurse forever.
const MAX_DEPTH: usize = 32;

pub(super) struct Spec {
    doc: Value,
    base_path: String,
    templates: Vec<Template>,
}

/// One path of the spec, e.g. `/repos/{owner}/{repo}/issues/{index}`.
struct Template {
    text: String,
    segments: Vec<Vec<Part>>,
}

/// A piece of a path segment: most segments are one literal or one parameter, a few are
/// mixed (`{index}.{diffType}`).
#[derive(Debug, PartialEq)]
enum Part {
    Literal(String),
    Param(String),
}

/// A request that passed every check, with what the checks worked out.
pub(super) struct Call {
    pub operation: &'static str,
    pub path_params: BTreeMap<String, String>,
    /// `None` when the operation takes no body.
    pub body: Option<Value>,
}

/// The spec, parsed on first use and shared by every fake in the process.
pub(super) fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::parse(SPEC_TEXT))
}

impl Spec {
    fn parse(text: &str) -> Spec {
        let doc: Value = serde_json::from_str(text).expect("the vendored Forgejo spec is JSON");
        let base_path = doc["basePath"].as_str().unwrap_or("").to_owned();
        let templates = doc["paths"]
            .as_object()
            .expect("the vendored Forgejo spec has paths")
            .keys()
            .map(|text| Template {
                text: text.clone(),
                segments: text.split('/').skip(1).map(parse_segment).collect(),
            })
            .collect();
        Spec {
            doc,
            base_path,
            templates,
        }
    }

    /// `/api/v1`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Checks a request against the spec: path and method, query parameters, and the JSON
    /// body. The error is the first problem found, worded for a test failure.
    pub fn check(
        &'static self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Call, String> {
        let rest = path
            .strip_prefix(self.base_path.as_str())
            .filter(|rest| rest.starts_with('/'))
            .ok_or_else(|| format!("`{path}` is outside the API base path {}", self.base_path))?;
        let (template, path_params) = self.route(method, rest)?;
        let operation = &self.doc["paths"][template.text.as_str()][method.to_ascii_lowercase()];
        let id = operation["operationId"]
            .as_str()
            .unwrap_or("(unnamed operation)");
        let params = self.parameters(template, operation);

        for (name, value) in &path_params {
            if let Some(param) = find(&params, "path", name) {
                check_text(value, param).map_err(|e| format!("path parameter `{name}` {e}"))?;
            }
        }
        self.check_query(id, &params, query)?;
        let body = self.check_body(id, &params, content_type, body)?;
        Ok(Call {
            operation: id,
            path_params,
            body,
        })
    }

    /// Finds the spec path for `rest` that has `method`. Where several match, literal segments
    /// win over parameters, as in Forgejo's router (`issues/pinned` is not issue "pinned").
    fn route(
        &self,
        method: &str,
        rest: &str,
    ) -> Result<(&Template, BTreeMap<String, String>), String> {
        let segments: Vec<String> = rest
            .split('/')
            .skip(1)
            .map(|s| super::url::decode(s, false))
            .collect();
        let mut candidates: Vec<(&Template, BTreeMap<String, String>)> = self
            .templates
            .iter()
            .filter_map(|t| t.matches(&segments).map(|params| (t, params)))
            .collect();
        if candidates.is_empty() {
            return Err(format!("no path of the spec matches `{rest}`"));
        }
        candidates.sort_by_key(|(t, _)| t.specificity());
        let lower = method.to_ascii_lowercase();
        let paths = &self.doc["paths"];
        if let Some(found) = candidates
            .iter()
            .position(|(t, _)| paths[t.text.as_str()].get(&lower).is_some())
        {
            return Ok(candidates.swap_remove(found));
        }
        let (best, _) = &candidates[0];
        let allowed: Vec<String> = paths[best.text.as_str()]
            .as_object()
            .map(|ops| {
                ops.keys()
                    .filter(|k| *k != "parameters")
                    .map(|k| k.to_ascii_uppercase())
                    .collect()
            })
            .unwrap_or_default();
        Err(format!(
            "the spec has no {method} for `{}` (it has {})",
            best.text,
            allowed.join(", ")
        ))
    }

    /// The operation's parameters with the path-wide ones, `$ref`s resolved.
    fn parameters(
        &'static self,
        template: &Template,
        operation: &'static Value,
    ) -> Vec<&'static Value> {
        let shared = &self.doc["paths"][template.text.as_str()]["parameters"];
        [shared, &operation["parameters"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| self.resolve(p))
            .collect()
    }

    fn check_query(
        &self,
        id: &str,
        params: &[&Value],
        query: &[(String, String)],
    ) -> Result<(), String> {
        for (name, value) in query {
            let param = find(params, "query", name).ok_or_else(|| {
                let declared: Vec<&str> = params
                    .iter()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                format!(
                    "query parameter `{name}` is not declared for {id} (declared: {})",
                    if declared.is_empty() {
                        "none".to_owned()
                    } else {
                        declared.join(", ")
                    }
                )
            })?;
            check_text(value, param).map_err(|e| format!("query parameter `{name}` {e}"))?;
        }
        for param in params
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
        {
            let name = param["name"].as_str().unwrap_or_default();
            if !query.iter().any(|(n, _)| n == name) {
                return Err(format!(
                    "required query parameter `{name}` of {id} is missing"
                ));
            }
        }
        Ok(())
    }

    fn check_body(
        &self,
        id: &str,
        params: &[&Value],
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Option<Value>, String> {
        let empty = body.iter().all(u8::is_ascii_whitespace);
        let Some(param) = params.iter().find(|p| p["in"] == "body") else {
            return if empty {
                Ok(None)
            } else {
                Err(format!("{id} takes no request body, but one was sent"))
            };
        };
        let value = if empty {
            // What a body-less request binds to: every field absent.
            Value::Object(Map::new())
        } else {
            let media = content_type
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim();
            if !media.eq_ignore_ascii_case("application/json") {
                return Err(format!(
                    "the body of {id} must be sent as application/json, not `{media}`"
                ));
            }
            serde_json::from_slice(body)
                .map_err(|e| format!("the body of {id} is not JSON: {e}"))?
        };
        self.check_value(&value, &param["schema"], "body", 0)
            .map_err(|e| format!("{id}: {e}"))?;
        Ok(Some(value))
    }

    /// Checks `value` against a schema: type, format, enum, object properties (no unknown
    /// ones, the required ones present) and array items, recursively.
    fn check_value(
        &self,
        value: &Value,
        schema: &Value,
        at: &str,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("`{at}` nests deeper than any Forgejo type"));
        }
        let (schema, definition) = match schema["$ref"].as_str() {
            Some(reference) => (self.resolve(schema), reference.rsplit('/').next()),
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
            Value::Object(fields) => self.check_object(fields, schema, definition, at, depth),
            Value::Array(items) => match schema.get("items") {
                Some(item_schema) => items.iter().enumerate().try_for_each(|(i, item)| {
                    self.check_value(item, item_schema, &format!("{at}[{i}]"), depth + 1)
                }),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn check_object(
        &self,
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
                (Some(property), _) => self.check_value(value, property, &field_at, depth + 1)?,
                (None, Some(Value::Bool(true))) => {}
                (None, Some(extra @ Value::Object(_))) => {
                    self.check_value(value, extra, &field_at, depth + 1)?
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
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let Some(pointer) = schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) else {
            return schema;
        };
        self.doc.pointer(pointer).unwrap_or(&Value::Null)
    }
}

impl Template {
    fn matches(&self, segments: &[String]) -> Option<BTreeMap<String, String>> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut params = BTreeMap::new();
        for (parts, segment) in self.segments.iter().zip(segments) {
            match_segment(parts, segment, &mut params)?;
        }
        Some(params)
    }

    /// Sorts literal segments before mixed ones before bare parameters, segment by segment.
    fn specificity(&self) -> Vec<u8> {
        self.segments
            .iter()
            .map(|parts| match parts.as_slice() {
                [Part::Literal(_)] => 0,
                [Part::Param(_)] => 2,
                _ => 1,
            })
            .collect()
    }
}

fn parse_segment(segment: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        match (rest.find('{'), rest.find('}')) {
            (Some(0), Some(close)) => {
                parts.push(Part::Param(rest[1..close].to_owned()));
                rest = &rest[close + 1..];
            }
            (Some(open), _) => {
                parts.push(Part::Literal(rest[..open].to_owned()));
                rest = &rest[open..];
            }
            (None, _) => {
                parts.push(Part::Literal(rest.to_owned()));
                rest = "";
            }
        }
    }
    parts
}

/// Matches one path segment; a parameter takes at least one character, and up to the next
/// literal piece when one follows.
fn match_segment(
    parts: &[Part],
    segment: &str,
    params: &mut BTreeMap<String, String>,
) -> Option<()> {
    let mut rest = segment;
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Literal(text) => rest = rest.strip_prefix(text.as_str())?,
            Part::Param(name) => {
                let end = match parts.get(i + 1) {
                    Some(Part::Literal(next)) => rest.get(1..)?.find(next.as_str())? + 1,
                    _ => rest.len(),
                };
                if end == 0 {
                    return None;
                }
                params.insert(name.clone(), rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
    rest.is_empty().then_some(())
}

fn find<'a>(params: &[&'a Value], location: &str, name: &str) -> Option<&'a Value> {
    params
        .iter()
        .find(|p| p["in"] == location && p["name"] == name)
        .copied()
}

/// Checks a path or query value (always text on the wire) against its parameter's type,
/// enum and format.
fn check_text(text: &str, param: &Value) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: &str, path: &str, query: &str, body: &str) -> Result<Call, String> {
        let query = super::super::url::parse_query(query);
        spec().check(
            method,
            path,
            &query,
            Some("application/json"),
            body.as_bytes(),
        )
    }

    #[test]
    fn the_alerting_subset_is_in_the_spec() {
        for (method, path, operation) in [
            ("GET", "/api/v1/repos/o/r/labels", "issueListLabels"),
            ("POST", "/api/v1/repos/o/r/labels", "issueCreateLabel"),
            ("GET", "/api/v1/repos/o/r/issues", "issueListIssues"),
            ("POST", "/api/v1/repos/o/r/issues", "issueCreateIssue"),
            ("GET", "/api/v1/repos/o/r/issues/7", "issueGetIssue"),
            ("PATCH", "/api/v1/repos/o/r/issues/7", "issueEditIssue"),
            (
                "GET",
                "/api/v1/repos/o/r/issues/7/comments",
                "issueGetComments",
            ),
            (
                "POST",
                "/api/v1/repos/o/r/issues/7/comments",
                "issueCreateComment",
            ),
            ("POST", "/api/v1/repos/o/r/issues/7/labels", "issueAddLabel"),
        ] {
            let body = match method {
                "POST" if operation == "issueCreateLabel" => r##"{"name":"a","color":"#00aabb"}"##,
                "POST" if operation == "issueCreateIssue" => r#"{"title":"t"}"#,
                "POST" if operation == "issueCreateComment" => r#"{"body":"b"}"#,
                "POST" | "PATCH" => "{}",
                _ => "",
            };
            let call =
                check(method, path, "", body).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            assert_eq!(call.operation, operation);
        }
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let call = check("GET", "/api/v1/repos/o/r/issues/pinned", "", "").unwrap();
        assert_eq!(call.operation, "repoListPinnedIssues");
        let call = check("GET", "/api/v1/repos/o/r/issues/12", "", "").unwrap();
        assert_eq!(call.path_params["index"], "12");
        assert_eq!(call.path_params["owner"], "o");
    }

    #[test]
    fn mixed_segments_split_at_their_literals() {
        let call = check("GET", "/api/v1/repos/o/r/pulls/3.diff", "", "").unwrap();
        assert_eq!(call.path_params["index"], "3");
        assert_eq!(call.path_params["diffType"], "diff");
    }

    #[test]
    fn violations_say_what_is_wrong() {
        let cases = [
            (
                "GET",
                "/api/v2/repos/o/r/issues",
                "",
                "",
                "outside the API base path",
            ),
            (
                "GET",
                "/api/v1/repos/o/r/nonsense",
                "",
                "",
                "no path of the spec",
            ),
            ("PUT", "/api/v1/repos/o/r/issues", "", "", "no PUT"),
            (
                "GET",
                "/api/v1/repos/o/r/issues/x",
                "",
                "",
                "`index` must be an integer",
            ),
            (
                "GET",
                "/api/v1/repos/o/r/issues",
                "per_page=5",
                "",
                "`per_page` is not declared",
            ),
            (
                "GET",
                "/api/v1/repos/o/r/issues",
                "state=opened",
                "",
                "must be one of",
            ),
            (
                "GET",
                "/api/v1/repos/o/r/issues",
                "page=two",
                "",
                "must be an integer",
            ),
            (
                "GET",
                "/api/v1/repos/o/r/issues",
                "since=yesterday",
                "",
                "RFC 3339",
            ),
            (
                "GET",
                "/api/v1/repos/o/r/issues",
                "",
                "{}",
                "takes no request body",
            ),
            (
                "POST",
                "/api/v1/repos/o/r/issues",
                "",
                r#"{"title":"t","label":[1]}"#,
                "unknown field `body.label`",
            ),
            (
                "POST",
                "/api/v1/repos/o/r/issues",
                "",
                r#"{"body":"b"}"#,
                "`body.title` is required",
            ),
            (
                "POST",
                "/api/v1/repos/o/r/issues",
                "",
                r#"{"title":5}"#,
                "must be a string",
            ),
            (
                "POST",
                "/api/v1/repos/o/r/issues",
                "",
                r#"{"title":"t","labels":["bug"]}"#,
                "`body.labels[0]` must be an integer",
            ),
            (
                "POST",
                "/api/v1/repos/o/r/issues",
                "",
                r#"{"title":"t","body":null}"#,
                "null",
            ),
            (
                "POST",
                "/api/v1/repos/o/r/issues",
                "",
                "[1]",
                "must be an object",
            ),
            ("POST", "/api/v1/repos/o/r/issues", "", "{", "not JSON"),
            (
                "PATCH",
                "/api/v1/repos/o/r/issues/1",
                "",
                r#"{"due_date":"soon"}"#,
                "RFC 3339",
            ),
        ];
        for (method, path, query, body, expected) in cases {
            let error = check(method, path, query, body)
                .err()
                .unwrap_or_else(|| panic!("{method} {path}?{query} {body} passed"));
            assert!(
                error.contains(expected),
                "{method} {path}?{query} {body}: {error}"
            );
        }
    }

    #[test]
    fn a_body_must_be_declared_json() {
        let error = spec()
            .check(
                "POST",
                "/api/v1/repos/o/r/issues",
                &[],
                Some("text/plain"),
                br#"{"title":"t"}"#,
            )
            .err()
            .unwrap();
        assert!(error.contains("application/json"), "{error}");
    }

    #[test]
    fn label_ids_or_names_both_fit_issue_labels_option() {
        check(
            "POST",
            "/api/v1/repos/o/r/issues/1/labels",
            "",
            r#"{"labels":[1,"bug"]}"#,
        )
        .unwrap();
    }
}
